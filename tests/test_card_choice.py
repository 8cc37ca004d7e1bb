"""Choosing the answer card: the cards' questions, the topic, the entities and the safety cards."""

from __future__ import annotations

import pytest

from ryggvett.answers import Mention
from ryggvett.card_choice import answer_message, choose_card, intent_ranking, nearest_cards, question_parts, sure_card
from ryggvett.card_ranking import CardEvidence, CardRanker
from tests.cards import make_card


def card(key: str, intent: str = "ask_medication", general: bool = False, priority=None, questions=(), **entities):
    return make_card(key, intent, priority, general, questions, **entities)


GENERAL = card("medication_general", general=True, questions=["do painkillers help my back?"])
NSAID = card("medication_nsaid", medication=["nsaid"], questions=["does ibuprofen help back pain?"])
NSAID_DAYS = card("nsaid_how_long", questions=["how many days in a row can i take ibuprofen?"])
GELS = card("nsaid_gels", questions=["does an anti-inflammatory gel rubbed on the back help?"])
DOSE = card("medication_personal_dose", priority="safety", med_concern=["dose"], questions=["how much can i take?"])
MRI = card("imaging_report_bulge", intent="ask_imaging", questions=["my mri says disc bulge, what does it mean?"])
CARDS = [GENERAL, NSAID, NSAID_DAYS, GELS, DOSE, MRI]


def evidence(**fit: float) -> CardEvidence:
    """Fit values as given; every card close enough to count as evidence."""
    return CardEvidence(fit, {key: 0.5 for key in fit})


def test_the_card_whose_questions_fit_best_answers():
    ranker = CardRanker(CARDS)
    text = "How many days in a row is it OK to take ibuprofen?"
    choice = choose_card(CARDS, "ask_medication", [], [("ask_medication", 0.9)], ranker.evidence(text))
    assert choice.card == NSAID_DAYS and not choice.unsure


def test_a_mentioned_entity_tips_the_balance():
    found = evidence(nsaid_gels=0.30, medication_nsaid=0.25)
    choice = choose_card(CARDS, "ask_medication", [Mention("medication", "nsaid", 10)], [], found)
    assert choice.card == NSAID


def test_close_and_unsure_asks_which_card_was_meant():
    found = evidence(nsaid_how_long=0.2, nsaid_gels=0.195)
    choice = choose_card(CARDS, "ask_medication", [], [("ask_medication", 0.4)], found)
    assert choice.unsure and choice.options[:2] == (NSAID_DAYS, GELS)


def test_a_safety_card_answers_unless_another_card_fits_clearly_better():
    mentions = [Mention("med_concern", "dose", 0)]
    assert choose_card(CARDS, "ask_medication", mentions, [], evidence(medication_personal_dose=0.3)).card == DOSE
    close = evidence(nsaid_gels=0.4, medication_personal_dose=0.3)
    assert choose_card(CARDS, "ask_medication", mentions, [], close).card == DOSE


def test_a_clearly_better_card_answers_with_the_safety_card_first():
    mentions = [Mention("med_concern", "dose", 0)]
    choice = choose_card(
        CARDS, "ask_medication", mentions, [], evidence(nsaid_how_long=0.9, medication_personal_dose=0.1)
    )
    assert choice.card == NSAID_DAYS and choice.notes == (DOSE,)


def test_the_general_card_never_pushes_a_safety_card_aside():
    mentions = [Mention("med_concern", "dose", 0)]
    choice = choose_card(CARDS, "ask_medication", mentions, [], evidence(medication_general=0.9))
    assert choice.card == DOSE and choice.notes == ()


def test_nothing_close_gives_the_general_card():
    far = CardEvidence({"nsaid_gels": 0.8}, {"nsaid_gels": 0.05})
    assert choose_card(CARDS, "ask_medication", [], [("ask_medication", 0.9)], far).card == GENERAL


def test_a_card_of_another_topic_answers_when_the_words_are_its_own():
    ranker = CardRanker(CARDS)
    text = "the mri report said disc bulge, what does that mean?"
    intents = [("ask_medication", 0.55), ("ask_imaging", 0.45)]
    assert choose_card(CARDS, "ask_medication", [], intents, ranker.evidence(text)).card == MRI


def test_without_a_topic_only_a_clear_lead_answers():
    assert sure_card(evidence(nsaid_gels=0.6, medication_nsaid=0.3), words=8) == "nsaid_gels"
    assert sure_card(evidence(nsaid_gels=0.6, medication_nsaid=0.55), words=8) is None
    # A few words come near cards by chance: they must come closer.
    near = CardEvidence({"nsaid_gels": 0.6, "medication_nsaid": 0.3}, {"nsaid_gels": 0.3})
    assert sure_card(near, words=8) == "nsaid_gels" and sure_card(near, words=2) is None


def test_cards_are_offered_best_fit_first_only_when_one_comes_close():
    found = CardEvidence({"nsaid_gels": 0.2, "mri": 0.5, "medication_nsaid": 0.1}, {"nsaid_gels": 0.45})
    assert nearest_cards(found, limit=2) == ["mri", "nsaid_gels"]
    assert nearest_cards(CardEvidence({"mri": 0.5}, {"mri": 0.1})) == []


def test_the_intent_ranking_is_read_from_rasas_parse_data():
    ranking = [{"name": "ask_imaging", "confidence": 0.7}, {"name": "ask_medication", "confidence": 0.2}]
    parse = {"intent_ranking": ranking}
    assert intent_ranking(parse) == [("ask_imaging", 0.7), ("ask_medication", 0.2)]
    assert intent_ranking({}) == []


def test_a_message_is_split_where_a_new_question_starts():
    assert question_parts("Hvor lenge kan jeg ta Ibux? Og hjelper det med varmepute?") == [
        "Hvor lenge kan jeg ta Ibux?",
        "hjelper det med varmepute?",
    ]
    assert question_parts("How long can I take ibuprofen, and should I use heat or ice?") == [
        "How long can I take ibuprofen",
        "should I use heat or ice?",
    ]
    # A story before one question is one question.
    assert question_parts("Jeg har hatt vondt i tre uker. Hva bør jeg gjøre?") == ["Hva bør jeg gjøre?"]


HEAT = card("treatment_heat", intent="ask_treatment_options", questions=["does a heat pad help my back?"])


def test_a_second_question_is_offered_beside_the_answer():
    cards = [*CARDS, HEAT]
    ranker = CardRanker(cards)
    text = "How many days in a row can I take ibuprofen? And does a heat pad help?"
    answer = answer_message(cards, text, "ask_medication", [], [("ask_medication", 0.9)], ranker.evidence)
    assert answer.choice.card == NSAID_DAYS and answer.also == HEAT
    one = answer_message(
        cards, "How many days in a row can I take ibuprofen?", "ask_medication", [], [], ranker.evidence
    )
    assert one.choice.card == NSAID_DAYS and one.also is None


def test_a_cards_own_question_is_nearest_to_it_and_fits_it_best():
    ranker = CardRanker(CARDS)
    found = ranker.evidence("does an anti-inflammatory gel rubbed on the back help?")
    assert max(found.similarity, key=found.similarity.get) == "nsaid_gels"
    assert found.similarity["nsaid_gels"] == pytest.approx(1.0)
    assert all(0.0 <= value <= 1.0 + 1e-9 for value in found.similarity.values())
    assert max(found.fit, key=found.fit.get) == "nsaid_gels" and set(found.fit) == {c.key for c in CARDS}
