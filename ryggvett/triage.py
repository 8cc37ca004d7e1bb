"""The rule layer for red flags and crisis: curated patterns over the text.

The patterns live in content/triage.yml (clinical content is data); this
module reads and applies them. Either this layer or the intent classifier
raising a red flag gets the urgent reply.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

import yaml

from ryggvett import settings

Urgency = Literal["emergency", "gp_today"]

NEGATIONS = frozenset(
    "ikke ikkje ingen inga intet aldri not no never without uten utan "
    "dont doesnt didnt havent hasnt isnt nor neither".split()
)
# 'Could it be cancer?' asks about a fear; 'I had cancer' or 'I'm on chemo' reports one.
FEAR_OR_QUESTION = frozenset(
    "could might kan kanskje maybe sign signs tegn tegnet redd scared afraid worried worry bekymret bekymra "
    "frykter fear mean means betyr if hvis would know vite".split()
)
HISTORY = frozenset(
    "hatt hadde had history tidligere previous previously behandlet treated survivor overlevd diagnosed "
    "diagnostisert operert operated fjernet removed fikk chemo cellegift on står går".split()
)
# "My aunt had cancer" is about someone else.
OTHERS = frozenset(
    "tante tanta onkel mor mora moren mamma far faren pappa søster søstera bror broren bestemor bestefar venn venninne "
    "kollega aunt uncle mother mum mom father dad sister brother grandma grandmother grandpa grandfather "
    "friend colleague".split()
)
HYPOTHETICAL = frozenset("if hvis dersom viss".split())
URGENCY_ORDER = {None: 0, "emergency": 1, "gp_today": 2}


Slot = tuple[tuple[str, ...], ...]  # alternatives -> consecutive words


def _first_letter(word: str) -> str | None:
    """The letter a token must begin with to match `word` (see word_matches); None: any."""
    if word.startswith("*"):
        return None
    word = word[1:] if word.startswith("=") else word
    return word[0] if word else None


def index_by_first_letter(slot: Slot) -> dict[str | None, Slot]:
    """For each first letter, the alternatives a token with that letter can begin, in their order."""
    letters = {_first_letter(words[0]) for words in slot} - {None}
    index = {letter: tuple(w for w in slot if _first_letter(w[0]) in (letter, None)) for letter in letters}
    index[None] = tuple(w for w in slot if _first_letter(w[0]) is None)
    return index


@dataclass(frozen=True)
class Pattern:
    slots: tuple[Slot, ...]
    window: int = 5
    negation_reports: bool = False
    veto_next: frozenset[str] = frozenset()
    # Tried for every token of every message: only alternatives that can match it.
    by_letter: tuple[dict[str | None, Slot], ...] = field(default=(), compare=False, hash=False, repr=False)

    def __post_init__(self) -> None:
        if not self.by_letter:
            object.__setattr__(self, "by_letter", tuple(index_by_first_letter(slot) for slot in self.slots))


@dataclass(frozen=True)
class Rule:
    category: str
    urgency: Urgency | None  # None for crisis
    patterns: tuple[Pattern, ...]
    question_sensitive: bool = False
    benign: bool = False  # figures of speech that explain away a classifier's alarm


@dataclass(frozen=True)
class Finding:
    category: str
    urgency: Urgency | None
    matched: str
    # The sign was named but denied ("ingen feber"), or a figure of speech
    # ("dør av latter"): evidence against a red flag, not for one.
    negated: bool = False


def parse_pattern(spec: str, groups: dict[str, str], **options: Any) -> Pattern:
    for name, words in groups.items():
        spec = spec.replace("{" + name + "}", " ".join(words.split()))
    slots = tuple(
        tuple(tuple(alternative.split("_")) for alternative in slot.split("|") if alternative) for slot in spec.split()
    )
    return Pattern(
        slots,
        window=int(options.get("window", 5)),
        negation_reports=options.get("negation") == "report",
        veto_next=frozenset(str(options.get("veto_next", "")).split()),
    )


def read_rules(path: Path) -> tuple[Rule, ...]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    groups = {k: str(v) for k, v in (data.get("groups") or {}).items()}
    rules = []
    for raw in data["rules"]:
        # A rule-level `negation: report` applies to all its patterns (crisis: never cancel).
        defaults = {"negation": raw["negation"]} if "negation" in raw else {}
        patterns = tuple(
            parse_pattern(p["match"], groups, **{**defaults, **{k: v for k, v in p.items() if k != "match"}})
            for p in raw["patterns"]
        )
        rules.append(Rule(raw["category"], raw.get("urgency"), patterns, bool(raw.get("question_sensitive"))))
    for raw in data.get("benign") or ():
        patterns = tuple(
            parse_pattern(p["match"], groups, **{k: v for k, v in p.items() if k != "match"}) for p in raw["patterns"]
        )
        rules.append(Rule(raw["category"], None, patterns, benign=True))
    return tuple(rules)


@lru_cache(maxsize=1)
def default_rules() -> tuple[Rule, ...]:
    return read_rules(settings.content_dir() / "triage.yml")


ANYWAY = re.compile(r"\bi (?:alle|all|hvert|kvart) fall\b")


def normalise(text: str) -> list[str]:
    """Lower-case word tokens; apostrophes dropped so "can't" is "cant"."""
    text = unicodedata.normalize("NFC", text.lower()).replace("’", "'").replace("'", "")
    # "i alle fall" means "anyway": one token, so "fall" does not read as a fall.
    text = ANYWAY.sub("iallfall", text)
    return re.findall(r"[a-zæøåäöüéèêóòôá0-9-]+", text)


def _one_edit_apart(a: str, b: str) -> bool:
    if abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        diffs = [i for i, (x, y) in enumerate(zip(a, b, strict=True)) if x != y]
        if len(diffs) <= 1:
            return True
        # two neighbours swapped: "bladdre" for "bladder"
        i, j = diffs[0], diffs[-1]
        return len(diffs) == 2 and j == i + 1 and a[i] == b[j] and a[j] == b[i]
    shorter, longer = sorted((a, b), key=len)
    return any(longer[:i] + longer[i + 1 :] == shorter for i in range(len(longer)))


@lru_cache(maxsize=65536)
def word_matches(token: str, word: str) -> bool:
    """Prefix match for inflections; one edit for typos in words of five letters or more."""
    if token == word:
        return True
    if word.startswith("*"):
        return word[1:] in token
    if word.startswith("="):
        return token.startswith(word[1:])
    if word.endswith("$"):
        return token == word[:-1]
    if len(word) <= 3:
        return False
    if token.startswith(word):
        return True
    if len(word) >= 5 and len(token) >= 5 and token[0] == word[0]:
        return any(_one_edit_apart(token[: len(word) + d], word) for d in (-1, 0, 1) if len(token) >= len(word) + d)
    return False


def _alternative_end(tokens: list[str], start: int, words: tuple[str, ...]) -> int | None:
    end = start + len(words)
    # Called for every token, pattern and alternative: a plain loop, no generator.
    if end > len(tokens):
        return None
    for offset, word in enumerate(words):
        if not word_matches(tokens[start + offset], word):
            return None
    return end


def _find_slot(tokens: list[str], start: int, stop: int, slot: dict[str | None, Slot]) -> tuple[int, int] | None:
    for at in range(start, min(stop, len(tokens))):
        token = tokens[at]
        for words in slot.get(token[:1], slot[None]):
            # Most alternatives fail on their first word: test it before the call.
            if word_matches(token, words[0]):
                end = _alternative_end(tokens, at, words)
                if end is not None:
                    return at, end
    return None


def match(tokens: list[str], pattern: Pattern) -> tuple[int, int] | None:
    """The first span where the slots match in order, each within `window` tokens of the last."""
    first_slot = pattern.by_letter[0]
    unindexed = first_slot[None]
    for first, token in enumerate(tokens):
        # _find_slot(tokens, first, first + 1, first_slot), inlined: it runs for every token of
        # every pattern.
        position = None
        for words in first_slot.get(token[:1], unindexed):
            if word_matches(token, words[0]):
                position = _alternative_end(tokens, first, words)
                if position is not None:
                    break
        if position is None:
            continue
        for slot in pattern.by_letter[1:]:
            found = _find_slot(tokens, position, position + pattern.window + 1, slot)
            if not found:
                break
            position = found[1]
        else:
            following = tokens[position : position + 2]
            if following and (following[0] in pattern.veto_next or "_".join(following) in pattern.veto_next):
                continue
            return first, position
    return None


def _asks_rather_than_reports(tokens: list[str], start: int) -> bool:
    around = set(tokens[:start]) | set(tokens[start : start + 3])
    if set(tokens[max(0, start - 4) : start]) & OTHERS:
        return True
    return bool(around & FEAR_OR_QUESTION) and not (around & HISTORY)


def assess(text: str, rules: tuple[Rule, ...] | None = None) -> list[Finding]:
    """Every red-flag or crisis category the text names: reported ones first, crisis and most urgent first.

    Denied signs ("ingen feber"), questions about them and figures of speech come
    back as `negated` findings: they speak against an alarm.
    """
    tokens = normalise(text)
    findings: list[Finding] = []
    for rule in rules if rules is not None else default_rules():
        denied: Finding | None = None
        for pattern in rule.patterns:
            span = match(tokens, pattern)
            if span is None:
                continue
            matched = " ".join(tokens[span[0] : span[1]])
            before = tokens[max(0, span[0] - 3) : span[0]]
            negated = (
                (not pattern.negation_reports and any(word in NEGATIONS for word in before))
                or (rule.question_sensitive and _asks_rather_than_reports(tokens, span[0]))
                # "if I got a fever, would that be a red flag?" asks; it does not report
                or (bool(HYPOTHETICAL & set(tokens[max(0, span[0] - 5) : span[0]])) and "?" in text)
            )
            if rule.benign or negated:
                denied = denied or Finding(rule.category, rule.urgency, matched, negated=True)
                continue
            findings.append(Finding(rule.category, rule.urgency, matched))
            denied = None
            break
        if denied:
            findings.append(denied)
    return sorted(findings, key=lambda f: (f.negated, URGENCY_ORDER[f.urgency]))


def red_flag(findings: list[Finding]) -> Finding | None:
    return next((f for f in findings if f.urgency is not None and not f.negated), None)


def crisis(findings: list[Finding]) -> Finding | None:
    return next((f for f in findings if f.category == "crisis" and not f.negated), None)


def denied(findings: list[Finding]) -> list[Finding]:
    return [f for f in findings if f.negated]
