"""Is a message about something outside low back pain? (a neck, a knee, a prolapsed uterus)

The words are content (content/scope.yml). A message is outside when it names something of
the outside list and nothing of the low back: "vondt i nakken" is outside, "vondt i nakken og
korsryggen" is a back question. Word beginnings match, so «kneet» and «skuldrene» count.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

from ryggvett import settings

WORD = re.compile(r"[a-zæøåäöüé]+")


@dataclass(frozen=True)
class Scope:
    outside: tuple[str, ...]
    back: tuple[str, ...]
    # never a person's low back, whatever else the message says (a dog's back, a backpack)
    always_outside: tuple[str, ...] = ()
    # words that begin like a back word but are not the back («ryggsekk», "backpack")
    not_back: tuple[str, ...] = ()

    def is_outside(self, text: str) -> bool:
        lowered = _words(text)
        if _names(lowered, self.always_outside):
            return True
        return _names(lowered, self.outside) and not self._names_back(lowered)

    def names_the_back(self, text: str) -> bool:
        """The message names the back and nothing outside it: a back question, whatever the classifier says."""
        return self._names_back(_words(text)) and not self.is_outside(text)

    def _names_back(self, lowered: str) -> bool:
        for word in self.not_back:
            lowered = re.sub(rf" {re.escape(word)}[a-zæøåäöüé]*", " ", lowered)
        return _names(lowered, self.back)


def _words(text: str) -> str:
    return " " + " ".join(WORD.findall(text.lower())) + " "


def _names(text: str, phrases: tuple[str, ...]) -> bool:
    # A phrase must start a word: "mens" is not inside "smertene", "kne" is not inside "kneip".
    return any(f" {phrase}" in text for phrase in phrases)


def read_scope(path: Path) -> Scope:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))

    def words(key: str) -> tuple[str, ...]:
        return tuple(str(w).lower() for w in data.get(key) or ())

    return Scope(words("outside"), words("back"), words("always_outside"), words("not_back"))


@lru_cache(maxsize=1)
def default_scope() -> Scope:
    return read_scope(settings.content_dir() / "scope.yml")
