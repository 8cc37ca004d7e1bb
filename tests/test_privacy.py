"""Masking personal data before it reaches the conversation log."""

from __future__ import annotations

import pytest

from ryggvett.privacy import mask_for_review, mask_personal_data


@pytest.mark.parametrize(
    ("text", "hidden"),
    [
        ("912 34 567", "912 34 5"),
        ("nummeret mitt er 91234567, ring etter 16", "912345"),
        ("+47 912 34 567", "912 34 5"),
        ("0047 22-12-34-56", "22-12-34-"),
        ("kari.nordmann@example.no", "kari.nordmann"),
        ("fødselsnummer 01019912345", "0101991"),
    ],
)
def test_contact_details_are_masked(text, hidden):
    masked = mask_personal_data(text)
    assert hidden not in masked and masked != text


def test_the_last_two_digits_of_a_phone_number_stay_readable():
    assert mask_personal_data("ring meg på 912 34 567").endswith("67")


@pytest.mark.parametrize(
    "text",
    ["Jeg har hatt vondt i 3 uker", "Kan jeg ta 2 Paracet?", "Jeg er 45 år og løfter 20 kg", "ring 113 eller 116 117"],
)
def test_ordinary_numbers_are_left_alone(text):
    assert mask_personal_data(text) == text


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("Jeg heter Kari Nordmann og har vondt", "Jeg heter [navn] og har vondt"),
        ("hei, jeg heter kari og lurer på noe", "hei, jeg heter [navn] og lurer på noe"),
        ("Eg heiter Ola. Kva gjer eg?", "Eg heiter [navn]. Kva gjer eg?"),
        ("My name is Sam Smith, and my back hurts", "My name is [navn], and my back hurts"),
        ("my name's ann", "my name's [navn]"),
        ("Mitt navn er Per-Ivar", "Mitt navn er [navn]"),
    ],
)
def test_names_people_give_are_masked_for_review(text, masked):
    assert mask_for_review(text) == masked


def test_known_names_are_masked_wherever_they_appear():
    assert mask_for_review("Takk, Kari. Klinikken ringer deg.", {"Kari"}) == "Takk, [navn]. Klinikken ringer deg."
    assert mask_for_review("Karianne har vondt", {"Kari"}) == "Karianne har vondt"


@pytest.mark.parametrize("text", ["Det heter isjias", "I am in pain", "Hva heter medisinen?", "Call my GP?"])
def test_review_masking_leaves_text_without_a_name_alone(text):
    assert mask_for_review(text) == text
