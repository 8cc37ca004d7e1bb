"""Answering topic questions from the reference base."""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from typing import Any, Dict, List, Sequence

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.reference import card_ranker, reference_base, topic_cards
from actions.tracker_utils import language_of, latest_intent, latest_mentions
from ryggvett.answers import safety_notes
from ryggvett.card_choice import (
    Answer,
    CardChoice,
    answer_message,
    intent_ranking,
    nearest_cards,
    strong_card,
    sure_card,
)
from ryggvett.clarify import clarify_candidates
from ryggvett.contract import TOPIC_INTENTS
from ryggvett.reference.content import Card


class ActionAnswerTopic(Action):
    """The short answer of the card that fits; rules add the source line and the offer of more.

    A message with two questions gets one answered and the other offered as a button.

    When it is unsure which card answers the question, it asks «Mener du …?» with the
    cards' titles as buttons instead (card_unsure), and the rules wait for the choice.
    """

    def name(self) -> str:
        return "action_answer_topic"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]) -> List[EventType]:
        checklist_if_unconfirmed_alarm(dispatcher, tracker)
        base = reference_base()
        intent = latest_intent(tracker) or ""
        mentions = latest_mentions(tracker)
        asked_for = next((base.card(m.value) for m in mentions if m.entity == "card"), None)
        if asked_for is not None:
            answer = Answer(CardChoice(asked_for))
        else:
            text = tracker.latest_message.get("text") or ""
            ranking = intent_ranking(tracker.latest_message)
            answer = answer_message(topic_cards(), text, intent, mentions, ranking, card_ranker().evidence)
        choice = answer.choice
        if choice.unsure and not tracker.get_slot("diagnosis_question"):
            dispatcher.utter_message(
                response="utter_did_you_mean", buttons=_card_buttons(choice, intent, language_of(tracker))
            )
            return [SlotSet("card_unsure", True)]
        if choice.card is None:
            dispatcher.utter_message(response="utter_default")
            return [SlotSet("last_card", None), SlotSet("last_source", None), SlotSet("card_unsure", False)]
        events = say_card(dispatcher, tracker, choice.card, choice.notes)
        if answer.also is not None:
            # The second question of the message, offered rather than answered in one long reply.
            also = CardChoice(answer.also, (answer.also,))
            dispatcher.utter_message(response="utter_also_asked", buttons=_card_buttons(also, "", language_of(tracker)))
        return events


def checklist_if_unconfirmed_alarm(dispatcher: CollectingDispatcher, tracker: Tracker) -> None:
    """The red-flag checklist first when the classifier alone thought of an alarm (nlu_components.safety_override)."""
    if (tracker.latest_message.get("safety") or {}).get("unconfirmed"):
        dispatcher.utter_message(response="utter_red_flag_checklist")


def say_card(
    dispatcher: CollectingDispatcher, tracker: Tracker, card: Card, notes: Sequence[Card] = ()
) -> List[EventType]:
    """The card's short answer after the safety notes the message calls for; the rules add its source."""
    base = reference_base()
    language = language_of(tracker)
    intent = latest_intent(tracker) or card.intent
    mentions = latest_mentions(tracker)
    for note in (*notes, *safety_notes(base.cards, intent, mentions, chosen=card)):
        if note != card:
            dispatcher.utter_message(text=note.texts[language].short)
    dispatcher.utter_message(text=card.texts[language].short)
    sources = "; ".join(source.short for source in base.sources_of(card))
    return [SlotSet("last_card", card.key), SlotSet("last_source", sources), SlotSet("card_unsure", False)]


def _card_buttons(choice: CardChoice, intent: str, language: str) -> list[dict[str, str]]:
    """One button per card; the payload names the card's own topic unless `intent` is given."""
    return [
        {
            "title": card.title.get(language) or card.key,
            "payload": f"/{intent or card.intent}{json.dumps({'card': card.key})}",
        }
        for card in choice.options
    ]


class _AboutLastAnswer(Action, ABC):
    """Follow-ups on the last answer card; `missing_response` when there is none yet."""

    missing_response: str

    @abstractmethod
    def answer(self, dispatcher: CollectingDispatcher, card: Card, language: str) -> None: ...

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]) -> List[EventType]:
        card = reference_base().card(tracker.get_slot("last_card") or "")
        if card is None:
            dispatcher.utter_message(response=self.missing_response)
        else:
            self.answer(dispatcher, card, language_of(tracker))
        return []


class ActionAnswerMore(_AboutLastAnswer):
    """The longer text of the last answer."""

    missing_response = "utter_nothing_more"

    def name(self) -> str:
        return "action_answer_more"

    def answer(self, dispatcher: CollectingDispatcher, card: Card, language: str) -> None:
        dispatcher.utter_message(text=card.texts[language].long)


class ActionListSources(_AboutLastAnswer):
    """Full references of the last answer, one per line."""

    missing_response = "utter_no_sources"

    def name(self) -> str:
        return "action_list_sources"

    def answer(self, dispatcher: CollectingDispatcher, card: Card, language: str) -> None:
        sources = reference_base().sources_of(card)
        dispatcher.utter_message(text="\n".join(f"{n}. {s.full_reference()}" for n, s in enumerate(sources, start=1)))


class ActionClarifyOptions(Action):
    """After the NLU was unsure: the card that clearly fits, or «Mener du …?» with buttons.

    A card whose questions the message fits clearly best answers though the topic was unclear
    (the rules then add its source). Otherwise the closest cards' titles are offered, or, when
    no card comes close, the likeliest topics.
    """

    def name(self) -> str:
        return "action_clarify_options"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]) -> List[EventType]:
        checklist_if_unconfirmed_alarm(dispatcher, tracker)
        base = reference_base()
        language = language_of(tracker)
        text = tracker.latest_message.get("text") or ""
        evidence = card_ranker().evidence(text)
        sure = base.card(sure_card(evidence, len(text.split())) or "")
        if sure is not None:
            return say_card(dispatcher, tracker, sure)
        dispatcher.utter_message(response="utter_default")
        close = [card for card in (base.card(key) for key in nearest_cards(evidence)) if card is not None]
        if close:
            dispatcher.utter_message(buttons=_card_buttons(CardChoice(close[0], tuple(close)), "", language))
            return [SlotSet("card_unsure", True)]
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
        return [SlotSet("card_unsure", True)]


class ActionAnswerOutOfScope(Action):
    """Outside low back pain: «det kan jeg ikke svare på» and who to ask.

    When only the classifier read the message as outside (it names no outside word, content/scope.yml)
    and one card's questions fit it strongly («kan kiropraktor skrive sykemelding?»), that card
    answers instead; the rules then add its source.
    """

    def name(self) -> str:
        return "action_answer_out_of_scope"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]) -> List[EventType]:
        text = tracker.latest_message.get("text") or ""
        outside = (tracker.latest_message.get("scope") or {}).get("outside", True)
        if not outside:
            card = reference_base().card(strong_card(card_ranker().evidence(text), len(text.split())) or "")
            if card is not None:
                return say_card(dispatcher, tracker, card)
        dispatcher.utter_message(response="utter_out_of_scope")
        # No card now: "tell me more" must not go back to an earlier one, and the rules see no answer.
        return [SlotSet("last_card", None), SlotSet("last_source", None)]
