"""Marking conversations in which urgent-care or crisis advice was given."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any, Dict, List

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from ryggvett.triage import more_urgent


class _RaiseFlag(Action, ABC):
    """Runs right after the advice; the flag stays set so clinicians' review lists the conversation first."""

    @property
    @abstractmethod
    def slot(self) -> str: ...

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]) -> List[EventType]:
        return [SlotSet(self.slot, True)]


class ActionMarkRedFlag(_RaiseFlag):
    """Also keeps the most urgent tier advised, so a GP appointment alone does not hold back exercises."""

    slot = "red_flag_raised"

    def name(self) -> str:
        return "action_mark_red_flag"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]) -> List[EventType]:
        tier = more_urgent(tracker.get_slot("red_flag_tier"), tracker.get_slot("red_flag_urgency"))
        return [*await super().run(dispatcher, tracker, domain), SlotSet("red_flag_tier", tier)]


class ActionMarkCrisis(_RaiseFlag):
    slot = "crisis_raised"

    def name(self) -> str:
        return "action_mark_crisis"
