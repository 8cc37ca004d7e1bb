"""Plain-language measures for card texts: LIX for Norwegian, Flesch Reading Ease for English.

LIX (Björnsson) is words per sentence plus the share of words longer than six letters, in
per cent; 40 or less reads as plain prose. Flesch Reading Ease is 206.835 - 1.015 x words per
sentence - 84.6 x syllables per word; 60 or more is plain English. Syllables are counted by
vowel groups, the usual approximation.
"""

from __future__ import annotations

import re

WORD = re.compile(r"[A-Za-zÆØÅæøåÄÖäöÉéÜü]+(?:['’-][A-Za-zÆØÅæøåÄÖäöÉéÜü]+)*")
# A sentence ends at . ! ? or : followed by a space or the end (not "38 °C." inside numbers).
SENTENCE_END = re.compile(r"[.!?:;]+(?=\s|$)")
VOWEL_GROUPS = re.compile(r"[aeiouy]+")


def words(text: str) -> list[str]:
    return WORD.findall(text)


def sentence_count(text: str) -> int:
    return max(1, len(SENTENCE_END.findall(text.strip())) or 1)


def lix(text: str) -> float:
    found = words(text)
    if not found:
        return 0.0
    long_words = sum(len(word) > 6 for word in found)
    return len(found) / sentence_count(text) + 100 * long_words / len(found)


def syllables(word: str) -> int:
    word = word.lower().replace("’", "'")
    groups = len(VOWEL_GROUPS.findall(word))
    if word.endswith("e") and not word.endswith(("le", "ee", "ye")) and groups > 1:
        groups -= 1  # a silent final e: "use", "name"
    return max(1, groups)


def flesch_reading_ease(text: str) -> float:
    found = words(text)
    if not found:
        return 100.0
    per_sentence = len(found) / sentence_count(text)
    per_word = sum(syllables(word) for word in found) / len(found)
    return 206.835 - 1.015 * per_sentence - 84.6 * per_word
