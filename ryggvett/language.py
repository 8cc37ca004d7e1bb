"""Offline language detection for the languages Ryggvett answers in (nb, en).

Nynorsk is detected as Norwegian and answered in bokmål. Short or unclear
messages keep the conversation's language, so "ok" or "Ibux?" never flips it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from lingua import Language, LanguageDetector, LanguageDetectorBuilder

from ryggvett import settings
from ryggvett.reference.content import read_terms

WORD = re.compile(r"[a-zA-ZæøåÆØÅéèêóòôü']+")

# Frequent function words that settle short messages lingua finds hard
# ("Is ibuprofen OK for back pain?" shares most letters with Norwegian). Words both
# languages use ("for": «for lett», «for sikkerhets skyld») are left out.
NORWEGIAN_WORDS = frozenset(
    "jeg eg meg deg du er ikke ikkje det den og å på hva kva hvordan korleis kan "
    "skal bør har med til av som når kor hvor hvorfor kvifor mitt min mi vondt "
    "ryggen litt noe noko etter takk hei nei ja sånn også ogso eller hjelper hjelp "
    # greetings, thanks, yes/no and feedback, which often come alone
    "heisann hallais halla heia morn morrn goddag hade hadet snakkes morna farvel sees "
    "takker tusen jepp japp jeps jada jo gjerne selvfølgelig absolutt riktig okei neida "
    "niks aldri flott supert knallbra topp forvirrende elendig kilde kilder norsk".split()
)
ENGLISH_WORDS = frozenset(
    "i'm im my me you is are the and to of what how can should does do have with "
    "when where why it this that about hurt hurts pain back thanks hello hi "
    "no yes please would will any get dont don't cant can't "
    "hey hiya howdy bye goodbye cya later cheers thx ty thank sure nope nah never "
    "awesome perfect brilliant excellent useless confusing rubbish terrible source sources "
    "english agent joke yeah yep yup okay alright definitely certainly correct indeed "
    "morning greetings farewell speak read tell write".split()
)


# A reply to a question ("ja", "ok", "yes") says nothing about the language.
ANSWER_WORDS = frozenset("ja jo nei yes no ok okay okei k jepp japp jeps yep yup yeah nope nah".split())


@lru_cache(maxsize=1)
def medicine_names() -> frozenset[str]:
    """Medicine and brand names (Paracet, Ibux, Voltaren): they belong to no language."""
    terms = read_terms(settings.content_dir() / "terms.yml")
    return frozenset(word for t in terms if t.entity == "medication" for word in t.synonym.split())


@dataclass(frozen=True)
class Detection:
    language: str | None  # "nb", "en", or None when the message does not tell
    norwegian: float
    english: float


@lru_cache(maxsize=1)
def _detector() -> LanguageDetector:
    return (
        LanguageDetectorBuilder.from_languages(Language.BOKMAL, Language.NYNORSK, Language.ENGLISH)
        .with_preloaded_language_models()
        .build()
    )


def detect(text: str) -> Detection:
    """Detect nb or en; `language` is None when the text is too short or unclear."""
    names = medicine_names()
    words = [w.lower() for w in WORD.findall(text) if w.lower() not in names]
    if not words:
        return Detection(None, 0.0, 0.0)
    if len(words) == 1 and words[0] in ANSWER_WORDS:
        return Detection(None, 0.0, 0.0)
    # Brand names look Norwegian to lingua ("Paracet", "Ibux"): it reads the rest.
    text = " ".join(word for word in WORD.findall(text) if word.lower() not in names) or text
    scores = {c.language: c.value for c in _detector().compute_language_confidence_values(text)}
    norwegian = scores.get(Language.BOKMAL, 0.0) + scores.get(Language.NYNORSK, 0.0)
    english = scores.get(Language.ENGLISH, 0.0)
    # Each known function word moves the balance; lingua alone decides longer texts.
    votes = sum(w in NORWEGIAN_WORDS for w in words) - sum(w in ENGLISH_WORDS for w in words)
    balance = (norwegian - english) + 0.25 * votes
    if any(ch in text for ch in "æøåÆØÅ"):
        balance += 0.5
    if len(words) <= 3:
        # In a few words lingua guesses; known words decide, and an unknown
        # word alone (a brand name, "ok") says nothing about the language.
        if votes == 0 and len(words) == 1:
            return Detection(None, norwegian, english)
        if votes:
            balance = float(votes) + (0.5 if balance > 1 else 0.0)
    if balance >= 0.25:
        return Detection("nb", norwegian, english)
    if balance <= -0.25:
        return Detection("en", norwegian, english)
    return Detection(None, norwegian, english)


def conversation_language(text: str, current: str | None, default: str = "nb") -> str:
    """The language to answer `text` in, given the conversation's language so far."""
    return detect(text).language or current or default


def choose_language(
    text: str,
    current: str | None,
    pinned: bool,
    explicit: str | None = None,
    default: str = "nb",
) -> tuple[str, bool]:
    """The language to answer in and whether it is pinned by the person's own choice.

    An explicit request ("svar på engelsk") wins and stays until the person asks
    again; otherwise each message's detected language leads.
    """
    if explicit in ("nb", "en"):
        return explicit, True
    if text.startswith("/"):
        # A button's payload ("/feedback_negative") is not the person's language.
        return current or default, pinned
    if pinned and current:
        return current, True
    return conversation_language(text, current, default), False
