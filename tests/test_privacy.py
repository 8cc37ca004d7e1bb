"""Masking personal data before it reaches the conversation log."""

from __future__ import annotations

import pytest

from ryggvett.privacy import mask_personal_data


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
