"""Personal data masking for conversation logs: phone numbers, national ID numbers, e-mail addresses, names.

The conversation log is for clinicians improving the assistant; they need
what was asked, not how to reach the patient. Reception gets the phone
number from the callback request table, never from the log.

One phone pattern (PHONE) decides both what the callback form accepts as a
number and what is masked, so a number the form took is always masked in the log.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from typing import Any

from ryggvett import settings

EMAIL = re.compile(r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b")

# Between the digits of a phone number: up to three spaces, dots, dashes, slashes or
# parentheses, so "912  34  567", "912/34/567" and "(912) 34 567" are all one number.
_SEP = r"[\s./()\-]{0,3}"
# Eight digits that are a date, a span of years or of clock times, written as people write those,
# are not dialled: "24.12.2023", "2023-12-24", "2019-2020", "22.30-23.45". (Ones starting 0 or 1
# never pass [2-9] anyway.) Phone numbers are not grouped like that.
_NOT_DATE_OR_TIME = (
    r"(?![23]\d[./-][01]\d[./-](?:19|20)\d\d(?!\d))"
    r"(?!20\d\d-[01]\d-[0-3]\d(?!\d))"
    r"(?!20\d\d[\s/-]{1,3}20\d\d(?!\d))"
    r"(?!2[0-3]\.[0-5]\d\s?-\s?[0-2]\d\.[0-5]\d(?!\d))"
)
# A Norwegian phone number: eight digits, the first 2-9, optionally after +47, 0047 or 47.
PHONE = re.compile(rf"(?<![\d+])(?:\(?(?:\+\s?|00\s?)?47\)?{_SEP})?\(?{_NOT_DATE_OR_TIME}[2-9](?:{_SEP}\d){{7}}(?!\d)")
# Any number written with a country code ("+46 70 123 45 67"): masked, though the form wants a Norwegian one.
INTERNATIONAL_PHONE = re.compile(r"(?<![\w+])\+\d(?:[\s./()\-]{0,3}\d){6,14}(?!\d)")

# Eleven digits, "ddmmyy nnnnn", with or without separators: a national ID number (fødselsnummer or D-number).
NATIONAL_ID = re.compile(r"(?<![\d+])\d\d[\s./-]?\d\d[\s./-]?\d\d[\s./-]{0,3}\d{5}(?!\d)")
_CONTROL_WEIGHTS = ((3, 7, 6, 1, 8, 9, 4, 5, 2), (5, 4, 3, 2, 7, 6, 5, 4, 3, 2))


def _control_digit(digits: str, weights: tuple[int, ...]) -> int | None:
    remainder = 11 - sum(int(d) * w for d, w in zip(digits, weights, strict=True)) % 11
    return {11: 0, 10: None}.get(remainder, remainder)


def valid_national_id(number: str) -> bool:
    """Eleven digits whose two mod-11 control digits are right."""
    digits = re.sub(r"\D", "", number)
    if len(digits) != 11:
        return False
    first = _control_digit(digits[:9], _CONTROL_WEIGHTS[0])
    second = _control_digit(digits[:10], _CONTROL_WEIGHTS[1])
    return first == int(digits[9]) and second == int(digits[10])


def _date_like(digits: str) -> bool:
    # D-numbers add 40 to the day; H-numbers 40 and synthetic test numbers 80 to the month.
    day, month = int(digits[:2]) % 40, int(digits[2:4]) % 40
    return 1 <= day <= 31 and 1 <= month <= 12


def looks_like_national_id(written: str) -> bool:
    """Whether eleven digits, as written, are masked as a national ID number.

    Masked: a valid number; one that fails the control digits but starts with a date (a number
    with one digit mistyped still points at one person, and numbers issued from 2032 pass a looser
    first control digit); and, as always, eleven digits written without a break (account numbers
    too). Left alone: only a broken-up string that is neither, like "12 34 56 78901".
    """
    digits = re.sub(r"\D", "", written)
    return len(digits) == 11 and (digits == written or valid_national_id(digits) or _date_like(digits))


def mask_digits(text: str) -> str:
    """Every digit but the last two replaced by a dot: "912 34 567" -> "••• •• •67"."""
    positions = [i for i, c in enumerate(text) if c.isdigit()]
    hidden = set(positions[:-2])
    return "".join("•" if i in hidden else c for i, c in enumerate(text))


def _mask_national_id(match: re.Match[str]) -> str:
    found = match.group(0)
    return re.sub(r"\d", "•", found) if looks_like_national_id(found) else found


def mask_personal_data(text: str) -> str:
    """The text with e-mail addresses, national ID numbers and phone numbers masked."""
    text = EMAIL.sub("[e-post]", text)
    text = NATIONAL_ID.sub(_mask_national_id, text)
    text = PHONE.sub(lambda m: mask_digits(m.group(0)), text)
    return INTERNATIONAL_PHONE.sub(lambda m: mask_digits(m.group(0)), text)


NAME_WORD = r"[A-Za-zÆØÅæøåÄÖÜäöüÉéÈèÁáÓóÍíÚúÑñ'-]+"
# A name someone gives: the first word after the lead-in, and capitalised words after it (surnames).
NAME_INTRO = re.compile(
    r"(?P<lead>\b(?:jeg heter|eg heiter|mitt navn er|navnet mitt er|namnet mitt er|kall meg|"
    r"my name is|my name's|i am called|i'm called|call me)\s+)"
    # «kall meg opp», "call me back": a request to be called, not a name.
    r"(?!(?:back|later|tomorrow|today|tonight|now|asap|please|when|on|at|if|in|before|after|"
    r"opp|tilbake|igjen|senere|seinare|i|på|når|om|etter|før|fort|nå|snart)\b)"
    rf"{NAME_WORD}(?-i:(?:\s+[A-ZÆØÅÄÖÜÉ]{NAME_WORD})*)",
    re.IGNORECASE,
)
NAME_MASK = "[navn]"


def mask_introduced_names(text: str) -> str:
    """«jeg heter Kari Nordmann og …» -> «jeg heter [navn] og …»."""
    return NAME_INTRO.sub(lambda match: match.group("lead") + NAME_MASK, text)


def mask_known_names(text: str, names: set[str] | frozenset[str]) -> str:
    """Every whole-word occurrence of the given names masked, in any case."""
    for name in sorted((n for n in names if n.strip()), key=len, reverse=True):
        text = re.sub(rf"(?<![\w-]){re.escape(name)}(?![\w-])", NAME_MASK, text, flags=re.IGNORECASE)
    return text


def mask_for_review(text: str, names: set[str] | frozenset[str] = frozenset()) -> str:
    """What a clinician may see: contact details, ID numbers and names masked."""
    return mask_known_names(mask_introduced_names(mask_personal_data(text)), set(names))


def mask_strings(value: Any, names: set[str] | frozenset[str] = frozenset()) -> Any:
    """`value` with every string in it, however deeply nested in lists and dicts, masked for review."""
    if isinstance(value, str):
        return mask_for_review(value, names)
    if isinstance(value, dict):
        return {key: mask_strings(item, names) for key, item in value.items()}
    if isinstance(value, list):
        return [mask_strings(item, names) for item in value]
    return value


# Twilio SMS "+4791234567", WhatsApp "whatsapp:+4791234567", or any channel whose ids are numbers.
PHONE_SENDER = re.compile(r"(?:[a-z]+:)?\+?[\d\s().-]{7,24}", re.IGNORECASE)
HASHED_SENDER_PREFIX = "tel-"


class SenderKeyMissing(RuntimeError):
    """A conversation id is a phone number and RYGGVETT_SENDER_KEY is unset: it is not stored."""


def is_phone_sender(sender_id: str) -> bool:
    return bool(PHONE_SENDER.fullmatch(sender_id)) and sum(c.isdigit() for c in sender_id) >= 7


def stored_conversation_id(sender_id: str, key: bytes | None = None) -> str:
    """The id a conversation is stored under: a phone-number id as a keyed hash, any other as it is.

    HMAC-SHA256, because there are only 10^8 Norwegian numbers: a plain hash is undone by trying
    them all; without the key that is impossible. The whole id is hashed, so an SMS and a
    WhatsApp conversation from one number stay two conversations, as Rasa sees them.
    """
    if not is_phone_sender(sender_id):
        return sender_id
    key = key if key is not None else settings.sender_key()
    if key is None:
        raise SenderKeyMissing("a phone-number conversation id needs RYGGVETT_SENDER_KEY; the message is refused")
    return HASHED_SENDER_PREFIX + hmac.new(key, sender_id.encode("utf-8"), hashlib.sha256).hexdigest()
