"""The exercise coach's form and actions, run with CollectingDispatcher against a real SQLite database."""

from __future__ import annotations

import uuid

import pytest
from rasa_sdk.events import FollowupAction
from rasa_sdk.executor import CollectingDispatcher

from actions.actions_exercises import (
    FORM_SLOTS,
    ActionOfferExercises,
    ActionRateExercises,
    ActionSuggestExercises,
    ActionWeekPlan,
    ValidateExerciseForm,
)
from ryggvett.exercise_progress import load_progress
from ryggvett.reference.repository import ReferenceBase

pytestmark = pytest.mark.usefixtures("actions_use_test_db")

FORM_ANSWERS = {"exercise_screen": False, "exercise_pain": 5, "exercise_leg_pain": False}


def sender() -> str:
    return f"coach-{uuid.uuid4().hex[:8]}"


def slots_of(events) -> dict:
    return {e["name"]: e["value"] for e in events if e.get("event") == "slot"}


def responses(dispatcher: CollectingDispatcher) -> list[str]:
    return [m.get("response") for m in dispatcher.messages]


@pytest.mark.parametrize(
    "slot, text, expected",
    [
        ("exercise_screen", "Nei", False),
        ("exercise_screen", "ja, jeg er gravid", True),
        ("exercise_screen", "No", False),
        ("exercise_pain", "7", 7),
        ("exercise_pain", "ca 6", 6),
        ("exercise_pain", "about six", 6),
        ("exercise_pain", "kanskje 4 av 10", 4),
        ("exercise_leg_pain", "Ja", True),
        ("exercise_leg_pain", "nope, just the back", False),
        ("exercise_activity", "litt aktiv", "some"),
        ("exercise_activity", "jeg sitter mest på kontoret", "low"),
        ("exercise_activity", "train regularly", "high"),
        ("exercise_confidence", "ganske trygg", "medium"),
        ("exercise_confidence", "not confident at all", "low"),
        ("exercise_confidence", "veldig trygg", "high"),
    ],
)
def test_answers_by_button_and_free_text_are_read(domain, tracker_factory, slot, text, expected) -> None:
    dispatcher = CollectingDispatcher()
    validate = getattr(ValidateExerciseForm(), f"validate_{slot}")
    result = validate(text, dispatcher, tracker_factory(text), domain)
    assert result == {slot: expected}
    assert dispatcher.messages == []


@pytest.mark.parametrize(
    "slot, text, reprompt",
    [
        ("exercise_pain", "vondt", "utter_exercise_invalid_number"),
        ("exercise_pain", "12", "utter_exercise_invalid_number"),
        ("exercise_leg_pain", "kanskje", "utter_exercise_invalid_choice"),
        ("exercise_activity", "hva mener du?", "utter_exercise_invalid_choice"),
    ],
)
def test_an_unreadable_answer_is_asked_again(domain, tracker_factory, slot, text, reprompt) -> None:
    dispatcher = CollectingDispatcher()
    result = getattr(ValidateExerciseForm(), f"validate_{slot}")(text, dispatcher, tracker_factory(text), domain)
    assert result == {slot: None}
    assert responses(dispatcher) == [reprompt]


@pytest.mark.parametrize("text", ["stopp", "Avbryt", "cancel", "stop"])
async def test_the_questions_can_be_left_at_any_time(domain, tracker_factory, text) -> None:
    form = ValidateExerciseForm()
    result = form.validate_exercise_pain(text, CollectingDispatcher(), tracker_factory(text), domain)
    assert result == {"exercise_pain": None, "exercise_stopped": True}
    tracker = tracker_factory(text, slots={"exercise_stopped": True})
    assert await form.required_slots(list(FORM_SLOTS), CollectingDispatcher(), tracker, domain) == []
    dispatcher = CollectingDispatcher()
    events = await ActionSuggestExercises().run(dispatcher, tracker, domain)
    assert responses(dispatcher) == ["utter_exercise_stopped"]
    assert slots_of(events)["exercise_stopped"] is False


@pytest.mark.parametrize(
    "slots, expected",
    [
        ({}, list(FORM_SLOTS)),
        # Rasa asks for the required slots before validating the raw answer.
        ({"exercise_screen": "Nei"}, list(FORM_SLOTS)),
        ({"exercise_screen": "Ja"}, list(FORM_SLOTS)),
        ({"exercise_screen": False}, list(FORM_SLOTS)),
        ({"exercise_screen": True}, []),
        ({"exercise_stopped": True}, []),
        ({"red_flag_raised": True}, []),
        ({"red_flag_raised": True, "red_flag_tier": "gp_today"}, []),
        # A GP appointment (not urgent) does not hold back exercises.
        ({"red_flag_raised": True, "red_flag_tier": "gp_soon"}, list(FORM_SLOTS)),
    ],
    ids=[
        "asks-all",
        "raw-no",
        "raw-yes",
        "screen-negative",
        "screen-positive-stops",
        "stopped",
        "red-flag-stops",
        "gp-today-stops",
        "gp-appointment-goes-on",
    ],
)
async def test_required_questions(domain, tracker_factory, slots, expected) -> None:
    tracker = tracker_factory("", slots=slots)
    assert await ValidateExerciseForm().required_slots(list(FORM_SLOTS), CollectingDispatcher(), tracker, domain) == (
        expected
    )


async def test_a_positive_safety_check_gives_advice_and_no_exercises(domain, tracker_factory) -> None:
    dispatcher = CollectingDispatcher()
    tracker = tracker_factory("ja", slots={"exercise_screen": True})
    await ActionSuggestExercises().run(dispatcher, tracker, domain)
    assert responses(dispatcher) == ["utter_exercise_screen_positive"]


def profile_slots(pain: int, leg_pain: bool = False, activity: str = "some", confidence: str = "medium") -> dict:
    return {
        "exercise_screen": False,
        "exercise_pain": pain,
        "exercise_leg_pain": leg_pain,
        "exercise_activity": activity,
        "exercise_confidence": confidence,
    }


async def suggest(domain, tracker_factory, who: str, **profile) -> tuple[CollectingDispatcher, dict]:
    dispatcher = CollectingDispatcher()
    tracker = tracker_factory("veldig trygg", slots=profile_slots(**profile), sender_id=who)
    events = await ActionSuggestExercises().run(dispatcher, tracker, domain)
    return dispatcher, slots_of(events)


async def test_a_suggestion_shows_cards_with_illustrations_guidance_and_rating_buttons(
    domain, tracker_factory, base: ReferenceBase, loaded_db_url
) -> None:
    who = sender()
    dispatcher, slots = await suggest(domain, tracker_factory, who, pain=5)
    cards = [m for m in dispatcher.messages if m.get("response") == "utter_exercise_card"]
    assert 2 <= len(cards) <= 3 and len(cards) == len(slots["exercise_set"])
    for card, key in zip(cards, slots["exercise_set"], strict=False):
        exercise = base.exercises.get(key)
        assert card["name"] == exercise.texts["nb"].name
        assert card["image_url"].endswith(f"/exercises/{exercise.illustration}")
        assert card["steps"].startswith("1. ")
        assert exercise.level in ("easy", "medium")  # pain 5 caps at medium
    said = responses(dispatcher)
    assert said.index("utter_exercise_pain_guidance") > said.index("utter_exercise_card")
    assert said[-1] == "utter_ask_exercise_rating"
    source_line = next(m for m in dispatcher.messages if m.get("response") == "utter_exercise_source")
    assert "Thomeé" in source_line["sources"] or "Thomee" in source_line["sources"]
    assert all(slots[slot] is None for slot in FORM_SLOTS)
    assert slots["exercise_profile"] == {"pain_now": 5, "leg_pain": False, "activity": "some", "confidence": "medium"}
    assert load_progress(loaded_db_url, who).previous == slots["exercise_set"]


async def test_high_pain_and_leg_pain_change_the_choice(domain, tracker_factory, base: ReferenceBase) -> None:
    dispatcher, slots = await suggest(domain, tracker_factory, sender(), pain=8, leg_pain=True, activity="high")
    chosen = [base.exercises.get(key) for key in slots["exercise_set"]]
    assert {e.level for e in chosen} == {"easy"}
    assert not any(e.end_range for e in chosen)
    assert {e.category for e in chosen} == {"mobility", "aerobic", "relaxation"}
    said = responses(dispatcher)
    assert said[:2] == ["utter_exercise_intro_high_pain", "utter_exercise_intro_leg_pain"]


async def rate(domain, tracker_factory, who: str, text: str, slots: dict, entities=None) -> tuple[list, dict]:
    dispatcher = CollectingDispatcher()
    tracker = tracker_factory(text, "rate_exercise", entities=entities, slots=slots, sender_id=who)
    events = await ActionRateExercises().run(dispatcher, tracker, domain)
    return responses(dispatcher), slots_of(events)


async def test_it_hurt_more_steps_down_and_is_remembered(
    domain, tracker_factory, base: ReferenceBase, loaded_db_url
) -> None:
    who = sender()
    _, first = await suggest(domain, tracker_factory, who, pain=3, activity="some", confidence="medium")
    said, second = await rate(domain, tracker_factory, who, "it hurt more", first)
    assert said[0] == "utter_exercise_rated_worse" and "utter_exercise_card" in said
    before = [base.exercises.get(key) for key in first["exercise_set"]]
    after = [base.exercises.get(key) for key in second["exercise_set"]]
    assert not set(first["exercise_set"]) & set(second["exercise_set"])
    assert sum(e.level_rank for e in after) < sum(e.level_rank for e in before)
    assert load_progress(loaded_db_url, who).ratings == {key: "worse" for key in first["exercise_set"]}


@pytest.mark.parametrize(
    "rating, text, compare",
    [
        ("too_easy", "", lambda before, after: after > before),
        ("right", "", lambda before, after: after == before),
        ("too_hard", "", lambda before, after: after < before),
        (None, "øvelsene var for lette", lambda before, after: after > before),
        (None, "for tungt", lambda before, after: after < before),
    ],
    ids=["button-too-easy", "button-right", "button-too-hard", "typed-too-easy", "typed-too-hard"],
)
async def test_ratings_step_up_stay_or_step_down(domain, tracker_factory, base, rating, text, compare) -> None:
    who = sender()
    _, first = await suggest(domain, tracker_factory, who, pain=2, activity="some", confidence="medium")
    entities = [{"entity": "exercise_rating", "value": rating}] if rating else []
    said, second = await rate(domain, tracker_factory, who, text or "/rate_exercise", first, entities)
    levels = [sum(base.exercises.get(k).level_rank for k in s["exercise_set"]) for s in (first, second)]
    assert compare(*levels), (first["exercise_set"], second["exercise_set"])
    assert said[0] == f"utter_exercise_rated_{rating or ('too_easy' if 'lette' in text else 'too_hard')}"


async def test_a_returning_person_is_progressed_from_what_was_stored(domain, tracker_factory, base) -> None:
    who = sender()
    _, first = await suggest(domain, tracker_factory, who, pain=2, activity="some", confidence="medium")
    # A new conversation with the same sender id: no slots, only the database remembers.
    said, second = await rate(domain, tracker_factory, who, "too easy", {})
    assert said[0] == "utter_exercise_rated_too_easy"
    assert second["exercise_profile"] == first["exercise_profile"]
    assert all(base.exercises.get(key).level == "hard" for key in second["exercise_set"])


async def test_rating_before_any_suggestion_starts_the_questions(domain, tracker_factory) -> None:
    said, _ = await rate(domain, tracker_factory, sender(), "too easy", {})
    assert said == ["utter_exercise_nothing_to_rate"]
    dispatcher = CollectingDispatcher()
    events = await ActionRateExercises().run(
        dispatcher, tracker_factory("for lett", "rate_exercise", sender_id=sender()), domain
    )
    assert FollowupAction("exercise_form") in events


@pytest.mark.parametrize("action", [ActionOfferExercises, ActionSuggestExercises, ActionRateExercises, ActionWeekPlan])
async def test_no_exercise_while_a_red_flag_is_open(domain, tracker_factory, action) -> None:
    dispatcher = CollectingDispatcher()
    slots = {**profile_slots(pain=2), "red_flag_raised": True, "exercise_set": ["bridge"]}
    slots["exercise_profile"] = {"pain_now": 2, "leg_pain": False, "activity": "some", "confidence": "medium"}
    await action().run(dispatcher, tracker_factory("for lett", "rate_exercise", slots=slots), domain)
    said = responses(dispatcher)
    assert said == ["utter_exercise_blocked"]


async def test_the_week_plan_has_three_sessions_and_a_walking_goal(domain, tracker_factory, base) -> None:
    who = sender()
    _, first = await suggest(domain, tracker_factory, who, pain=8, activity="low", confidence="low")
    dispatcher = CollectingDispatcher()
    tracker = tracker_factory("plan for uka", "request_week_plan", slots=first, sender_id=who)
    await ActionWeekPlan().run(dispatcher, tracker, domain)
    plan = dispatcher.messages[0]
    assert plan["response"] == "utter_week_plan"
    assert plan["walking_minutes"] == base.exercises.walking_goal_minutes["easy"]
    sessions = plan["sessions"].splitlines()
    assert [line.split(" (")[0] for line in sessions] == ["Økt 1", "Økt 2", "Økt 3"]
    for key in first["exercise_set"]:
        assert all(base.exercises.get(key).texts["nb"].name in line for line in sessions)
    assert responses(dispatcher)[-2:] == ["utter_exercise_pain_guidance", "utter_exercise_source"]
    assert "Thomeé" in dispatcher.messages[-1]["sources"] or "Thomee" in dispatcher.messages[-1]["sources"]


async def test_the_week_plan_in_english_and_without_a_profile(domain, tracker_factory) -> None:
    who = sender()
    _, first = await suggest(domain, tracker_factory, who, pain=2, activity="high", confidence="high")
    dispatcher = CollectingDispatcher()
    tracker = tracker_factory(
        "plan for the week", "request_week_plan", slots={**first, "language": "en"}, sender_id=who
    )
    await ActionWeekPlan().run(dispatcher, tracker, domain)
    assert dispatcher.messages[0]["sessions"].startswith("Session 1 (Monday): ")
    dispatcher = CollectingDispatcher()
    events = await ActionWeekPlan().run(dispatcher, tracker_factory("plan", sender_id=sender()), domain)
    assert responses(dispatcher) == ["utter_exercise_first_questions"]
    assert events == [FollowupAction("exercise_form")]


@pytest.mark.parametrize(
    "card, offered", [("after_surgery", False), ("pregnancy_pelvic_girdle", False), ("movement_general", True)]
)
async def test_no_exercise_offer_after_an_answer_for_recent_surgery_or_pregnancy(
    domain, tracker_factory, actions_use_test_db, card, offered
) -> None:
    dispatcher = CollectingDispatcher()
    await ActionOfferExercises().run(dispatcher, tracker_factory("", slots={"last_card": card}), domain)
    assert responses(dispatcher) == (["utter_offer_exercises"] if offered else [])
