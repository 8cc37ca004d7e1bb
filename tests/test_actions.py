"""Custom actions with CollectingDispatcher and tracker fixtures: exact events and texts."""

from __future__ import annotations

import json

import pytest
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.actions_answers import (
    ActionAnswerMore,
    ActionAnswerOutOfScope,
    ActionAnswerTopic,
    ActionClarifyOptions,
    ActionListSources,
)
from actions.actions_safety_marks import ActionExplainRedFlag, ActionMarkCrisis, ActionMarkRedFlag

pytestmark = pytest.mark.usefixtures("actions_use_test_db")

IBUX = {"entity": "medication", "value": "nsaid", "start": 8, "end": 12, "extractor": "SpacyEntityExtractor"}


def card_for(base, intent, **entities):
    matches = [c for c in base.cards_for(intent) if all(v in c.entities.get(k, ()) for k, v in entities.items())]
    if not entities:
        matches = [c for c in matches if c.general]
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
    assert events == [SlotSet("last_card", card.key), SlotSet("last_source", sources), SlotSet("card_unsure", False)]


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
    tracker = tracker_factory("hmm??", "nlu_fallback", [IBUX], slots={"language": "en"}, intent_ranking=ranking)
    messages, events = await run(ActionClarifyOptions(), tracker, domain)
    assert messages[0]["response"] == "utter_default"
    assert messages[1]["buttons"] == [
        {
            "title": base.topic_label("ask_medication", "en"),
            "payload": "/ask_medication" + json.dumps({"medication": "nsaid"}),
        },
        {
            "title": base.topic_label("ask_treatment_options", "en"),
            "payload": "/ask_treatment_options" + json.dumps({"medication": "nsaid"}),
        },
    ]
    assert events == [SlotSet("card_unsure", True)]


async def test_safety_markers_set_their_slots(domain, tracker_factory):
    # The classifier alone (no urgency): the most urgent tier is kept.
    assert (await run(ActionMarkRedFlag(), tracker_factory(), domain)) == (
        [],
        [SlotSet("red_flag_raised", True), SlotSet("red_flag_tier", "emergency")],
    )
    # A GP appointment after a 113 reply does not lower the tier.
    tracker = tracker_factory(slots={"red_flag_urgency": "gp_soon", "red_flag_tier": "emergency"})
    assert (await run(ActionMarkRedFlag(), tracker, domain))[1][-1] == SlotSet("red_flag_tier", "emergency")
    tracker = tracker_factory(slots={"red_flag_urgency": "gp_soon"})
    assert (await run(ActionMarkRedFlag(), tracker, domain))[1][-1] == SlotSet("red_flag_tier", "gp_soon")
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
    assert [b["payload"] for b in messages[1]["buttons"]] == [f"/{intent}" for intent in COMMON_TOPICS]
    assert messages[1]["buttons"][0]["title"] == base.topic_label(COMMON_TOPICS[0], "nb")


async def test_a_card_chosen_on_a_button_is_answered_exactly(base, domain, tracker_factory):
    card = base.card("nsaid_gel")
    entity = {"entity": "card", "value": card.key, "start": 0, "end": 0}
    tracker = tracker_factory(f'/ask_medication{{"card": "{card.key}"}}', "ask_medication", [entity])
    messages, events = await run(ActionAnswerTopic(), tracker, domain)
    assert [m["text"] for m in messages] == [card.texts["nb"].short]
    assert SlotSet("card_unsure", False) in events


async def test_an_unsure_reading_offers_the_closest_cards_by_title(base, domain, tracker_factory):
    card = base.card("treatment_manual_therapy")
    # Words of two cards (a painkiller, a chiropractor): no card clearly fits, so the closest are offered.
    question = "ibux eller kiropraktor"
    ranking = [{"name": "nlu_fallback", "confidence": 0.5}, {"name": "ask_medication", "confidence": 0.2}]
    tracker = tracker_factory(question, "nlu_fallback", slots={"language": "en"}, intent_ranking=ranking)
    messages, events = await run(ActionClarifyOptions(), tracker, domain)
    buttons = messages[1]["buttons"]
    assert {"title": card.title["en"], "payload": "/ask_treatment_options" + json.dumps({"card": card.key})} in buttons
    assert 2 <= len(buttons) <= 3 and all('"card"' in button["payload"] for button in buttons)
    assert events == [SlotSet("card_unsure", True)]


async def test_a_card_that_clearly_fits_answers_though_the_topic_was_unclear(base, domain, tracker_factory):
    card = base.card("nsaid_gel")
    question = card.questions["en"][0]
    ranking = [{"name": "nlu_fallback", "confidence": 0.5}, {"name": "ask_medication", "confidence": 0.2}]
    tracker = tracker_factory(question, "nlu_fallback", slots={"language": "en"}, intent_ranking=ranking)
    messages, events = await run(ActionClarifyOptions(), tracker, domain)
    assert messages[-1]["text"] == card.texts["en"].short
    assert SlotSet("last_card", card.key) in events and SlotSet("card_unsure", False) in events


async def test_a_second_question_in_the_message_is_offered_as_a_button(base, domain, tracker_factory):
    question = "Hvor lenge kan jeg ta Ibux? Og hjelper det med varmepute?"
    ranking = [{"name": "ask_medication", "confidence": 0.8}, {"name": "ask_treatment_options", "confidence": 0.1}]
    tracker = tracker_factory(question, "ask_medication", intent_ranking=ranking)
    messages, events = await run(ActionAnswerTopic(), tracker, domain)
    # One question is answered, the other offered by its title.
    both = [base.card("nsaid_days_in_a_row"), base.card("treatment_heat_pad")]
    answered = next(card for card in both if messages[0]["text"] == card.texts["nb"].short)
    offered = next(card for card in both if card.key != answered.key)
    assert messages[1]["response"] == "utter_also_asked"
    assert messages[1]["buttons"] == [
        {"title": offered.title["nb"], "payload": f"/{offered.intent}" + json.dumps({"card": offered.key})}
    ]
    assert SlotSet("last_card", answered.key) in events


@pytest.mark.parametrize("action", [ActionAnswerTopic(), ActionClarifyOptions()])
async def test_an_unconfirmed_alarm_gets_the_red_flag_checklist_first(base, domain, tracker_factory, action):
    card = base.card("cause_smoking")
    question = card.questions["nb"][0]
    ranking = [{"name": "ask_pain_meaning", "confidence": 0.3}]
    tracker = tracker_factory(
        question, "ask_pain_meaning", intent_ranking=ranking, parsed={"safety": {"unconfirmed": True}}
    )
    messages, events = await run(action, tracker, domain)
    assert messages[0]["response"] == "utter_red_flag_checklist"
    assert messages[-1]["text"] == card.texts["nb"].short
    # No alarm: the conversation is not marked, so exercises are not held back.
    assert "red_flag_raised" not in slots_set(events)
    plain = tracker_factory(question, "ask_pain_meaning", intent_ranking=ranking)
    messages, _ = await run(action, plain, domain)
    assert "utter_red_flag_checklist" not in [m.get("response") for m in messages]


async def test_a_card_answers_what_only_the_classifier_read_as_out_of_scope(base, domain, tracker_factory):
    card = base.card("daily_graded_sick_leave")
    question = card.questions["nb"][0]
    inside = tracker_factory(question, "out_of_scope", parsed={"scope": {"outside": False}}, slots={"last_card": "x"})
    messages, events = await run(ActionAnswerOutOfScope(), inside, domain)
    assert [m["text"] for m in messages] == [card.texts["nb"].short]
    assert SlotSet("last_card", card.key) in events
    # An outside word named ("kneet"), or no card fitting strongly: out of scope, and no earlier card kept.
    for outside, text in ((True, question), (False, "hva blir været i morgen")):
        parsed = {"scope": {"outside": outside}}
        tracker = tracker_factory(text, "out_of_scope", parsed=parsed, slots={"last_card": "x"})
        messages, events = await run(ActionAnswerOutOfScope(), tracker, domain)
        assert [m["response"] for m in messages] == ["utter_out_of_scope"]
        assert events == [SlotSet("last_card", None), SlotSet("last_source", None)]


@pytest.mark.parametrize("urgency", ["gp_today", "gp_soon"])
async def test_a_see_a_doctor_reply_is_explained_by_the_card_that_clearly_fits(base, domain, tracker_factory, urgency):
    card = base.card("red_flags_child_back_pain")
    question = card.questions["nb"][0]
    tracker = tracker_factory(question, "report_red_flag", slots={"red_flag_urgency": urgency})
    messages, events = await run(ActionExplainRedFlag(), tracker, domain)
    sources = "; ".join(source.short for source in base.sources_of(card))
    assert messages[-2]["text"] == card.texts["nb"].short
    assert messages[-1] == {**messages[-1], "response": "utter_source_line", "last_source": sources}
    assert SlotSet("last_card", card.key) in events and SlotSet("last_source", sources) in events


@pytest.mark.parametrize(
    ("urgency", "question"),
    [
        ("emergency", None),
        ("poison", None),
        ("gp_soon", "hmm"),
        ("gp_today", "min datter har feber, hvor meget panodil må hun få?"),  # a card fits, but not about the back
    ],
)
async def test_no_card_after_113_or_giftinformasjonen_or_when_none_clearly_fits(
    base, domain, tracker_factory, urgency, question
):
    text = question or base.card("red_flags_child_back_pain").questions["nb"][0]
    tracker = tracker_factory(text, "report_red_flag", slots={"red_flag_urgency": urgency})
    assert await run(ActionExplainRedFlag(), tracker, domain) == ([], [])
