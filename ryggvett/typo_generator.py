"""Deterministic misspellings: one or two per sentence, as people type on a phone."""

from __future__ import annotations

import random
import re

KEYBOARD_NEIGHBOURS = {
    "a": "sqwz", "b": "vngh", "c": "xvdf", "d": "sfer", "e": "wrds", "f": "dgrt", "g": "fhty", "h": "gjyu",
    "i": "uojk", "j": "hkui", "k": "jlio", "l": "kopæ", "m": "nj", "n": "bmhj", "o": "ipklø", "p": "oløå",
    "r": "etdf", "s": "adwe", "t": "ryfg", "u": "yihj", "v": "cbfg", "w": "qeas", "y": "tugh", "æ": "øl", "ø": "olæå",
}  # fmt: skip
WORD = re.compile(r"[A-Za-zÆØÅæøå]{4,}")


def _misspell(word: str, rng: random.Random) -> str:
    i = rng.randrange(1, len(word) - 1)
    kind = rng.choice(("swap", "drop", "double", "neighbour"))
    if kind == "swap":
        return word[:i] + word[i + 1] + word[i] + word[i + 2 :]
    if kind == "drop":
        return word[:i] + word[i + 1 :]
    if kind == "double":
        return word[:i] + word[i] + word[i:]
    neighbours = KEYBOARD_NEIGHBOURS.get(word[i].lower())
    return word[:i] + rng.choice(neighbours) + word[i + 1 :] if neighbours else word[:i] + word[i + 1 :]


def add_typos(text: str, seed: int = 0) -> str:
    """The text with one or two misspelled words per sentence; the same text always gets the same typos."""
    rng = random.Random(f"{seed}:{text}")
    sentences = re.split(r"(?<=[.!?])\s+", text)
    out = []
    for sentence in sentences:
        words = list(WORD.finditer(sentence))
        chosen = rng.sample(words, k=min(len(words), rng.choice((1, 2))))
        for match in sorted(chosen, key=lambda m: m.start(), reverse=True):
            sentence = sentence[: match.start()] + _misspell(match.group(0), rng) + sentence[match.end() :]
        out.append(sentence)
    return " ".join(out)
