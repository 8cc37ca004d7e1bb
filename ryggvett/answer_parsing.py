"""Read short answers to the assistant's questions, typed or from a button.

"ca 6", "about six", "6/10", "5-6", "ja", "nope", "litt aktiv", "for lett", "it hurt more".
"""

from __future__ import annotations

import math
import re
from typing import Mapping, Sequence

NUMBER_WORDS: dict[str, int] = {
    # bokmål and nynorsk
    "null": 0, "en": 1, "ei": 1, "ett": 1, "ein": 1, "eitt": 1, "to": 2, "tre": 3, "fire": 4, "fem": 5,
    "seks": 6, "sju": 7, "syv": 7, "åtte": 8, "ni": 9, "ti": 10,
    # English
    "zero": 0, "none": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10,
}  # fmt: skip
# Number words that are also common little words ("en smerte", "to the knee"):
# read as numbers only when they are the whole answer.
AMBIGUOUS_NUMBER_WORDS = frozenset({"en", "ei", "ett", "ein", "eitt", "to", "one", "none", "ni", "fire"})
FILLER_WORDS = frozenset(
    "ca cirka omtrent rundt kanskje sånn ja vel jeg eg tror trur det er e smerten smertene vondt på nå no i dag "
    "about around approximately maybe perhaps like roughly it's its it is i think my pain the today now".split()
)
# "on a 0-10 scale", "fra 0 til 10": the scale itself, not an answer.
SCALE_MENTION = re.compile(r"\b(?:fra|from)?\s*[01]\s*(?:-|–|til|to)\s*10\b")
OUT_OF_TEN = re.compile(r"(\d+(?:[.,]\d+)?)\s*(?:/|av|of|out of)\s*10\b")
RANGE = re.compile(r"(\d+(?:[.,]\d+)?)\s*(?:-|–|til|to|or|eller)\s*(\d+(?:[.,]\d+)?)")
NUMBER = re.compile(r"\d+(?:[.,]\d+)?")
WORD = re.compile(r"[a-zæøåäöü']+")

YES = frozenset("ja jo japp jepp jada yes yeah yep yup sure ok okei absolutely stemmer correct".split())
NO = frozenset("nei nope no nah ingen ingenting ikkje ikke never aldri none nothing".split())
# The whole answer must be the request: "ikke mer enn før" and "no more than a 3" are answers.
STOP = re.compile(
    r"^\s*(stopp|stop|avbryt|slutt|hopp over|skip|cancel|quit|exit|nok nå|ikke mer|ikkje meir|"
    r"jeg vil ikke mer|eg vil ikkje meir|i want to stop|no more|never ?mind)"
    r"(\s+(takk|please|now|nå|no|det|this))*[\s.!]*$",
    re.IGNORECASE,
)
NEGATIONS = frozenset("ikke ikkje ei not no never didn't didnt wasn't wasnt isn't isnt aldri".split())


def _number(text: str) -> float:
    return float(text.replace(",", "."))


def _round(value: float) -> int:
    return int(math.floor(value + 0.5))


def parse_scale(text: str, low: int = 0, high: int = 10) -> int | None:
    """A number on a low-high scale, from digits or number words; ranges read as their upper end."""
    text = text.strip().lower()
    if not OUT_OF_TEN.search(text):
        text = SCALE_MENTION.sub(" ", text)
    if match := OUT_OF_TEN.search(text):
        value: float | None = _number(match.group(1))
    elif match := RANGE.search(text):
        # "5-6": the higher one, so the suggestion errs on the gentle side.
        value = max(_number(match.group(1)), _number(match.group(2)))
    elif match := NUMBER.search(text):
        value = _number(match.group(0))
    else:
        value = _number_word(text)
    if value is None or not low <= value <= high:
        return None
    return _round(value)


def _number_word(text: str) -> float | None:
    words = WORD.findall(text)
    meaningful = [word for word in words if word not in FILLER_WORDS]
    if len(meaningful) == 1 and meaningful[0] in NUMBER_WORDS:
        return NUMBER_WORDS[meaningful[0]]
    for word in words:
        if word in NUMBER_WORDS and word not in AMBIGUOUS_NUMBER_WORDS:
            return NUMBER_WORDS[word]
    return None


def parse_yes_no(text: str) -> bool | None:
    """True for yes, False for no, None when the answer says neither (or both)."""
    if text.strip() in ("/affirm", "/deny"):
        return text.strip() == "/affirm"
    words = set(WORD.findall(text.lower()))
    yes, no = bool(words & YES), bool(words & NO)
    return yes if yes != no else None


def parse_choice(text: str, options: Mapping[str, Sequence[str]]) -> str | None:
    """The option whose longest keyword appears in the text ("ganske trygg" beats "trygg")."""
    words = WORD.findall(text.lower())
    best: tuple[int, str] | None = None
    for value, keywords in options.items():
        for keyword in keywords:
            if (best is None or len(keyword) > best[0]) and _affirmed(words, keyword.split()):
                best = (len(keyword), value)
    return best[1] if best else None


def _affirmed(words: list[str], phrase: list[str]) -> bool:
    """`phrase` occurs in `words` without a negation right before it ("ikke vondere" is not "vondere")."""
    size = len(phrase)
    return any(
        words[start : start + size] == phrase and (start == 0 or words[start - 1] not in NEGATIONS)
        for start in range(len(words) - size + 1)
    )


def is_stop_request(text: str) -> bool:
    """The person wants to leave the questions ("stopp", "avbryt", "cancel")."""
    return bool(STOP.match(text))


ACTIVITY_OPTIONS: dict[str, tuple[str, ...]] = {
    "low": ("lite", "lite aktiv", "sitter mest", "ikke aktiv", "ikkje aktiv", "inaktiv", "little", "not much",
            "not active", "not very active", "mostly sitting", "sedentary", "low", "barely"),
    "some": ("litt", "litt aktiv", "middels", "av og til", "noe", "nokså", "some", "a bit", "a little",
             "now and then", "sometimes", "moderately", "moderate", "fairly active", "somewhat"),
    "high": ("mye", "veldig aktiv", "svært aktiv", "trener jevnlig", "trener mye", "trener ofte", "aktiv",
             "very active", "a lot", "active", "regularly", "train regularly", "exercise regularly", "high"),
}  # fmt: skip
CONFIDENCE_OPTIONS: dict[str, tuple[str, ...]] = {
    "low": ("lite trygg", "ikke trygg", "ikkje trygg", "utrygg", "redd", "usikker", "lite", "ikke",
            "not confident", "not very confident", "not sure", "unsure", "scared", "afraid", "worried", "low",
            "not at all", "nervous"),
    "medium": ("ganske trygg", "litt trygg", "middels", "passe", "sånn passe", "litt usikker", "ganske",
               "fairly confident", "somewhat confident", "quite confident", "a bit unsure", "medium", "fairly",
               "somewhat", "so so", "okay"),
    "high": ("veldig trygg", "helt trygg", "trygg", "svært trygg", "sikker", "very confident", "confident",
             "totally confident", "sure", "high", "fine", "very"),
}  # fmt: skip
RATING_OPTIONS: dict[str, tuple[str, ...]] = {
    "too_easy": ("for lett", "for enkel", "for enkelt", "for lette", "altfor lett", "lett", "enkelt",
                 "too easy", "easy", "too simple", "more challenge"),
    "right": ("passe", "akkurat passe", "bra", "fint", "greit", "passelig", "høveleg", "just right", "right",
              "about right", "fine", "good", "ok", "okay", "perfect"),
    "too_hard": ("for tungt", "for tung", "for tunge", "for hardt", "for vanskelig", "tungt", "vanskelig",
                 "hardt", "too hard", "too difficult", "too heavy", "hard", "difficult", "too much"),
    "worse": ("vondere", "verre", "mer vondt", "meir vondt", "gjorde vondt", "økte smertene", "smertene økte",
              "fikk mer vondt", "fekk meir vondt", "vondt etterpå", "hurt more", "more pain", "worse",
              "it hurt", "made it worse", "made the pain worse", "painful", "pain got worse", "hurts more"),
}  # fmt: skip


def parse_rating(text: str) -> str | None:
    """too_easy | right | too_hard | worse, or None."""
    return parse_choice(text, RATING_OPTIONS)


DAY_PHRASES: dict[str, tuple[str, ...]] = {
    "7": ("hver dag", "hver eneste dag", "kvar dag", "daglig", "dagleg", "alle dagene", "alle dager", "every day",
          "everyday", "daily", "all days", "each day", "all of them", "all seven"),
    "6": ("nesten hver dag", "nesten kvar dag", "nesten daglig", "almost every day", "nearly every day",
          "almost daily"),
    "5": ("de fleste dagene", "de fleste dager", "dei fleste dagane", "fleste dagene", "most days",
          "most of the days"),
    "4": ("annenhver dag", "annakvar dag", "every other day", "every second day"),
    "3": ("noen dager", "noen få dager", "nokre dagar", "a few days", "some days", "a few times"),
    "2": ("et par dager", "par dager", "eit par dagar", "a couple of days", "a couple", "twice", "to ganger"),
    "1": ("en dag", "én dag", "ein dag", "once", "one day", "en gang", "ein gong"),
    "0": ("ingen", "ingen dager", "ingen dagar", "aldri", "ikke i det hele tatt", "ingenting", "none", "never",
          "no days", "not at all", "zero"),
}  # fmt: skip


def parse_days(text: str) -> int | None:
    """Days out of the last 7: «hver dag», «3 dager», "most days", "about 5"."""
    phrase = parse_choice(text, DAY_PHRASES)
    if phrase is not None:
        return int(phrase)
    return parse_scale(text, 0, 7)


OTHER_KINDS = ("annet", "andre", "anna", "vet ikke", "veit ikkje", "other", "something else", "don't know",
               "not sure")  # fmt: skip


def parse_kinds(text: str, medication_synonyms: Mapping[str, str]) -> tuple[str, ...] | None:
    """The kinds of painkiller named ("Paracet og Ibux" -> paracetamol, nsaid), longest names first."""
    remaining = " " + " ".join(WORD.findall(text.lower().replace("-", " "))) + " "
    found: list[str] = []
    for synonym in sorted(medication_synonyms, key=len, reverse=True):
        needle = " " + " ".join(WORD.findall(synonym.replace("-", " "))) + " "
        if needle.strip() and needle in remaining:
            remaining = remaining.replace(needle, " ")
            value = medication_synonyms[synonym]
            if value not in found:
                found.append(value)
    if not found and parse_choice(text, {"other": OTHER_KINDS}):
        found.append("other")
    return tuple(found) or None


REASON_OPTIONS: dict[str, tuple[str, ...]] = {
    "strong_pain": ("sterke smerter", "sterk smerte", "smertene var sterke", "mye vondt", "veldig vondt",
                    "vondt", "strong pain", "the pain was strong", "it hurt a lot", "severe pain", "bad pain",
                    "pain was bad", "hurt too much"),
    "habit": ("vane", "vanen", "av vane", "rutine", "for sikkerhets skyld", "sikkerhets skyld", "i tilfelle",
              "for sikkerheits skuld", "habit", "out of habit", "routine", "just in case", "to be safe"),
    "fear": ("redd", "frykt", "bekymret", "redd for å gjøre det verre", "gjøre det verre", "gjere det verre",
             "afraid", "fear", "scared", "worried", "make it worse", "making it worse"),
    "work_sleep": ("jobb", "jobben", "arbeid", "arbeidet", "søvn", "sove", "sova", "natta", "work", "job",
                   "sleep", "get through the day", "komme gjennom dagen", "klare dagen", "jobb eller søvn",
                   "work or sleep"),
}  # fmt: skip


def parse_reason(text: str) -> str | None:
    return parse_choice(text, REASON_OPTIONS)
