"""Callback requests: Norwegian phone numbers, first names, masking and storage."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import sqlalchemy as sa

from ryggvett.callbacks import (
    CallbackDraftRow,
    CallbackRequestRow,
    clean_first_name,
    draft_name,
    mask_phone,
    normalise_phone,
    save_callback_request,
    save_draft_name,
)
from ryggvett.privacy import PHONE, mask_personal_data
from tests.test_privacy import PHONE_FORMATS


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


# Texts the form once took as a number and masking let through, or the other way round.
NOT_PHONE_NUMBERS = ["operert 24.12.2023", "2023-12-24", "vondt 2019-2020", "kl 22.30-23.45", "010190-12345"]


@pytest.mark.parametrize("text", PHONE_FORMATS + NOT_PHONE_NUMBERS)
def test_the_form_accepts_exactly_what_masking_hides_as_a_phone_number(text):
    accepted = normalise_phone(text)
    masked = mask_personal_data(text)
    if text in PHONE_FORMATS:
        assert accepted == "+4791234567"
        assert re.sub(r"\D", "", masked) == "67"
    else:
        assert accepted is None
        assert not PHONE.search(text)


def test_a_national_id_number_is_never_taken_for_a_phone_number():
    for written in ("01019010046", "010190 10046", "010190-10046", "310190-12345"):
        assert normalise_phone(written) is None


def test_a_name_waits_for_the_number_and_goes_with_the_request(tmp_path):
    url = f"sqlite:///{tmp_path / 'callbacks.db'}"
    save_draft_name(url, "conv-1", "Kari")
    save_draft_name(url, "conv-1", "Ola")  # the form asked again: the later answer counts
    save_draft_name(url, "conv-2", "Per")
    assert draft_name(url, "conv-1") == "Ola"
    save_callback_request(url, "conv-1", "Ola", "+4791234567", "nb")
    assert draft_name(url, "conv-1") is None
    assert draft_name(url, "conv-2") == "Per"


def test_a_draft_name_is_forgotten_after_a_day(tmp_path):
    url = f"sqlite:///{tmp_path / 'callbacks.db'}"
    save_draft_name(url, "abandoned", "Kari")
    engine = sa.create_engine(url)
    with engine.begin() as connection:
        two_days_ago = dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=2)
        connection.execute(sa.update(CallbackDraftRow.__table__).values(created_at=two_days_ago))
    save_draft_name(url, "someone-else", "Ola")
    assert draft_name(url, "abandoned") is None
