"""Names fixed by the NLU contract (docs/nlu-contract.md, the project's copy); tests check them against it."""

from __future__ import annotations

TOPIC_INTENTS: tuple[str, ...] = (
    "ask_pain_meaning",
    "ask_prognosis",
    "ask_movement_safety",
    "request_exercise",
    "ask_medication",
    "ask_imaging",
    "ask_red_flags",
    "ask_sciatica",
    "ask_treatment_options",
    "ask_daily_life",
    "ask_coping",
)
SAFETY_INTENTS: tuple[str, ...] = ("report_red_flag", "report_crisis")
CONVERSATION_INTENTS: tuple[str, ...] = (
    "greet",
    "goodbye",
    "thank",
    "affirm",
    "deny",
    "bot_challenge",
    "ask_sources",
    "request_human",
    "feedback_positive",
    "feedback_negative",
    "change_language",
    "out_of_scope",
)
CONTRACT_ENTITIES: tuple[str, ...] = ("medication", "activity", "body_part", "language")
LANGUAGES: tuple[str, ...] = ("nb", "en")
