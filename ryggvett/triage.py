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
from ryggvett.overdose import tablets_taken

# emergency: call 113 now; poison: Giftinformasjonen now; gp_today: a doctor today;
# gp_soon: book a GP appointment (docs/evidence.md, "Red flags and what to do").
Urgency = Literal["emergency", "poison", "gp_today", "gp_soon"]

NEGATIONS = frozenset(
    "ikke ikkje ingen inga intet aldri not no never without uten utan "
    "dont doesnt didnt havent hasnt isnt nor neither".split()
)
# 'Could it be cancer?' asks about a fear; 'I had cancer' or 'I'm on chemo' reports one.
FEAR_OR_QUESTION = frozenset(
    "could might kan kanskje maybe sign signs tegn tegnet redd scared afraid worried worry bekymret bekymra "
    "frykter fear mean means betyr if hvis would know vite farlig dangerous serious alvorlig "
    "vara være vere be orolig worried rädd tenker lurer wonder wondering chances sjanse risiko risk om".split()
)
HISTORY = frozenset(
    "hatt hadde had history tidligere previous previously behandlet treated survivor overlevd diagnosed "
    "diagnostisert operert operated fjernet removed fikk chemo cellegift on står går remission får "
    "tidigare haft treatment finished behandling ferdigbehandlet".split()
)
# "My aunt had cancer" is about someone else.
OTHERS = frozenset(
    "tante tanta onkel mor mora moren mamma far faren pappa søster søstera bror broren bestemor bestefar venn venninne "
    "kollega aunt uncle mother mum mom father dad sister brother grandma grandmother grandpa grandfather "
    "friend colleague".split()
)
# "googla ryggsmerter og fikk opp beinmargskreft": something read about, not had.
READ_ABOUT = frozenset(
    "googla googlet googlede googled google søkte søkt searched searching leste lest read reading nettet internett "
    "internet online".split()
)
HYPOTHETICAL = frozenset("if hvis dersom viss".split())
# "jeg har kreft" reports; "har jeg kreft?" asks.
FIRST_PERSON_HAS = frozenset(
    (person, verb) for person in ("jeg", "eg", "i", "jag") for verb in ("har", "have", "has", "hadde", "fikk", "got")
)
# "Kan jeg ta Paralgin og Paracet samtidig?" asks permission; it reports nothing taken.
ASKS_PERMISSION = re.compile(
    r"\b(?:kan|bør|skal|får|could|can|should|may) (?:jeg|eg|i|man|you|du)\b|\bis it (?:ok|safe)\b"
)
# Crisis first, then the most urgent tier; context findings (no alarm alone) last.
URGENCY_ORDER = {"emergency": 1, "poison": 2, "gp_today": 3, "gp_soon": 4, None: 5}
# "jeg er 82 år", "I'm 15", "my 14-year-old", "sønnen min på 13"
# An age is said with a verb or "old" around it; "for 6 years" and "i 6 år" are durations.
AGE = re.compile(
    r"\b(?:(?:jeg|eg|jag) er|i am|i'm|im|aged?) (\d{1,2})\b(?! ?(?:uker|dager|måneder|weeks|days|months)\b)"
    r"|\b(\d{1,2}) ?(?:år|years?|yrs?) (?:old|gammel|gamal)\b"
    r"|\b(\d{1,2})[- ](?:year[- ]old|åring|åringen)\b"
    r"|\bpå (\d{1,2})\b(?! ?(?:uker|dager|timer|måneder|minutter|kg|km|cm|år siden|gang)\b)"
)
OLDER_AGE = 70
ADULT_AGE = 18
# "Bør jeg kjøpe ny seng? Den jeg har er 15 år gammel": the age of a thing named just before.
THING_BEFORE_AGE = re.compile(
    r"\b(?:seng\w*|madrass\w*|bed|beds|mattress\w*|sofa\w*|stol\w*|chair\w*|bil|bilen|car|hus|huset|house|"
    r"sko|skoene|shoes|pute\w*|pillow\w*|kontorstol\w*)\b"
)
PERSON_RIGHT_BEFORE_AGE = re.compile(r"\b(?:jeg er|eg er|jag är|i am|i'm|im|aged?)\s*$")
THING_WINDOW_WORDS = 8


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
    # A permission question ("kan jeg ta ... samtidig?") asks; it reports nothing.
    question_veto: bool = False
    # Phrases anywhere in the message that make it a question of definition ("hva regnes som ...").
    veto_text: tuple[tuple[str, ...], ...] = ()
    # Tried for every token of every message: only alternatives that can match it.
    by_letter: tuple[dict[str | None, Slot], ...] = field(default=(), compare=False, hash=False, repr=False)

    def __post_init__(self) -> None:
        if not self.by_letter:
            object.__setattr__(self, "by_letter", tuple(index_by_first_letter(slot) for slot in self.slots))


@dataclass(frozen=True)
class Rule:
    category: str
    urgency: Urgency | None  # None for crisis and context
    patterns: tuple[Pattern, ...]
    question_sensitive: bool = False
    benign: bool = False  # figures of speech that explain away a classifier's alarm
    context: bool = False  # no alarm alone ("jeg har beinskjørhet"); see Combination


@dataclass(frozen=True)
class Combination:
    """An alarm raised only when all its context findings are there (a fall with brittle bones)."""

    category: str
    urgency: Urgency
    all_of: frozenset[str]


@dataclass(frozen=True)
class Rules:
    rules: tuple[Rule, ...]
    combinations: tuple[Combination, ...] = ()

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(self.rules)


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
        question_veto=options.get("question") == "veto",
        veto_text=tuple(tuple(phrase.split("_")) for phrase in str(options.get("veto_text", "")).split()),
    )


def read_rules(path: Path) -> Rules:
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
        rules.append(
            Rule(
                raw["category"],
                raw.get("urgency"),
                patterns,
                bool(raw.get("question_sensitive")),
                context=bool(raw.get("context")),
            )
        )
    for raw in data.get("benign") or ():
        patterns = tuple(
            parse_pattern(p["match"], groups, **{k: v for k, v in p.items() if k != "match"}) for p in raw["patterns"]
        )
        rules.append(Rule(raw["category"], None, patterns, benign=True))
    combinations = tuple(
        Combination(raw["category"], raw["urgency"], frozenset(raw["all_of"])) for raw in data.get("combinations") or ()
    )
    return Rules(tuple(rules), combinations)


@lru_cache(maxsize=1)
def default_rules() -> Rules:
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


def _asks_rather_than_reports(tokens: list[str], start: int, question_mark: bool = False) -> bool:
    around = set(tokens[:start]) | set(tokens[start : start + 3])
    before = tokens[max(0, start - 4) : start]
    if set(before) & OTHERS or set(tokens[max(0, start - 6) : start]) & READ_ABOUT:
        return True
    # "I had cancer" is said next to the word; "har hatt vondt" later on is about the pain.
    near = set(tokens[max(0, start - 4) : start + 2])
    says_has = any(pair in FIRST_PERSON_HAS for pair in zip(before, before[1:], strict=False))
    if near & HISTORY or says_has:
        return False
    return bool(around & FEAR_OR_QUESTION) or question_mark


def assess(text: str, rules: Rules | None = None) -> list[Finding]:
    """Every red-flag or crisis category the text names: reported ones first, crisis and most urgent first.

    Denied signs ("ingen feber"), questions about them and figures of speech come
    back as `negated` findings: they speak against an alarm. Context findings
    (`urgency` None, not crisis) raise no alarm unless a combination completes.
    """
    rules = rules if rules is not None else default_rules()
    tokens = normalise(text)
    asks_permission = "?" in text and bool(ASKS_PERMISSION.search(" ".join(tokens)))
    findings: list[Finding] = []
    for rule in rules:
        denied: Finding | None = None
        for pattern in rule.patterns:
            span = match(tokens, pattern)
            if span is None:
                continue
            matched = " ".join(tokens[span[0] : span[1]])
            before = tokens[max(0, span[0] - 3) : span[0]]
            negated = (
                (not pattern.negation_reports and any(word in NEGATIONS for word in before))
                or (rule.question_sensitive and _asks_rather_than_reports(tokens, span[0], "?" in text))
                # "if I got a fever, would that be a red flag?" asks; it does not report
                or (bool(HYPOTHETICAL & set(tokens[max(0, span[0] - 5) : span[0]])) and "?" in text)
                or (pattern.question_veto and asks_permission)
                or any(_contains(tokens, phrase) for phrase in pattern.veto_text)
            )
            if rule.benign or negated:
                denied = denied or Finding(rule.category, rule.urgency, matched, negated=True)
                continue
            findings.append(Finding(rule.category, rule.urgency, matched))
            denied = None
            break
        if denied:
            findings.append(denied)
    findings += _age_findings(text)
    findings += _overdose_findings(text, findings)
    present = {f.category for f in findings if not f.negated}
    for combination in rules.combinations:
        if combination.all_of <= present and combination.category not in present:
            findings.append(Finding(combination.category, combination.urgency, " + ".join(sorted(combination.all_of))))
            present.add(combination.category)
    return sorted(findings, key=_order)


def _contains(tokens: list[str], phrase: tuple[str, ...]) -> bool:
    return any(tuple(tokens[i : i + len(phrase)]) == phrase for i in range(len(tokens) - len(phrase) + 1))


def _order(finding: Finding) -> tuple[bool, int]:
    return finding.negated, 0 if finding.category == "crisis" else URGENCY_ORDER[finding.urgency]


def _age_findings(text: str) -> list[Finding]:
    """Context from a stated age: 70 or over (a fall matters more), under 18 (NICE NG59 covers adults)."""
    findings = []
    lowered = text.lower()
    for found in AGE.finditer(lowered):
        age = int(next(group for group in found.groups() if group))
        if found.group(2) and _names_a_thing(lowered[: found.start()]):
            continue
        if age >= OLDER_AGE:
            findings.append(Finding("older_age", None, found.group(0)))
        elif 6 <= age < ADULT_AGE:
            findings.append(Finding("minor_age", None, found.group(0)))
    return findings


def _names_a_thing(before: str) -> bool:
    """A thing ("seng", "bed") among the last words before "N år gammel", and no "jeg er" right before it."""
    words = " ".join(before.split()[-THING_WINDOW_WORDS:])
    return bool(THING_BEFORE_AGE.search(words)) and not PERSON_RIGHT_BEFORE_AGE.search(words)


def _overdose_findings(text: str, findings: list[Finding]) -> list[Finding]:
    """Tablets counted against the leaflet: over it is an alarm; within it speaks against one
    ("tok 2 Paracet i morges og 2 nå" is no overdose, whatever the classifier thinks)."""
    if any(f.category == "overdose" and not f.negated for f in findings):
        return []
    taken = tablets_taken(text)
    over = next((t for t in taken if t.over_limit), None)
    if over is not None:
        return [Finding("overdose", "poison", f"{over.tablets:g} {over.medicine} ({over.milligrams:g} mg)")]
    return [
        Finding("overdose", "poison", f"{t.tablets:g} {t.medicine} ({t.milligrams:g} mg)", negated=True) for t in taken
    ]


def red_flag(findings: list[Finding]) -> Finding | None:
    """The most urgent reported sign (findings come sorted by urgency)."""
    return next((f for f in findings if f.urgency is not None and not f.negated), None)


def more_urgent(previous: str | None, current: str | None) -> str:
    """The more urgent of the tier advised before and now; none now (the classifier alone) is urgent."""
    current = current or "emergency"
    if previous is None:
        return current
    return min(previous, current, key=lambda tier: URGENCY_ORDER.get(tier, 0))


# After these replies a card may explain the sign; after "call 113" or Giftinformasjonen nothing should distract.
EXPLAINED_TIERS: tuple[Urgency, ...] = ("gp_today", "gp_soon")


def holds_back_exercise(tier: str | None) -> bool:
    """Every tier but a GP appointment means a clinician should see the person before exercises."""
    return tier != "gp_soon"


def overdose(findings: list[Finding]) -> Finding | None:
    return next((f for f in findings if f.urgency == "poison" and not f.negated), None)


def crisis(findings: list[Finding]) -> Finding | None:
    return next((f for f in findings if f.category == "crisis" and not f.negated), None)


def denied(findings: list[Finding]) -> list[Finding]:
    return [f for f in findings if f.negated]
