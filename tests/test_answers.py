"""Answer selection: the most specific card for the intent and what was mentioned."""

from __future__ import annotations

from dataclasses import replace

from ryggvett.answers import Mention, safety_notes, select_card
from ryggvett.reference.content import ANY_TOPIC, Card, Condition
from tests.cards import make_card


def card(key: str, intent: str, priority: str | None = None, **entities: list[str]) -> Card:
    """A card; one without entities is its topic's general card."""
    return make_card(key, intent, priority, **entities)


CARDS = [
    card("med_general", "ask_medication"),
    card("med_nsaid", "ask_medication", medication=["nsaid"]),
    card("med_paracetamol", "ask_medication", medication=["paracetamol"]),
    card("med_dose", "ask_medication", "safety", med_concern=["dose"]),
    card("med_daily", "ask_medication", "safety", med_concern=["daily_use"]),
    card("move_general", "ask_movement_safety"),
    card("move_lifting", "ask_movement_safety", activity=["lifting", "bending"]),
    card("move_lift_leg", "ask_movement_safety", activity=["lifting"], body_part=["leg"]),
]


def test_entity_specific_card_beats_the_general_one():
    chosen = select_card(CARDS, "ask_medication", [Mention("medication", "nsaid")])
    assert chosen is not None and chosen.key == "med_nsaid"


def test_general_card_when_nothing_specific_was_mentioned():
    assert select_card(CARDS, "ask_medication", []).key == "med_general"
    assert select_card(CARDS, "ask_medication", [Mention("activity", "lifting")]).key == "med_general"


def test_first_mentioned_value_wins_a_tie():
    mentions = [Mention("medication", "paracetamol", 6), Mention("medication", "nsaid", 20)]
    assert select_card(CARDS, "ask_medication", mentions).key == "med_paracetamol"
    mentions = [Mention("medication", "nsaid", 3), Mention("medication", "paracetamol", 20)]
    assert select_card(CARDS, "ask_medication", mentions).key == "med_nsaid"


def test_card_matching_more_entity_types_wins():
    mentions = [Mention("activity", "lifting", 10), Mention("body_part", "leg", 20)]
    assert select_card(CARDS, "ask_movement_safety", mentions).key == "move_lift_leg"
    assert select_card(CARDS, "ask_movement_safety", mentions[:1]).key == "move_lifting"


def test_cards_of_other_intents_are_never_chosen():
    assert select_card(CARDS, "ask_imaging", [Mention("medication", "nsaid")]) is None


def test_a_safety_card_wins_over_a_more_specific_match():
    mentions = [Mention("medication", "nsaid", 0), Mention("med_concern", "dose", 10)]
    assert select_card(CARDS, "ask_medication", mentions).key == "med_dose"


def test_daily_painkiller_use_adds_a_note_before_another_topic():
    mentions = [Mention("medication", "paracetamol", 8), Mention("med_concern", "daily_use", 16)]
    assert [c.key for c in safety_notes(CARDS, "ask_movement_safety", mentions)] == ["med_daily"]
    # within the medication topic the safety card is the answer itself, not a note
    assert safety_notes(CARDS, "ask_medication", mentions) == []


def test_no_note_without_a_medicine_named():
    assert safety_notes(CARDS, "ask_daily_life", [Mention("med_concern", "daily_use", 0)]) == []


def test_a_situation_card_answers_every_topic_question():
    pregnancy = replace(
        card("pregnancy", "ask_daily_life", "safety", situation=["pregnancy"]),
        also=(Condition(ANY_TOPIC, {"situation": ("pregnancy",)}),),
    )
    cards = [*CARDS, pregnancy]
    mentions = [Mention("activity", "lifting", 3), Mention("situation", "pregnancy", 20)]
    assert select_card(cards, "ask_movement_safety", mentions).key == "pregnancy"
    assert select_card(cards, "ask_movement_safety", mentions[:1]).key == "move_lifting"
    # Not for the check-in or the conversation intents.
    assert select_card(cards, "request_checkin", mentions) is None


def test_pregnancy_is_personal_health_for_a_medicine_question():
    personal = card("med_personal", "ask_medication", "safety", med_concern=["personal_health"])
    pregnancy = replace(
        card("pregnancy", "ask_daily_life", "safety", situation=["pregnancy"]),
        also=(Condition(ANY_TOPIC, {"situation": ("pregnancy",)}),),
    )
    cards = [*CARDS, personal, pregnancy]
    mentions = [Mention("medication", "nsaid", 8), Mention("situation", "pregnancy", 20)]
    chosen = select_card(cards, "ask_medication", mentions)
    assert chosen is not None and chosen.key in ("med_personal", "pregnancy")
    notes = safety_notes(cards, "ask_medication", mentions, chosen=chosen)
    assert {chosen.key, *(note.key for note in notes)} == {"med_personal", "pregnancy"}


def test_a_further_condition_chooses_the_card_for_another_intent():
    sciatica = replace(
        card("sciatica_medicines", "ask_medication", condition=["sciatica"]),
        also=(Condition("ask_sciatica", {"medication": ("nsaid", "gabapentinoid")}),),
    )
    cards = [*CARDS, sciatica, card("sciatica_general", "ask_sciatica")]
    assert select_card(cards, "ask_medication", [Mention("condition", "sciatica")]).key == "sciatica_medicines"
    assert select_card(cards, "ask_sciatica", [Mention("medication", "nsaid")]).key == "sciatica_medicines"
    assert select_card(cards, "ask_sciatica", []).key == "sciatica_general"


def test_a_card_chosen_by_its_questions_alone_is_never_the_general_answer():
    question_card = replace(card("med_gels", "ask_medication"), general=False, questions={"en": ("gels?",)})
    cards = [question_card, *CARDS]
    assert select_card(cards, "ask_medication", []).key == "med_general"
