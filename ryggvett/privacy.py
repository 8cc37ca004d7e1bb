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


NAME_WORD = r"[A-Za-zÆØÅæøåÄÖÜäöüÉéÈèÁáÓóÍíÚúÑñ'-]+"
# A name someone gives: the first word after the lead-in, and capitalised words after it (surnames).
NAME_INTRO = re.compile(
    r"(?P<lead>\b(?:jeg heter|eg heiter|mitt navn er|navnet mitt er|namnet mitt er|kall meg|"
    r"my name is|my name's|i am called|i'm called|call me)\s+)"
    rf"{NAME_WORD}(?-i:(?:\s+[A-ZÆØÅÄÖÜÉ]{NAME_WORD})*)",
    re.IGNORECASE,
)
NAME_MASK = "[navn]"


def mask_introduced_names(text: str) -> str:
    """«jeg heter Kari Nordmann og …» -> «jeg heter [navn] og …»."""
    return NAME_INTRO.sub(lambda match: match.group("lead") + NAME_MASK, text)


def mask_known_names(text: str, names: set[str]) -> str:
    """Every whole-word occurrence of the given names masked, in any case."""
    for name in sorted((n for n in names if n.strip()), key=len, reverse=True):
        text = re.sub(rf"(?<![\w-]){re.escape(name)}(?![\w-])", NAME_MASK, text, flags=re.IGNORECASE)
    return text


def mask_for_review(text: str, names: set[str] = frozenset()) -> str:
    """What a clinician may see: contact details, ID numbers and names masked."""
    return mask_known_names(mask_introduced_names(mask_personal_data(text)), set(names))
