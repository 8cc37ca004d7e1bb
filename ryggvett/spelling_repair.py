"""Spelling repair against the training vocabulary: "ryggn" -> "ryggen", "ibux" stays.

A word the training data never (or only once) used, with one slip away a word
it used often, is read as that word. One edit covers most phone typos: a
dropped, doubled, swapped or neighbouring letter.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

LETTERS = "abcdefghijklmnopqrstuvwxyzæøå"
MIN_LENGTH = 4  # shorter words have too many neighbours to guess from
KNOWN_COUNT = 2  # seen this often, a word is taken as written
TARGET_COUNT = 3  # seen this often, a word is trusted as a correction


def one_edit(word: str) -> set[str]:
    splits = [(word[:i], word[i:]) for i in range(len(word) + 1)]
    deletes = {a + b[1:] for a, b in splits if b}
    swaps = {a + b[1] + b[0] + b[2:] for a, b in splits if len(b) > 1}
    replaces = {a + c + b[1:] for a, b in splits if b for c in LETTERS}
    inserts = {a + c + b for a, b in splits for c in LETTERS}
    return (deletes | swaps | replaces | inserts) - {word}


@dataclass
class Vocabulary:
    counts: Counter[str] = field(default_factory=Counter)

    @classmethod
    def from_words(cls, words: Iterable[str]) -> Vocabulary:
        return cls(Counter(w.lower() for w in words))

    @classmethod
    def from_counts(cls, counts: dict[str, int]) -> Vocabulary:
        return cls(Counter(counts))

    def correct(self, word: str) -> str:
        """The word, or the frequent training word one edit away that it was likely meant as."""
        lower = word.lower()
        if len(lower) < MIN_LENGTH or not lower.isalpha() or self.counts[lower] >= KNOWN_COUNT:
            return word
        # Slips rarely hit the first letter, and changing it changes meaning: "kilder" is not "bilder".
        candidates = [
            (self.counts[c], c) for c in one_edit(lower) if c[0] == lower[0] and self.counts[c] >= TARGET_COUNT
        ]
        if not candidates:
            return word
        return max(candidates, key=lambda pair: (pair[0], pair[1]))[1]

    def as_dict(self) -> dict[str, int]:
        return dict(self.counts)
