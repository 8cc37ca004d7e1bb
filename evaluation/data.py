"""Labelled NLU examples read with Rasa's own loader."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ryggvett.language import detect


@dataclass(frozen=True)
class Example:
    text: str
    intent: str
    entities: tuple[tuple[int, int, str], ...]  # (start, end, entity type)

    @property
    def language(self) -> str:
        return detect(self.text).language or "unclear"


def load_examples(*paths: Path) -> list[Example]:
    from rasa.shared.nlu.training_data.loading import load_data

    examples = []
    for path in paths:
        data = load_data(str(path))
        for message in data.intent_examples:
            entities = tuple((int(e["start"]), int(e["end"]), str(e["entity"])) for e in message.get("entities") or ())
            examples.append(Example(message.get("text"), message.get("intent"), entities))
    return examples
