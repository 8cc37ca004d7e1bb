"""Personal data masking for conversation logs: phone numbers, national ID numbers, e-mail addresses.

The conversation log is for clinicians improving the assistant; they need
what was asked, not how to reach the patient. Reception gets the phone
number from the callback request table, never from the log.
"""

from __future__ import annotations

import re

EMAIL = re.compile(r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b")
# Eleven digits, optionally "ddmmyy nnnnn": a Norwegian national ID number.
NATIONAL_ID = re.compile(r"(?<!\d)\d{6}\s?\d{5}(?!\d)")
# Eight digits, optionally grouped and with +47/0047 in front: a Norwegian phone number.
PHONE = re.compile(r"(?<![\d+])(?:(?:\+|00)\s?47[\s.-]?)?(?:\d[\s.-]?){7}\d(?!\d)")


def mask_digits(text: str) -> str:
    """Every digit but the last two replaced by a dot: "912 34 567" -> "••• •• •67"."""
    positions = [i for i, c in enumerate(text) if c.isdigit()]
    hidden = set(positions[:-2])
    return "".join("•" if i in hidden else c for i, c in enumerate(text))


def mask_personal_data(text: str) -> str:
    """The text with e-mail addresses, national ID numbers and phone numbers masked."""
    text = EMAIL.sub("[e-post]", text)
    text = NATIONAL_ID.sub(lambda m: "•" * len(m.group(0)), text)
    return PHONE.sub(lambda m: mask_digits(m.group(0)), text)
