"""Has someone taken more painkillers than the leaflet allows? Tablet counts in a message.

The limits are content (content/medicine_limits.yml, each with its source). This
module only reads what a message says was taken: "tok 6 Paracet i morges og 6 til
nå" is twelve 500 mg tablets, over the 4 g a day a leaflet allows. Questions
("kan jeg ta 10?") and hypotheticals are not intake.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

from ryggvett import settings

NUMBER_WORDS = {
    "tre": 3, "fire": 4, "fem": 5, "seks": 6, "sju": 7, "syv": 7, "åtte": 8, "ti": 10, "elleve": 11, "tolv": 12,
    "femten": 15, "tjue": 20, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "fifteen": 15, "twenty": 20, "tio": 10,
}  # fmt: skip
# Words that say a dose was taken, not asked about.
INTAKE = frozenset(
    "tok tatt teke teki tagit taget tog took taken had swallowed svelget svelgde svelga spist popped "
    "doing been brukt used".split()
)
HYPOTHETICAL = frozenset("if hvis dersom viss om".split())
PILLS = frozenset(
    "tablett tabletter tablettar tablettene tabs tablets tablet pills pill piller pillene stk stykker "
    "kapsler capsules tabletten".split()
)
# "6 til", "another 5", "two more": a further count of the same medicine.
MORE_AFTER = frozenset("til more extra additional mer fler flere".split())
MORE_BEFORE = frozenset("another og and plus".split())
PER_DAY_AFTER = frozenset({"om dagen", "a day", "per day", "i døgnet", "om dygnet", "each day", "per døgn", "hver dag"})
PER_DAY = re.compile(
    r"\b(?:om dagen|per dag|pr\.? dag|i døgnet|per døgn|hver dag|kvar dag|daglig"
    r"|a day|per day|each day|every day|daily|om dygnet|per dygn)\b"
)
EVERY_HOURS = re.compile(r"\b(?:every|hver|kvar|var)\s+(\d{1,2})\.?\s*(?:hours?|time|timer|timme|timmar|h)\b")
ROUND_THE_CLOCK = re.compile(
    r"\b(?:day and night|night and day|natt og dag|dag og natt|døgnet rundt|around the clock|round the clock)\b"
)
TOKEN = re.compile(r"\d+(?:[.,]\d+)?|[a-zæøåäöüé]+")


@dataclass(frozen=True)
class Medicine:
    key: str
    daily_max_mg: int
    usual_tablet_mg: int
    names: tuple[str, ...]


@dataclass(frozen=True)
class Overdose:
    medicine: str
    tablets: float
    milligrams: float
    over_limit: bool = True


def read_limits(path: Path) -> tuple[Medicine, ...]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    return tuple(
        Medicine(key, int(raw["daily_max_mg"]), int(raw["usual_tablet_mg"]), tuple(raw["names"]))
        for key, raw in data["medicines"].items()
    )


@lru_cache(maxsize=1)
def default_limits() -> tuple[Medicine, ...]:
    return read_limits(settings.content_dir() / "medicine_limits.yml")


def _number(token: str) -> float | None:
    if token in NUMBER_WORDS:
        return float(NUMBER_WORDS[token])
    if token[0].isdigit():
        return float(token.replace(",", "."))
    return None


def _medicine_of(token: str, medicines: tuple[Medicine, ...]) -> Medicine | None:
    for medicine in medicines:
        if any(token.startswith(name) for name in medicine.names):
            return medicine
    return None


def _tokens(text: str) -> list[str]:
    # "10-12" reads as its upper end; "500mg" as "500 mg".
    text = re.sub(r"(\d+)\s*[-–]\s*(\d+)", r"\2", text.lower())
    text = re.sub(r"(\d)(mg|g)\b", r"\1 \2", text)
    return TOKEN.findall(text)


def taken_over_limit(text: str, medicines: tuple[Medicine, ...] | None = None) -> Overdose | None:
    """The first medicine the text says was taken above its daily limit, if any."""
    return next((taken for taken in tablets_taken(text, medicines) if taken.over_limit), None)


def tablets_taken(text: str, medicines: tuple[Medicine, ...] | None = None) -> list[Overdose]:
    """Every medicine the text counts as taken, each with whether it is over its daily limit."""
    medicines = medicines if medicines is not None else default_limits()
    tokens = _tokens(text)
    if not INTAKE & set(tokens) and not EVERY_HOURS.search(text.lower()):
        return []
    if HYPOTHETICAL & set(tokens) and "?" in text:
        return []
    named = [(i, m) for i, t in enumerate(tokens) if (m := _medicine_of(t, medicines))]
    if not named:
        return []
    counts: dict[str, list[float]] = {}
    strength: dict[str, float] = {}
    for i, token in enumerate(tokens):
        value = _number(token)
        if value is None:
            continue
        after = tokens[i + 1 : i + 3]
        before = tokens[max(0, i - 2) : i]
        # A strength right after a name, or with its unit: "Ibux 400", "500 mg", "1 g".
        unit = after[0] if after else ""
        near_name = [m for j, m in named if j in (i - 1, i - 2)]
        if unit in ("mg", "g"):
            medicine = near_name[0] if near_name else _nearest(named, i)
            strength[medicine.key] = value * (1000 if unit == "g" else 1)
            continue
        if near_name and value >= 100:
            strength[near_name[0].key] = value
            continue
        if value >= 100 or value == 0:
            continue
        following = [m for j, m in named if i < j <= i + 3]
        is_count = bool(following) or any(t in PILLS for t in after) or (after and after[0] in MORE_AFTER)
        is_count = is_count or " ".join(after) in PER_DAY_AFTER or (after[:1] == ["daily"])
        more = bool(before and before[-1] in MORE_BEFORE)
        is_count = is_count or (more and not any(t in ("år", "dager", "days") for t in after))
        if not is_count:
            continue
        medicine = following[0] if following else _nearest(named, i)
        counts.setdefault(medicine.key, []).append(value)
    lowered = text.lower()
    per_day = bool(PER_DAY.search(lowered))
    every = EVERY_HOURS.search(lowered)
    found = []
    for medicine in medicines:
        values = counts.get(medicine.key)
        if not values:
            continue
        tablets = max(values) if per_day else sum(values)
        if every:
            hours = max(1, int(every.group(1)))
            doses = 24 // hours if ROUND_THE_CLOCK.search(lowered) else 16 // hours + 1
            tablets = max(values) * doses
        milligrams = tablets * strength.get(medicine.key, medicine.usual_tablet_mg)
        found.append(Overdose(medicine.key, tablets, milligrams, milligrams > medicine.daily_max_mg))
    return found


def _nearest(named: list[tuple[int, Medicine]], position: int) -> Medicine:
    return min(named, key=lambda item: abs(item[0] - position))[1]
