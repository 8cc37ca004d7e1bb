"""Answering topic questions from the reference base."""

from __future__ import annotations

import json
from typing import Any, Dict, List

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.reference import reference_base
from actions.tracker_utils import language_of, latest_intent, latest_mentions
from ryggvett.answers import safety_notes, select_card
from ryggvett.clarify import clarify_candidates
from ryggvett.contract import TOPIC_INTENTS


class ActionAnswerTopic(Action):
    """The short answer of the best card; rules add the source line and the offer of more."""

    def name(self) -> str:
        return "action_answer_topic"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]) -> List[EventType]:
        base = reference_base()
        intent = latest_intent(tracker) or ""
        mentions = latest_mentions(tracker)
        language = language_of(tracker)
        card = select_card(base.cards_for(intent), intent, mentions)
        if card is None:
            dispatcher.utter_message(response="utter_default")
            return [SlotSet("last_card", None), SlotSet("last_source", None)]
        for note in safety_notes(base.cards, intent, mentions):
            dispatcher.utter_message(text=note.texts[language].short)
        dispatcher.utter_message(text=card.texts[language].short)
        sources = "; ".join(source.short for source in base.sources_of(card))
        return [SlotSet("last_card", card.key), SlotSet("last_source", sources)]


class ActionAnswerMore(Action):
    """The longer text of the last answer."""

    def name(self) -> str:
        return "action_answer_more"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]) -> List[EventType]:
        card = reference_base().card(tracker.get_slot("last_card") or "")
        if card is None:
            dispatcher.utter_message(response="utter_nothing_more")
        else:
            dispatcher.utter_message(text=card.texts[language_of(tracker)].long)
        return []


class ActionListSources(Action):
    """Full references of the last answer, one per line."""

    def name(self) -> str:
        return "action_list_sources"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]) -> List[EventType]:
        base = reference_base()
        card = base.card(tracker.get_slot("last_card") or "")
        if card is None:
            dispatcher.utter_message(response="utter_no_sources")
            return []
        lines = [f"{n}. {source.full_reference()}" for n, source in enumerate(base.sources_of(card), start=1)]
        dispatcher.utter_message(text="\n".join(lines))
        return []


class ActionClarifyOptions(Action):
    """Buttons for the topics the NLU found most likely, after it was unsure."""

    def name(self) -> str:
        return "action_clarify_options"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]) -> List[EventType]:
        base = reference_base()
        language = language_of(tracker)
        candidates = clarify_candidates(tracker.latest_message.get("intent_ranking") or (), TOPIC_INTENTS)
        # Keep what the person mentioned (Ibux, lifting) so the chosen topic is answered specifically.
        entities = {m.entity: m.value for m in latest_mentions(tracker) if m.entity != "language"}
        payload_entities = json.dumps(entities, ensure_ascii=False) if entities else ""
        buttons = [
            {"title": base.topic_label(intent, language) or intent, "payload": f"/{intent}{payload_entities}"}
            for intent in candidates
        ]
        if buttons:
            dispatcher.utter_message(buttons=buttons)
        return []
