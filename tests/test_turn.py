"""The turn hook: Rasa's own slot extraction, with ryggvett/turn.py run in-process after each message."""

from __future__ import annotations

import pytest
from rasa.core.actions.action import ActionExtractSlots
from rasa.core.channels.channel import CollectingOutputChannel
from rasa.core.nlg import TemplatedNaturalLanguageGenerator
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, ActiveLoop, BotUttered, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

import rasa_extensions
from ryggvett.responses import render
from ryggvett.settings import PROJECT_ROOT
from ryggvett.turn import Turn, turn_slots

rasa_extensions.install()

SETTLED = {"language": "nb", "disclaimer_shown": True}


@pytest.fixture(scope="module")
def rasa_domain() -> Domain:
    return Domain.load(str(PROJECT_ROOT / "domain.yml"))


async def extract(
    rasa_domain: Domain,
    text: str,
    intent: str,
    entities: list | None = None,
    slots: dict | None = None,
    safety: dict | None = None,
    metadata: dict | None = None,
) -> tuple[list[BotUttered], dict]:
    """Runs Rasa's action_extract_slots on a conversation whose latest message is `text`."""
    events = [ActionExecuted("action_listen")]
    events += [SlotSet(name, value) for name, value in {**SETTLED, **(slots or {})}.items()]
    parse_data = {"text": text, "intent": {"name": intent, "confidence": 1.0}, "entities": entities or []}
    if safety is not None:
        parse_data["safety"] = safety
    events.append(UserUttered(text, parse_data["intent"], entities or [], parse_data, metadata=metadata))
    tracker = DialogueStateTracker.from_events("turn-test", events, slots=rasa_domain.slots)
    action = ActionExtractSlots(action_endpoint=None)
    nlg = TemplatedNaturalLanguageGenerator(rasa_domain.responses)
    result = await action.run(CollectingOutputChannel(), nlg, tracker, rasa_domain)
    said = [e for e in result if isinstance(e, BotUttered)]
    return said, {e.key: e.value for e in result if isinstance(e, SlotSet)}


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
async def test_each_message_sets_the_answer_language(rasa_domain, text, intent, entities, slots, expected):
    said, slots_set = await extract(rasa_domain, text, intent, entities, slots)
    assert said == []
    assert slots_set == {**expected, "red_flag_urgency": None, "diagnosis_question": False}


@pytest.mark.parametrize(("text", "language"), [("Er det farlig å løfte?", "nb"), ("Is it safe to lift?", "en")])
async def test_the_first_turn_starts_with_the_disclaimer_in_the_persons_language(rasa_domain, text, language):
    said, slots_set = await extract(rasa_domain, text, "ask_movement_safety", slots={"disclaimer_shown": False})
    disclaimer = render(rasa_domain.responses, "utter_disclaimer", language)["text"]
    assert [e.text for e in said] == [disclaimer]
    assert "113" in disclaimer and "116 117" in disclaimer
    assert slots_set == {
        "language": language,
        "language_pinned": False,
        "red_flag_urgency": None,
        "diagnosis_question": False,
        "disclaimer_shown": True,
    }


async def test_a_red_flag_first_turn_is_not_delayed_by_the_disclaimer(rasa_domain):
    said, slots_set = await extract(
        rasa_domain, "I can't control my bladder", "report_red_flag", slots={"disclaimer_shown": False}
    )
    assert said == []
    assert "disclaimer_shown" not in slots_set


@pytest.mark.parametrize(
    ("text", "intent", "safety", "urgency"),
    [
        ("jeg har mistet kontrollen over blæra", "report_red_flag", {"urgency": "emergency"}, "emergency"),
        ("I have a fever and back pain", "report_red_flag", {"urgency": "gp_today"}, "gp_today"),
        ("something is very wrong", "report_red_flag", {"urgency": None}, None),
        ("er det farlig å løfte?", "ask_movement_safety", {"urgency": "emergency"}, None),
    ],
)
async def test_the_red_flag_urgency_comes_from_the_safety_component(rasa_domain, text, intent, safety, urgency):
    _, slots_set = await extract(rasa_domain, text, intent, safety=safety)
    assert slots_set["red_flag_urgency"] == urgency


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Har jeg prolaps?", True),
        ("Do I have sciatica?", True),
        ("Hva er prolaps?", False),
        ("what is sciatica", False),
    ],
)
async def test_requests_for_a_diagnosis_are_marked(rasa_domain, text, expected):
    _, slots_set = await extract(rasa_domain, text, "ask_pain_meaning")
    assert slots_set["diagnosis_question"] is expected


@pytest.mark.parametrize("language", ["nb", "en"])
async def test_the_web_widget_opening_payload_takes_the_page_language(rasa_domain, language):
    said, slots_set = await extract(
        rasa_domain, "/greet", "greet", slots={"disclaimer_shown": False}, metadata={"language": language}
    )
    assert slots_set["language"] == language
    assert said[0].text == render(rasa_domain.responses, "utter_disclaimer", language)["text"]


async def test_a_pinned_language_outlasts_the_page_hint(rasa_domain):
    _, slots_set = await extract(
        rasa_domain, "/greet", "greet", slots={"language": "en", "language_pinned": True}, metadata={"language": "nb"}
    )
    assert slots_set["language"] == "en"


async def test_form_slots_are_still_extracted_by_rasa(rasa_domain):
    events = [
        ActionExecuted("action_listen"),
        *(SlotSet(name, value) for name, value in SETTLED.items()),
        ActionExecuted("callback_form"),
        ActiveLoop("callback_form"),
        SlotSet("requested_slot", "callback_consent"),
        UserUttered("ja", {"name": "affirm", "confidence": 1.0}, [], {"text": "ja"}),
    ]
    tracker = DialogueStateTracker.from_events("turn-form", events, slots=rasa_domain.slots)
    nlg = TemplatedNaturalLanguageGenerator(rasa_domain.responses)
    result = await ActionExtractSlots(None).run(CollectingOutputChannel(), nlg, tracker, rasa_domain)
    slots_set = {e.key: e.value for e in result if isinstance(e, SlotSet)}
    assert slots_set["callback_consent"] is True
    assert slots_set["language"] == "nb"


def test_the_turn_rules_need_no_rasa():
    outcome = turn_slots(Turn(text="Is it safe to lift?", intent="ask_movement_safety", language="nb"), "nb")
    assert outcome.slots["language"] == "en"
    assert outcome.disclaimer_language == "en"
    assert turn_slots(Turn(text="hei", intent="greet", disclaimer_shown=True), "nb").disclaimer_language is None
