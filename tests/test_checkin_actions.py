"""The painkiller-habits check-in's form and reply, with CollectingDispatcher on a real SQLite database."""

from __future__ import annotations

import subprocess
import sys
import uuid

import pytest
from rasa_sdk.events import FollowupAction
from rasa_sdk.executor import CollectingDispatcher

from actions.actions_checkin import FORM_SLOTS, ActionCheckinReply, ValidateCheckinForm
from ryggvett.checkin import Checkin
from ryggvett.checkin_store import history, save_checkin
from ryggvett.settings import PROJECT_ROOT

pytestmark = pytest.mark.usefixtures("actions_use_test_db")


def sender() -> str:
    return f"checkin-{uuid.uuid4().hex[:8]}"


def said(dispatcher: CollectingDispatcher) -> list[str]:
    return [m.get("response") or m.get("text") or "custom" for m in dispatcher.messages]


def test_more_than_the_leaflet_gets_giftinformasjonen_and_ends_the_questions(domain, tracker_factory) -> None:
    dispatcher = CollectingDispatcher()
    result = ValidateCheckinForm().validate_checkin_over_leaflet("Ja", dispatcher, tracker_factory("Ja"), domain)
    assert result == {
        "checkin_over_leaflet": True,
        "red_flag_raised": True,
        "red_flag_tier": "poison",
        "checkin_stopped": True,
    }
    assert [m["response"] for m in dispatcher.messages] == ["utter_overdose"]


@pytest.mark.parametrize(
    "slot, text, expected",
    [
        ("checkin_consent", "Ja", True),
        ("checkin_consent", "nei takk", False),
        ("checkin_days", "hver dag", 7),
        ("checkin_days", "3 dager", 3),
        ("checkin_days", "most days", 5),
        ("checkin_days", "about 5", 5),
        ("checkin_days", "ingen", 0),
        ("checkin_days", "6", 6),
        ("checkin_kinds", "Paracet og Ibux", ["paracetamol", "nsaid"]),
        ("checkin_kinds", "kodein", ["opioid"]),
        ("checkin_kinds", "vet ikke", ["other"]),
        ("checkin_reason", "for sikkerhets skyld", "habit"),
        ("checkin_reason", "I was afraid of making it worse", "fear"),
        ("checkin_reason", "jobb eller søvn", "work_sleep"),
        ("checkin_long_use", "Yes", True),
        ("checkin_over_leaflet", "Nei", False),
        ("checkin_confidence", "ca 6", 6),
        ("checkin_confidence", "about seven", 7),
    ],
)
def test_answers_by_button_and_free_text_are_read(domain, tracker_factory, slot, text, expected) -> None:
    dispatcher = CollectingDispatcher()
    result = getattr(ValidateCheckinForm(), f"validate_{slot}")(text, dispatcher, tracker_factory(text), domain)
    assert result == {slot: expected}
    assert dispatcher.messages == []


@pytest.mark.parametrize(
    "slot, text, reprompt",
    [
        ("checkin_days", "vet ikke", "utter_checkin_invalid_days"),
        ("checkin_days", "9", "utter_checkin_invalid_days"),
        ("checkin_kinds", "hmm", "utter_exercise_invalid_choice"),
        ("checkin_confidence", "high", "utter_exercise_invalid_number"),
    ],
)
def test_an_unreadable_answer_is_asked_again(domain, tracker_factory, slot, text, reprompt) -> None:
    dispatcher = CollectingDispatcher()
    result = getattr(ValidateCheckinForm(), f"validate_{slot}")(text, dispatcher, tracker_factory(text), domain)
    assert result == {slot: None}
    assert said(dispatcher) == [reprompt]


@pytest.mark.parametrize(
    "days, expected",
    [
        ("hver dag", list(FORM_SLOTS)),  # raw answer, not validated yet: decide nothing
        (0, ["checkin_consent", "checkin_days", "checkin_confidence"]),
        (3, [s for s in FORM_SLOTS if s != "checkin_long_use"]),
        (7, list(FORM_SLOTS)),
    ],
    ids=["raw", "no-days", "some-days", "daily"],
)
async def test_follow_up_questions_depend_on_the_days(domain, tracker_factory, days, expected) -> None:
    tracker = tracker_factory("", slots={"checkin_days": days})
    assert await ValidateCheckinForm().required_slots(list(FORM_SLOTS), CollectingDispatcher(), tracker, domain) == (
        expected
    )


def answers(consent: bool, days: int, confidence: int, reason: str | None = "habit", **extra) -> dict:
    return {
        "checkin_consent": consent,
        "checkin_days": days,
        "checkin_kinds": extra.get("kinds", ["paracetamol"]) if days else None,
        "checkin_reason": reason if days else None,
        "checkin_long_use": extra.get("long_use", False),
        "checkin_confidence": confidence,
    }


async def reply(domain, tracker_factory, who: str, language: str = "nb", **given) -> tuple[CollectingDispatcher, list]:
    dispatcher = CollectingDispatcher()
    slots = {**answers(**given), "language": language}
    events = await ActionCheckinReply().run(dispatcher, tracker_factory("7", slots=slots, sender_id=who), domain)
    return dispatcher, events


async def test_declined_consent_gives_the_advice_and_stores_nothing(
    domain, tracker_factory, base, loaded_db_url
) -> None:
    who = sender()
    dispatcher, events = await reply(domain, tracker_factory, who, consent=False, days=5, confidence=7)
    assert dispatcher.messages[0]["text"] == base.card("checkin_habit").texts["nb"].short
    assert "utter_checkin_not_saved" in said(dispatcher)
    assert history(loaded_db_url, who) == []
    assert FollowupAction("action_offer_exercises") in events  # an alternative to the habit


async def test_a_returning_person_sees_the_change_in_words_and_as_a_chart(
    domain, tracker_factory, loaded_db_url
) -> None:
    who = sender()
    first, _ = await reply(domain, tracker_factory, who, consent=True, days=6, confidence=3, reason="fear")
    assert "utter_checkin_change" not in said(first)
    assert "utter_checkin_saved" in said(first)
    second, _ = await reply(domain, tracker_factory, who, consent=True, days=2, confidence=7, reason="fear")
    change = next(m for m in second.messages if m.get("response") == "utter_checkin_change")
    assert (change["days_before"], change["days_now"]) == (6, 2)
    assert (change["confidence_before"], change["confidence_now"]) == (3, 7)
    assert "færre dager" in change["comment"] and "mer tro" in change["comment"]
    chart = next(m["custom"]["data"]["chart"] for m in second.messages if m.get("custom"))
    assert [s["values"] for s in chart["series"]] == [[6, 2], [3, 7]]
    assert len(chart["labels"]) == 2 and chart["series"][0]["max"] == 7
    assert [c.days for c in history(loaded_db_url, who)] == [6, 2]


async def test_the_change_in_english(domain, tracker_factory) -> None:
    who = sender()
    await reply(domain, tracker_factory, who, language="en", consent=True, days=2, confidence=8)
    dispatcher, _ = await reply(domain, tracker_factory, who, language="en", consent=True, days=4, confidence=5)
    change = next(m for m in dispatcher.messages if m.get("response") == "utter_checkin_change")
    assert "more days" in change["comment"] and "less confident" in change["comment"]
    chart = next(m["custom"]["data"]["chart"] for m in dispatcher.messages if m.get("custom"))
    assert chart["title"] == "Change over time"


@pytest.mark.parametrize(
    "given, cards, offers",
    [
        (dict(days=0, confidence=8), ["checkin_no_painkillers"], []),
        (dict(days=3, confidence=8, reason="fear"), ["checkin_fear"], []),
        (dict(days=3, confidence=2, reason="strong_pain"), ["checkin_strong_pain", "checkin_low_confidence"],
         ["utter_checkin_callback_offer"]),
        (dict(days=7, confidence=6, reason="work_sleep", long_use=True, kinds=["nsaid", "opioid"]),
         ["checkin_see_gp", "checkin_opioid", "checkin_work_sleep"], []),
    ],
    ids=["no-pills", "fear", "strong-pain-low-confidence", "daily-opioid"],
)  # fmt: skip
async def test_the_reply_is_built_from_the_cards_the_rules_pick(domain, tracker_factory, base, given, cards, offers):
    dispatcher, events = await reply(domain, tracker_factory, sender(), consent=False, **given)
    texts = [m["text"] for m in dispatcher.messages if m.get("text")]
    assert texts == [base.card(key).texts["nb"].short for key in cards]
    assert [r for r in said(dispatcher) if r == "utter_checkin_callback_offer"] == offers
    source_line = next(m for m in dispatcher.messages if m.get("response") == "utter_source_line")
    assert source_line["last_source"]
    assert {"event": "slot", "timestamp": None, "name": "last_card", "value": cards[0]} in events


async def test_leaving_the_questions_stores_nothing(domain, tracker_factory, loaded_db_url) -> None:
    who = sender()
    dispatcher = CollectingDispatcher()
    result = ValidateCheckinForm().validate_checkin_days("stopp", dispatcher, tracker_factory("stopp"), domain)
    assert result == {"checkin_days": None, "checkin_stopped": True}
    tracker = tracker_factory("stopp", slots={"checkin_consent": True, "checkin_stopped": True}, sender_id=who)
    assert await ValidateCheckinForm().required_slots(list(FORM_SLOTS), dispatcher, tracker, domain) == []
    await ActionCheckinReply().run(dispatcher, tracker, domain)
    assert said(dispatcher) == ["utter_checkin_stopped"]
    assert history(loaded_db_url, who) == []


def test_the_report_command_gives_aggregate_figures(tmp_path) -> None:
    url = f"sqlite:///{tmp_path / 'checkins.db'}"
    save_checkin(url, "a", Checkin(days=6, confidence=3, kinds=("nsaid",), reason="habit"))
    save_checkin(url, "a", Checkin(days=2, confidence=7, kinds=("nsaid",), reason="habit"))
    save_checkin(url, "b", Checkin(days=0, confidence=8))
    output = subprocess.run(
        [sys.executable, "-m", "ryggvett", "checkin-report", "--db-url", url],
        capture_output=True,
        text=True,
        check=True,
        cwd=PROJECT_ROOT,
    ).stdout
    assert "check-ins: 3 from 2 people" in output
    assert "mean painkiller days in the last 7: 2.7" in output
    assert "main reasons: habit 2, none 1" in output
    assert "more than once: 1; of them, fewer painkiller days since their first: 1, more confidence: 1" in output
