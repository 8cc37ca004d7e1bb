"""What every user message sets before the dialogue answers it: language, safety signals, disclaimer.

Plain Python: rasa_extensions/turn_hook.py runs it inside Rasa's slot extraction.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

from ryggvett.contract import SAFETY_INTENTS
from ryggvett.diagnosis import asks_for_diagnosis
from ryggvett.language import choose_language

# These first turns already say what the assistant is, or must not be delayed.
NO_DISCLAIMER_INTENTS = frozenset({"bot_challenge", *SAFETY_INTENTS})
LANGUAGES = ("nb", "en")


@dataclass(frozen=True)
class Turn:
    """The latest user message and the conversation slots the turn depends on."""

    text: str
    intent: str | None
    language_mentions: tuple[str, ...] = ()  # `language` entity values, in order
    page_language: str | None = None  # the web widget's hint sent with its opening payload
    urgency: str | None = None  # from the SafetyOverride NLU component
    language: str | None = None
    language_pinned: bool = False
    disclaimer_shown: bool = False


@dataclass(frozen=True)
class TurnSlots:
    slots: dict[str, Any]
    disclaimer_language: str | None  # set when the disclaimer must open this answer


def turn_slots(turn: Turn, default_language: str) -> TurnSlots:
    language, pinned = answer_language(turn, default_language)
    slots: dict[str, Any] = {
        "language": language,
        "language_pinned": pinned,
        # Crisis too: a crisis with too many tablets also needs Giftinformasjonen.
        "red_flag_urgency": turn.urgency if turn.intent in SAFETY_INTENTS else None,
        "diagnosis_question": asks_for_diagnosis(turn.text),
    }
    if turn.disclaimer_shown or turn.intent in NO_DISCLAIMER_INTENTS:
        return TurnSlots(slots, None)
    return TurnSlots({**slots, "disclaimer_shown": True}, language or default_language)


def answer_language(turn: Turn, default_language: str) -> tuple[str, bool]:
    """The language to answer in, and whether the person pinned it."""
    explicit = None
    if turn.intent == "change_language":
        # "switch language" without naming one toggles.
        explicit = turn.language_mentions[-1] if turn.language_mentions else "en" if turn.language == "nb" else "nb"
    if turn.text.startswith("/") and turn.page_language in LANGUAGES and not turn.language_pinned:
        return turn.page_language, False
    return choose_language(turn.text, turn.language, turn.language_pinned, explicit, default_language)


def mentions_of_language(entities: Any) -> tuple[str, ...]:
    return tuple(str(e.get("value", "")).lower() for e in entities or () if e.get("entity") == "language")


def urgency_of(parse_data: Mapping[str, Any]) -> str | None:
    return (parse_data.get("safety") or {}).get("urgency")
