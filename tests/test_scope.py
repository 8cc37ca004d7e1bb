"""What lies outside low back pain (content/scope.yml) becomes out_of_scope; back questions stay."""

from __future__ import annotations

import pytest

from ryggvett.scope import default_scope


@pytest.mark.parametrize(
    "text",
    [
        "jeg har vondt i nakken etter jobb",
        "Eg har fått livmorframfall etter fødselen",
        "bad period cramps, what should i take",
        "my dachshund has back problems, what can I do?",
        "how do I get rid of back acne?",
        "tennisalbue, hva hjelper?",
        "hvilken ryggsekk er best til skolestart?",
        "which backpack is best for a 7 year old?",
        "vondt i en jeksel, kan jeg ta Ibux?",
        "which exercises strengthen the knee after a meniscus tear?",
        "gravid og mye kvalme om morgenen, hva kan jeg ta?",
    ],
)
def test_other_complaints_are_outside(text):
    assert default_scope().is_outside(text)


@pytest.mark.parametrize(
    "text",
    [
        "vondt i nakken og korsryggen, hva gjør jeg?",
        "Kan tung ryggsekk gi vondt i ryggen?",  # a backpack, and the back
        "Is a heavy backpack bad for my back?",
        "Will marathon training wear out my discs?",
        "kan eg gå på tur med hunden når eg har hekseskot",
        "Kan jeg ta Paracet mens jeg ammer?",  # «mens» is "while"
        "Smertene stråler ned til kneet på høyre side når jeg sitter lenge",
        "my foot is floppy and i cant walk on my heels",
        "Kan jeg gå tur med hunden selv om ryggen er vond?",
        "Do heavy backpacks cause back problems in kids?",
        "er knekking like bra som trening?",
    ],
)
def test_back_questions_stay_in_scope(text):
    assert not default_scope().is_outside(text)


def test_a_message_naming_only_the_back_is_a_back_question():
    scope = default_scope()
    assert scope.names_the_back("Hjälper Alvedon mot ont i ryggen?")
    assert scope.names_the_back("Hvordan kommer jeg i gang med at løbe igen efter ondt i ryggen?")
    # The low back in Swedish and Danish.
    assert scope.names_the_back("Hjälper värme mot ont i ländryggen?")
    assert scope.names_the_back("jeg har ondt i lænden, hvad gør jeg?")
    assert not scope.names_the_back("vondt i nakken, hva gjør jeg?")
    assert not scope.names_the_back("how do I get rid of back acne?")


def _parsed(text: str, ranking: list[tuple[str, float]]):
    from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, TEXT
    from rasa.shared.nlu.training_data.message import Message

    intents = [{"name": name, "confidence": confidence} for name, confidence in ranking]
    return Message(data={TEXT: text, INTENT: intents[0], INTENT_RANKING_KEY: intents})


def test_the_guard_turns_a_back_question_read_as_out_of_scope_into_the_next_intent():
    from nlu_components.scope import ScopeGuard

    guard = ScopeGuard({"threshold": 0.25})
    sure = _parsed("Hjälper Alvedon mot ont i ryggen?", [("out_of_scope", 0.5), ("ask_medication", 0.4)])
    unsure = _parsed("Vad betyder det att ryggen gör ont?", [("out_of_scope", 0.8), ("ask_pain_meaning", 0.1)])
    neck = _parsed("vondt i nakken, hva gjør jeg?", [("ask_pain_meaning", 0.7), ("out_of_scope", 0.2)])
    guard.process([sure, unsure, neck])
    assert sure.get("intent")["name"] == "ask_medication"
    assert [r["name"] for r in sure.get("intent_ranking")] == ["ask_medication"]
    assert unsure.get("intent")["name"] == "nlu_fallback"
    assert neck.get("intent") == {"name": "out_of_scope", "confidence": 1.0}
    # The assistant answers a strongly fitting card only when no outside word was named.
    assert [m.get("scope") for m in (sure, unsure, neck)] == [{"outside": False}, {"outside": False}, {"outside": True}]
