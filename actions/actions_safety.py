"""Marking conversations in which urgent-care or crisis advice was given."""

from __future__ import annotations

from typing import Any, Dict, List

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher


class ActionMarkRedFlag(Action):
    """Runs right after the urgent-care advice; clinicians' review lists these first."""

    def name(self) -> str:
        return "action_mark_red_flag"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]
    ) -> List[EventType]:
        return [SlotSet("red_flag_raised", True)]


class ActionMarkCrisis(Action):
    def name(self) -> str:
        return "action_mark_crisis"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]
    ) -> List[EventType]:
        return [SlotSet("crisis_raised", True)]
