"""Marking conversations in which urgent-care or crisis advice was given, and explaining a see-a-doctor reply."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any, Dict, List

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.actions_answers import say_card
from actions.reference import card_ranker, reference_base
from ryggvett.card_choice import sure_card
from ryggvett.scope import default_scope
from ryggvett.triage import EXPLAINED_TIERS, more_urgent


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


class ActionExplainRedFlag(Action):
    """After a see-a-doctor reply to a message about the back: the card it clearly fits, with its source.

    «Sønnen min på 9 klager over vondt i ryggen, bør vi gå til lege?» gets "book a GP appointment"
    first, then what the card on children's back pain says.
    """

    def name(self) -> str:
        return "action_explain_red_flag"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]) -> List[EventType]:
        if tracker.get_slot("red_flag_urgency") not in EXPLAINED_TIERS:
            return []
        text = tracker.latest_message.get("text") or ""
        if not default_scope().names_the_back(text):
            return []  # a child's fever or a toothache: no back card explains it
        card = reference_base().card(sure_card(card_ranker().evidence(text), len(text.split())) or "")
        if card is None:
            return []
        events = say_card(dispatcher, tracker, card)
        source = next(e["value"] for e in events if e["name"] == "last_source")
        # The rules add the source line after other answers; here it comes with the card.
        dispatcher.utter_message(response="utter_source_line", last_source=source)
        return events
