"""Callback requests: Norwegian phone numbers, first names, masking and storage."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from ryggvett.callbacks import CallbackRequestRow, clean_first_name, mask_phone, normalise_phone, save_callback_request


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("912 34 567", "+4791234567"),
        ("91234567", "+4791234567"),
        ("+47 912 34 567", "+4791234567"),
        ("0047 41234567", "+4741234567"),
        ("22-12-34-56", "+4722123456"),
        ("mitt nummer er 48 12 34 56", "+4748123456"),
        ("you can call me on 93 44 55 66, thanks", "+4793445566"),
    ],
)
def test_norwegian_numbers_are_recognised(text, expected):
    assert normalise_phone(text) == expected


@pytest.mark.parametrize("text", ["1234567", "012345678", "12345678", "9123456789", "+46 70 123 45 67", "ring meg", ""])
def test_other_text_is_not_a_norwegian_number(text):
    assert normalise_phone(text) is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Kari", "Kari"),
        ("jeg heter Ola Nordmann", "Ola"),
        ("My name is Sam.", "Sam"),
        ("Anne-Lise", "Anne-Lise"),
        ("Ærling", "Ærling"),
        ("91234567", None),
        ("<script>", None),
        ("I would rather not say anything about that", None),
    ],
)
def test_first_names(text, expected):
    assert clean_first_name(text) == expected


def test_masking_keeps_only_the_last_two_digits():
    assert mask_phone("+4791234567") == "••••••••67"
    assert "912" not in mask_phone("+4791234567")


def test_a_request_is_stored_with_its_conversation(tmp_path):
    url = f"sqlite:///{tmp_path / 'callbacks.db'}"
    request_id = save_callback_request(url, "conv-1", "Kari", "+4791234567", "nb")
    engine = sa.create_engine(url)
    with engine.connect() as connection:
        row = connection.execute(sa.select(CallbackRequestRow.__table__)).one()
    assert (row.id, row.conversation_id, row.first_name, row.phone, row.language, row.status) == (
        request_id,
        "conv-1",
        "Kari",
        "+4791234567",
        "nb",
        "open",
    )
    assert row.consent_given_at is not None
