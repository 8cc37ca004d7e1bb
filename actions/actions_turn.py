"""Per-turn hook: answer language, safety signals and the first-turn disclaimer."""

from __future__ import annotations

import logging
from typing import Any, Dict, List

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import ValidationAction
from rasa_sdk.types import DomainDict

from actions.tracker_utils import latest_intent, latest_mentions, latest_user_metadata
from ryggvett import settings
from ryggvett.contract import SAFETY_INTENTS
from ryggvett.diagnosis import asks_for_diagnosis
from ryggvett.language import choose_language
from ryggvett.responses import render

# These slots are extracted here, never validated: rasa_sdk's warning about the missing
# validate_<slot> methods would otherwise fill the log with four lines per message.
logging.getLogger("rasa_sdk.forms").setLevel(logging.ERROR)

# These first turns already say what the assistant is, or must not be delayed.
NO_DISCLAIMER_INTENTS = frozenset({"bot_challenge", *SAFETY_INTENTS})


class ValidateSlotMappings(ValidationAction):
    """Rasa runs `action_validate_slot_mappings` after every user message."""

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> List[EventType]:
        events = await super().run(dispatcher, tracker, domain)
        if tracker.get_slot("disclaimer_shown") or latest_intent(tracker) in NO_DISCLAIMER_INTENTS:
            return events
        language = tracker.get_slot("language") or settings.default_language()
        # The slot event above is not applied yet when Rasa picks a variation,
        # so the disclaimer is rendered here for the language just detected.
        dispatcher.utter_message(**render(domain.get("responses", {}), "utter_disclaimer", language))
        return [*events, SlotSet("disclaimer_shown", True)]

    async def extract_language(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[str, Any]:
        explicit = None
        if latest_intent(tracker) == "change_language":
            asked = [m.value for m in latest_mentions(tracker) if m.entity == "language"]
            current = tracker.get_slot("language")
            explicit = asked[-1] if asked else ("en" if current == "nb" else "nb")
        text = tracker.latest_message.get("text") or ""
        # The web widget opens with a "/greet" payload and the page's language as a hint.
        hint = latest_user_metadata(tracker).get("language")
        if text.startswith("/") and hint in ("nb", "en") and not tracker.get_slot("language_pinned"):
            return {"language": hint, "language_pinned": False}
        language, pinned = choose_language(
            text,
            tracker.get_slot("language"),
            bool(tracker.get_slot("language_pinned")),
            explicit,
            settings.default_language(),
        )
        return {"language": language, "language_pinned": pinned}

    async def extract_red_flag_urgency(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[str, Any]:
        # Written by the SafetyOverride NLU component; None outside red-flag turns.
        safety = tracker.latest_message.get("safety") or {}
        urgency = safety.get("urgency") if latest_intent(tracker) == "report_red_flag" else None
        return {"red_flag_urgency": urgency}

    async def extract_diagnosis_question(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[str, Any]:
        return {"diagnosis_question": asks_for_diagnosis(tracker.latest_message.get("text") or "")}
