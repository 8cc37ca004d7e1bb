"""The painkiller-habits check-in: its questions, the tailored reply and the change over time.

Rules live in ryggvett/checkin.py, answer reading in ryggvett/answer_parsing.py, storage
(only with consent) in ryggvett/checkin_store.py.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Dict, List

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.answer_reading_form import AnswerReadingForm
from actions.reference import reference_base
from actions.tracker_utils import conversation_key, language_of
from ryggvett import settings
from ryggvett.answer_parsing import parse_days, parse_kinds, parse_reason, parse_scale, parse_yes_no
from ryggvett.checkin import Change, Checkin, change_since, questions_needed, reply_for, trend_word
from ryggvett.checkin_store import history, save_checkin
from ryggvett.responses import render
from ryggvett.triage import more_urgent

FORM_SLOTS = (
    "checkin_consent",
    "checkin_days",
    "checkin_kinds",
    "checkin_reason",
    "checkin_long_use",
    "checkin_over_leaflet",
    "checkin_confidence",
)
# Asked only for some answers: which kinds, why and more than the leaflet (any painkiller days),
# how long (near daily use).
FOLLOW_UPS = {
    "kinds": "checkin_kinds",
    "reason": "checkin_reason",
    "long_use": "checkin_long_use",
    "over_leaflet": "checkin_over_leaflet",
}


def _reset() -> List[EventType]:
    return [SlotSet(slot, None) for slot in FORM_SLOTS] + [SlotSet("checkin_stopped", False)]


class ValidateCheckinForm(AnswerReadingForm):
    stopped_slot = "checkin_stopped"

    def name(self) -> str:
        return "validate_checkin_form"

    async def required_slots(
        self, domain_slots: List[str], dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[str]:
        if tracker.get_slot("checkin_stopped") is True:
            return []
        days = tracker.get_slot("checkin_days")
        # Before validation the slot holds the raw answer ("hver dag"); only a validated number decides.
        if not isinstance(days, int):
            return domain_slots
        needed = {FOLLOW_UPS[key] for key in questions_needed(days)}
        return [slot for slot in domain_slots if slot not in FOLLOW_UPS.values() or slot in needed]

    def validate_checkin_consent(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[str, Any]:
        return self._read("checkin_consent", value, parse_yes_no, "utter_exercise_invalid_choice", dispatcher)

    def validate_checkin_days(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[str, Any]:
        return self._read("checkin_days", value, parse_days, "utter_checkin_invalid_days", dispatcher)

    def validate_checkin_kinds(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[str, Any]:
        synonyms = reference_base().synonyms.get("medication", {})

        def kinds(text: str) -> list[str] | None:
            found = parse_kinds(text, synonyms)
            return list(found) if found else None

        return self._read("checkin_kinds", value, kinds, "utter_exercise_invalid_choice", dispatcher)

    def validate_checkin_reason(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[str, Any]:
        return self._read("checkin_reason", value, parse_reason, "utter_exercise_invalid_choice", dispatcher)

    def validate_checkin_long_use(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[str, Any]:
        return self._read("checkin_long_use", value, parse_yes_no, "utter_exercise_invalid_choice", dispatcher)

    def validate_checkin_over_leaflet(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[str, Any]:
        """More than the leaflet allows gets Giftinformasjonen at once, and the questions end there."""
        read = self._read("checkin_over_leaflet", value, parse_yes_no, "utter_exercise_invalid_choice", dispatcher)
        if read.get("checkin_over_leaflet") is True:
            dispatcher.utter_message(response="utter_overdose")
            tier = more_urgent(tracker.get_slot("red_flag_tier"), "poison")
            return {**read, "red_flag_raised": True, "red_flag_tier": tier, "checkin_stopped": True}
        return read

    def validate_checkin_confidence(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[str, Any]:
        return self._read("checkin_confidence", value, parse_scale, "utter_exercise_invalid_number", dispatcher)


def _checkin_from(tracker: Tracker) -> Checkin | None:
    days, confidence = tracker.get_slot("checkin_days"), tracker.get_slot("checkin_confidence")
    if not isinstance(days, int) or not isinstance(confidence, int):
        return None
    return Checkin(
        days=days,
        confidence=confidence,
        kinds=tuple(tracker.get_slot("checkin_kinds") or ()) if days else (),
        reason=tracker.get_slot("checkin_reason") if days else None,
        long_use=tracker.get_slot("checkin_long_use") is True,
    )


def _show_change(
    dispatcher: CollectingDispatcher, responses: Dict[str, Any], language: str, earlier: list[Checkin], now: Checkin
) -> None:
    """The change since the last stored check-in, in words and as a small chart (web chat)."""
    change: Change | None = change_since(earlier, now)
    if change is None:
        return
    comment = " ".join(
        render(responses, f"utter_checkin_{name}_{trend_word(delta, fewer_is_better)}", language)["text"]
        for name, delta, fewer_is_better in (("days", change.days, True), ("confidence", change.confidence, False))
    )
    since = change.previous.when.strftime("%d.%m.%Y") if change.previous.when else "–"
    dispatcher.utter_message(
        response="utter_checkin_change",
        since=since,
        days_before=change.previous.days,
        days_now=now.days,
        confidence_before=change.previous.confidence,
        confidence_now=now.confidence,
        comment=comment,
    )
    days_label, confidence_label, title = render(responses, "utter_checkin_chart_labels", language)["text"].split("|")
    points = [*earlier, now]
    dispatcher.utter_message(
        json_message={
            "data": {
                "chart": {
                    "kind": "checkin",
                    "title": title,
                    "labels": [p.when.strftime("%d.%m") if p.when else "" for p in points[:-1]] + [_today_label()],
                    "series": [
                        {"name": days_label, "max": 7, "values": [p.days for p in points]},
                        {"name": confidence_label, "max": 10, "values": [p.confidence for p in points]},
                    ],
                }
            }
        }
    )


def _today_label() -> str:
    return dt.datetime.now(dt.timezone.utc).strftime("%d.%m")


class ActionCheckinReply(Action):
    """The reply cards the rules pick, the change since last time, and storing (only with consent)."""

    def name(self) -> str:
        return "action_checkin_reply"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]) -> List[EventType]:
        checkin = _checkin_from(tracker)
        if tracker.get_slot("checkin_stopped") is True or checkin is None:
            dispatcher.utter_message(response="utter_checkin_stopped")
            return _reset()
        language = language_of(tracker)
        responses = domain.get("responses", {})
        url = settings.db_url()
        _show_change(dispatcher, responses, language, history(url, conversation_key(tracker)), checkin)
        base = reference_base()
        reply = reply_for(checkin)
        cards = [card for key in reply.cards if (card := base.card(key)) is not None]
        for card in cards:
            dispatcher.utter_message(text=card.texts[language].short)
        sources = "; ".join(dict.fromkeys(source.short for card in cards for source in base.sources_of(card)))
        if sources:
            dispatcher.utter_message(response="utter_source_line", last_source=sources)
        consent = tracker.get_slot("checkin_consent") is True
        if consent:
            save_checkin(url, conversation_key(tracker), checkin)
        dispatcher.utter_message(response="utter_checkin_saved" if consent else "utter_checkin_not_saved")
        if reply.offer_callback:
            dispatcher.utter_message(response="utter_checkin_callback_offer")
        events: List[EventType] = [
            *_reset(),
            SlotSet("last_card", cards[0].key if cards else None),
            SlotSet("last_source", sources or None),
        ]
        # A concrete alternative to the habit: the offer of exercises (its "yes" starts the questions).
        if reply.offer_exercise and not reply.offer_callback:
            events.append(FollowupAction("action_offer_exercises"))
        return events
