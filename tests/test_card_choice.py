"""Choosing the answer card: safety rules first, then the cards' questions, the topic and the entities."""

from __future__ import annotations

from ryggvett.answers import Mention
from ryggvett.card_choice import choose_card, intent_ranking
from ryggvett.card_ranking import CardRanker
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


def test_the_card_whose_questions_are_closest_answers():
    ranker = CardRanker(CARDS)
    text = "How many days in a row is it OK to take ibuprofen?"
    choice = choose_card(CARDS, "ask_medication", [], [("ask_medication", 0.9)], ranker.similarities(text))
    assert choice.card == NSAID_DAYS and not choice.unsure


def test_a_mentioned_entity_tips_the_balance():
    similar = {"nsaid_gels": 0.30, "medication_nsaid": 0.25}
    choice = choose_card(CARDS, "ask_medication", [Mention("medication", "nsaid", 10)], [], similar)
    assert choice.card == NSAID


def test_close_and_unsure_asks_which_card_was_meant():
    similar = {"nsaid_how_long": 0.2, "nsaid_gels": 0.195}
    choice = choose_card(CARDS, "ask_medication", [], [("ask_medication", 0.4)], similar)
    assert choice.unsure and choice.options[:2] == (NSAID_DAYS, GELS)


def test_a_safety_card_the_entities_call_for_always_answers():
    mentions = [Mention("med_concern", "dose", 0)]
    assert choose_card(CARDS, "ask_medication", mentions, [], {"nsaid_gels": 0.99}).card == DOSE


def test_nothing_close_gives_the_general_card():
    assert choose_card(CARDS, "ask_medication", [], [("ask_medication", 0.9)], {"nsaid_gels": 0.05}).card == GENERAL


def test_a_card_of_another_topic_answers_when_the_words_are_its_own():
    ranker = CardRanker(CARDS)
    text = "the mri report said disc bulge, what does that mean?"
    intents = [("ask_medication", 0.55), ("ask_imaging", 0.45)]
    assert choose_card(CARDS, "ask_medication", [], intents, ranker.similarities(text)).card == MRI


def test_the_intent_ranking_is_read_from_rasas_parse_data():
    ranking = [{"name": "ask_imaging", "confidence": 0.7}, {"name": "ask_medication", "confidence": 0.2}]
    parse = {"intent_ranking": ranking}
    assert intent_ranking(parse) == [("ask_imaging", 0.7), ("ask_medication", 0.2)]
    assert intent_ranking({}) == []
