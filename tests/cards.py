"""A card for tests of card choice, with only what the choice reads filled in."""

from __future__ import annotations

import datetime as dt
from typing import Sequence

from ryggvett.reference.content import Card, CardText


def make_card(
    key: str,
    intent: str = "ask_medication",
    priority: str | None = None,
    general: bool | None = None,
    questions: Sequence[str] = (),
    **entities: list[str],
) -> Card:
    """A card; unless told, one without entities is its topic's general card."""
    return Card(
        key=key,
        intent=intent,
        entities={k: tuple(v) for k, v in entities.items()},
        sources=("nice-ng59",),
        texts={"nb": CardText(key, key), "en": CardText(key, key)},
        reviewed_by="test",
        last_reviewed=dt.date(2026, 1, 1),
        priority=priority,
        general=not entities if general is None else general,
        title={"nb": f"Om {key}", "en": f"About {key}"},
        questions={"en": tuple(questions) or (f"what about {key}?",)},
    )
