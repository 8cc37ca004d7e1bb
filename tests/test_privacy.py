"""Masking personal data before it reaches the conversation log."""

from __future__ import annotations

import hashlib
import hmac
import re

import pytest

from ryggvett.privacy import (
    SenderKeyMissing,
    mask_for_review,
    mask_personal_data,
    stored_conversation_id,
    valid_national_id,
)


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


# --- Phone numbers: every way the callback form accepts one is masked -----------------------------------------------

# 912 34 567 as people write it; each was accepted by the form, and stored in clear, before one pattern served both.
PHONE_FORMATS = [
    "912  34  567",
    "912   34   567",
    "912/34/567",
    "912 / 34 / 567",
    "(912) 34 567",
    "(912)34567",
    "+47 (912) 34 567",
    "(+47) 912 34 567",
    "+47  912  34  567",
    "0047 (912) 34 567",
    "0047/912/34/567",
    "912 - 34 - 567",
    "912. 34. 567",
    "4791234567",
]


@pytest.mark.parametrize("number", PHONE_FORMATS)
def test_every_way_of_writing_a_phone_number_is_masked(number):
    masked = mask_personal_data(f"ring meg på {number} etter 16")
    assert re.sub(r"\D", "", masked) == "6716"  # only the number's last two digits, and the "16" after it


@pytest.mark.parametrize(
    "text",
    [
        "Jeg ble operert 24.12.2023",
        "Operert 2023-12-24, vondt igjen nå",
        "Jeg hadde vondt 2019-2020",
        "vondt 2019 2020 og litt i 2021",
        "Det verker kl 22.30-23.45 hver kveld",
    ],
)
def test_dates_year_spans_and_clock_times_are_not_phone_numbers(text):
    assert mask_personal_data(text) == text


@pytest.mark.parametrize(
    "text",
    ["10 mg", "Ta 2 Paracet", "siden 2019", "i 3 uker", "400 mg 3 ganger om dagen", "smerten er 6/10, før 5-6"],
)
def test_ordinary_numbers_stay_beside_the_broader_phone_pattern(text):
    assert mask_personal_data(text) == text


def test_numbers_with_another_country_code_are_masked_too():
    assert re.sub(r"\D", "", mask_personal_data("ring +46 70 123 45 67")) == "67"


# --- National ID numbers ------------------------------------------------------------------------------------------


def control_digits_hold(number: str) -> bool:
    """The check as the tax authority states it: each weighted sum, control digit included, divisible by 11."""
    digits = [int(d) for d in number]
    first = sum(w * d for w, d in zip((3, 7, 6, 1, 8, 9, 4, 5, 2, 1), digits[:10], strict=True))
    second = sum(w * d for w, d in zip((5, 4, 3, 2, 7, 6, 5, 4, 3, 2, 1), digits, strict=True))
    return first % 11 == 0 and second % 11 == 0


# Valid numbers (checked by control_digits_hold below), none of a real person's as far as anyone can know:
# 1 January 1990, 31 December 1999, a D-number (day + 40) and one whose first six digits are no date.
VALID_IDS = ["01019010046", "31129910065", "41019010110", "12345610063"]


@pytest.mark.parametrize("number", VALID_IDS)
def test_control_digits_are_checked(number):
    assert control_digits_hold(number)
    assert valid_national_id(number)
    first_wrong = number[:9] + str((int(number[9]) + 1) % 10) + number[10]
    second_wrong = number[:10] + str((int(number[10]) + 1) % 10)
    assert not valid_national_id(first_wrong) and not control_digits_hold(first_wrong)
    assert not valid_national_id(second_wrong) and not control_digits_hold(second_wrong)
    assert not valid_national_id(number[:10])


@pytest.mark.parametrize(
    "written",
    [
        "010190-10046",
        "010190.10046",
        "010190 - 10046",
        "01.01.90-10046",
        "01.01.90 10046",
        "311299-10065",
        "410190.10110",  # a D-number
        "123456-10063",  # no date, but the control digits hold
        "010190-12345",  # a date, and the control digits fail: mistyped, still one person's
        "010190.12345",
    ],
)
def test_national_id_numbers_are_masked_however_they_are_separated(written):
    masked = mask_personal_data(f"fødselsnummeret mitt er {written}, takk")
    assert not re.search(r"\d", masked)


def test_a_broken_up_number_that_is_neither_valid_nor_a_date_is_left_alone():
    # The same shape as "123456-10063" above, one control digit off, and 34 is no month.
    assert mask_personal_data("ordrenummer 123456-10064") == "ordrenummer 123456-10064"


# --- Conversation ids that are phone numbers ----------------------------------------------------------------------

KEY = b"k" * 32


@pytest.mark.parametrize("sender", ["whatsapp:+4791234567", "+4791234567", "91234567", "+46701234567"])
def test_a_phone_number_conversation_id_is_stored_as_a_keyed_hash(sender):
    stored = stored_conversation_id(sender, KEY)
    digest = hmac.new(KEY, sender.encode(), hashlib.sha256).hexdigest()
    assert stored == f"tel-{digest}"
    assert stored == stored_conversation_id(sender, KEY)  # the same conversation every time
    assert stored != stored_conversation_id(sender, b"another key, also 32 characters.")
    assert "1234567" not in stored and stored_conversation_id(stored, KEY) == stored


def test_sms_and_whatsapp_from_one_number_stay_two_conversations():
    whatsapp, sms = stored_conversation_id("whatsapp:+4791234567", KEY), stored_conversation_id("+4791234567", KEY)
    assert whatsapp.startswith("tel-") and sms.startswith("tel-") and whatsapp != sms


@pytest.mark.parametrize("sender", ["test-3f9a1c2b7d", "0123456789abcdef0123456789abcdef", "rest-user-42"])
def test_other_conversation_ids_are_kept_as_they_are(sender, monkeypatch):
    monkeypatch.delenv("RYGGVETT_SENDER_KEY", raising=False)
    assert stored_conversation_id(sender) == sender


def test_without_the_key_a_phone_number_id_is_refused(monkeypatch):
    monkeypatch.delenv("RYGGVETT_SENDER_KEY", raising=False)
    with pytest.raises(SenderKeyMissing):
        stored_conversation_id("whatsapp:+4791234567")


def test_the_key_comes_from_the_environment_and_must_be_long(monkeypatch):
    monkeypatch.setenv("RYGGVETT_SENDER_KEY", "x" * 40)
    assert stored_conversation_id("+4791234567") == stored_conversation_id("+4791234567", b"x" * 40)
    monkeypatch.setenv("RYGGVETT_SENDER_KEY", "short")
    with pytest.raises(ValueError, match="32"):
        stored_conversation_id("+4791234567")


@pytest.mark.parametrize(
    "text", ["call me back please", "kall meg opp i morgen", "can you call me tomorrow", "kall meg tilbake"]
)
def test_a_request_to_be_called_is_not_a_name(text: str) -> None:
    assert mask_for_review(text) == text
