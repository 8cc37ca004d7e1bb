"""Custom actions with CollectingDispatcher and tracker fixtures: exact events and texts."""

from __future__ import annotations

import json

import pytest
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.actions_answers import ActionAnswerMore, ActionAnswerTopic, ActionClarifyOptions, ActionListSources
from actions.actions_safety import ActionMarkCrisis, ActionMarkRedFlag
from actions.actions_turn import ValidateSlotMappings
from ryggvett.responses import render

pytestmark = pytest.mark.usefixtures("actions_use_test_db")

IBUX = {"entity": "medication", "value": "nsaid", "start": 8, "end": 12, "extractor": "SpacyEntityExtractor"}


def card_for(base, intent, **entities):
    matches = [c for c in base.cards_for(intent) if all(v in c.entities.get(k, ()) for k, v in entities.items())]
    if not entities:
        matches = [c for c in matches if not c.entities]
    assert len(matches) == 1, f"expected one {intent} card for {entities}, found {[c.key for c in matches]}"
    return matches[0]


def slots_set(events):
    assert all(e["event"] == "slot" for e in events)
    return {e["name"]: e["value"] for e in events}


async def run(action, tracker, domain):
    dispatcher = CollectingDispatcher()
    events = await action.run(dispatcher, tracker, domain)
    return dispatcher.messages, events


@pytest.mark.parametrize("language", ["nb", "en"])
async def test_ibux_question_gets_the_nsaid_card(base, domain, tracker_factory, language):
    card = card_for(base, "ask_medication", medication="nsaid")
    tracker = tracker_factory("Hjelper Ibux?", "ask_medication", [IBUX], slots={"language": language})
    messages, events = await run(ActionAnswerTopic(), tracker, domain)
    assert [m["text"] for m in messages] == [card.texts[language].short]
    sources = "; ".join(s.short for s in base.sources_of(card))
    assert events == [SlotSet("last_card", card.key), SlotSet("last_source", sources)]


async def test_a_question_without_entities_gets_the_general_card(base, domain, tracker_factory):
    card = card_for(base, "ask_medication")
    messages, events = await run(ActionAnswerTopic(), tracker_factory("Hjelper piller?", "ask_medication"), domain)
    assert [m["text"] for m in messages] == [card.texts["nb"].short]
    assert events[0] == SlotSet("last_card", card.key)


async def test_every_topic_intent_is_answered_in_both_languages(base, domain, tracker_factory):
    from ryggvett.contract import TOPIC_INTENTS

    for intent in TOPIC_INTENTS:
        for language in ("nb", "en"):
            tracker = tracker_factory("?", intent, slots={"language": language})
            messages, events = await run(ActionAnswerTopic(), tracker, domain)
            card = base.card(events[0]["value"])
            assert card is not None and card.intent == intent
            assert messages[0]["text"] == card.texts[language].short


@pytest.mark.parametrize("language", ["nb", "en"])
async def test_more_gives_the_long_text_of_the_last_card(base, domain, tracker_factory, language):
    card = card_for(base, "ask_medication", medication="nsaid")
    tracker = tracker_factory("fortell mer", "ask_more", slots={"last_card": card.key, "language": language})
    messages, events = await run(ActionAnswerMore(), tracker, domain)
    assert [m["text"] for m in messages] == [card.texts[language].long]
    assert events == []


async def test_more_without_an_answer_says_so(domain, tracker_factory):
    messages, events = await run(ActionAnswerMore(), tracker_factory("mer", "ask_more"), domain)
    assert messages[0]["response"] == "utter_nothing_more"
    assert events == []


async def test_sources_lists_the_full_references_of_the_last_answer(base, domain, tracker_factory):
    card = card_for(base, "ask_medication", medication="nsaid")
    tracker = tracker_factory("kilder?", "ask_sources", slots={"last_card": card.key})
    messages, events = await run(ActionListSources(), tracker, domain)
    expected = "\n".join(f"{n}. {s.full_reference()}" for n, s in enumerate(base.sources_of(card), start=1))
    assert [m["text"] for m in messages] == [expected]
    assert "NICE" in expected or "nice" in expected.lower()
    assert events == []


async def test_clarify_offers_the_two_likeliest_topics_in_the_persons_language(base, domain, tracker_factory):
    ranking = [
        {"name": "nlu_fallback", "confidence": 0.4},
        {"name": "ask_medication", "confidence": 0.31},
        {"name": "greet", "confidence": 0.2},
        {"name": "ask_treatment_options", "confidence": 0.29},
        {"name": "ask_imaging", "confidence": 0.01},
    ]
    tracker = tracker_factory(
        "ibux eller kiropraktor", "nlu_fallback", [IBUX], slots={"language": "en"}, intent_ranking=ranking
    )
    messages, events = await run(ActionClarifyOptions(), tracker, domain)
    assert messages[0]["buttons"] == [
        {
            "title": base.topic_label("ask_medication", "en"),
            "payload": "/ask_medication" + json.dumps({"medication": "nsaid"}),
        },
        {
            "title": base.topic_label("ask_treatment_options", "en"),
            "payload": "/ask_treatment_options" + json.dumps({"medication": "nsaid"}),
        },
    ]
    assert events == []


@pytest.mark.parametrize(
    ("text", "intent", "entities", "slots", "expected"),
    [
        ("Does Voltaren help?", "ask_medication", [], {"language": "nb"}, {"language": "en", "language_pinned": False}),
        ("Hjelper Voltaren?", "ask_medication", [], {"language": "en"}, {"language": "nb", "language_pinned": False}),
        ("ok", "affirm", [], {"language": "en"}, {"language": "en", "language_pinned": False}),
        (
            "Kan du svare på engelsk?",
            "change_language",
            [{"entity": "language", "value": "en", "start": 17, "end": 24}],
            {"language": "nb"},
            {"language": "en", "language_pinned": True},
        ),
        (
            "Hjelper Voltaren?",
            "ask_medication",
            [],
            {"language": "en", "language_pinned": True},
            {"language": "en", "language_pinned": True},
        ),
        ("switch language", "change_language", [], {"language": "en"}, {"language": "nb", "language_pinned": True}),
    ],
)
async def test_the_turn_hook_sets_the_answer_language(domain, tracker_factory, text, intent, entities, slots, expected):
    tracker = tracker_factory(text, intent, entities, slots=slots)
    messages, events = await run(ValidateSlotMappings(), tracker, domain)
    assert messages == []
    assert slots_set(events) == {**expected, "red_flag_urgency": None, "diagnosis_question": False}


@pytest.mark.parametrize(("text", "language"), [("Er det farlig å løfte?", "nb"), ("Is it safe to lift?", "en")])
async def test_the_first_turn_starts_with_the_disclaimer_in_the_persons_language(
    domain, tracker_factory, text, language
):
    tracker = tracker_factory(text, "ask_movement_safety", slots={"disclaimer_shown": False, "language": "nb"})
    messages, events = await run(ValidateSlotMappings(), tracker, domain)
    disclaimer = render(domain["responses"], "utter_disclaimer", language)["text"]
    assert [m["text"] for m in messages] == [disclaimer]
    assert "113" in disclaimer and "116 117" in disclaimer
    assert slots_set(events) == {
        "language": language,
        "language_pinned": False,
        "red_flag_urgency": None,
        "diagnosis_question": False,
        "disclaimer_shown": True,
    }


async def test_a_red_flag_first_turn_is_not_delayed_by_the_disclaimer(domain, tracker_factory):
    tracker = tracker_factory("I can't control my bladder", "report_red_flag", slots={"disclaimer_shown": False})
    messages, events = await run(ValidateSlotMappings(), tracker, domain)
    assert messages == []
    assert SlotSet("disclaimer_shown", True) not in events


async def test_safety_markers_set_their_slots(domain, tracker_factory):
    assert (await run(ActionMarkRedFlag(), tracker_factory(), domain)) == ([], [SlotSet("red_flag_raised", True)])
    assert (await run(ActionMarkCrisis(), tracker_factory(), domain)) == ([], [SlotSet("crisis_raised", True)])


def test_every_response_has_both_languages(domain):
    for name, variations in domain["responses"].items():
        languages = {
            next((c["value"] for c in v.get("condition", []) if c.get("name") == "language"), "nb") for v in variations
        }
        assert languages == {"nb", "en"}, name


async def test_clarify_offers_common_topics_when_nothing_is_plausible(base, domain, tracker_factory):
    from ryggvett.clarify import COMMON_TOPICS

    ranking = [{"name": "nlu_fallback", "confidence": 0.4}, {"name": "out_of_scope", "confidence": 0.3}]
    tracker = tracker_factory("asdkj qwe", "nlu_fallback", intent_ranking=ranking)
    messages, _ = await run(ActionClarifyOptions(), tracker, domain)
    assert [b["payload"] for b in messages[0]["buttons"]] == [f"/{intent}" for intent in COMMON_TOPICS]
    assert messages[0]["buttons"][0]["title"] == base.topic_label(COMMON_TOPICS[0], "nb")


@pytest.mark.parametrize(
    ("text", "intent", "safety", "urgency"),
    [
        ("jeg har mistet kontrollen over blæra", "report_red_flag", {"urgency": "emergency"}, "emergency"),
        ("I have a fever and back pain", "report_red_flag", {"urgency": "gp_today"}, "gp_today"),
        ("something is very wrong", "report_red_flag", {"urgency": None}, None),
        ("er det farlig å løfte?", "ask_movement_safety", {"urgency": None}, None),
    ],
)
async def test_the_turn_hook_passes_on_the_red_flag_urgency(domain, tracker_factory, text, intent, safety, urgency):
    tracker = tracker_factory(text, intent)
    tracker.latest_message["safety"] = safety
    _, events = await run(ValidateSlotMappings(), tracker, domain)
    assert slots_set(events)["red_flag_urgency"] == urgency


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Har jeg prolaps?", True),
        ("Do I have sciatica?", True),
        ("Hva er prolaps?", False),
        ("what is sciatica", False),
    ],
)
async def test_the_turn_hook_marks_requests_for_a_diagnosis(domain, tracker_factory, text, expected):
    _, events = await run(ValidateSlotMappings(), tracker_factory(text, "ask_pain_meaning"), domain)
    assert slots_set(events)["diagnosis_question"] is expected


@pytest.mark.parametrize("language", ["nb", "en"])
async def test_the_web_widget_opening_payload_takes_the_page_language(domain, tracker_factory, language):
    tracker = tracker_factory("/greet", "greet", slots={"language": "nb", "disclaimer_shown": False})
    tracker.events[-1]["metadata"] = {"language": language}
    dispatcher = CollectingDispatcher()
    events = await ValidateSlotMappings().run(dispatcher, tracker, domain)
    assert (SlotSet("language", "en") in events) == (language == "en")
    assert dispatcher.messages[0]["text"] == render(domain["responses"], "utter_disclaimer", language)["text"]
