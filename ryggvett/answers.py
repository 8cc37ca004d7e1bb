"""Choose the answer card that fits an intent and the entities in the message."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Sequence

from ryggvett.reference.content import Card


@dataclass(frozen=True)
class Mention:
    """An entity found in the message, normalised to its canonical value."""

    entity: str
    value: str
    start: int = 0


def select_card(cards: Sequence[Card], intent: str, mentions: Iterable[Mention]) -> Card | None:
    """The most specific card of `intent` whose entity values were all mentioned.

    A card specific to several entity types needs one of its values mentioned for
    each type. Safety cards (personal advice needed) win; then the card matching
    most entity types; then the one whose value was mentioned first, so "Ibux or
    Paracet?" is answered about Ibux. With no specific match, the intent's
    general card (the one without entities) answers.
    """
    first_seen: dict[tuple[str, str], int] = {}
    for mention in mentions:
        first_seen.setdefault((mention.entity, mention.value), mention.start)

    best: tuple[int, int, int, int] | None = None
    chosen: Card | None = None
    general: Card | None = None
    for order, card in enumerate(c for c in cards if c.intent == intent):
        if not card.entities:
            general = general or card
            continue
        positions = []
        for entity, values in card.entities.items():
            hits = [first_seen[(entity, v)] for v in values if (entity, v) in first_seen]
            if not hits:
                break
            positions.append(min(hits))
        else:
            rank = (int(card.is_safety), len(card.entities), -min(positions), -order)
            if best is None or rank > best:
                best, chosen = rank, card
    return chosen or general


def safety_notes(cards: Sequence[Card], intent: str, mentions: Iterable[Mention]) -> list[Card]:
    """Safety cards of other intents that this message also calls for.

    "I take Paracet every day - can I lift?" is a lifting question, but the
    daily painkiller use needs its own gentle prompt first. A note applies only
    when a medicine was named too, so "daily life" never triggers one.
    """
    mentions = list(mentions)
    if not any(m.entity == "medication" for m in mentions):
        return []
    notes = []
    for card in cards:
        if card.intent == intent or not card.is_safety:
            continue
        chosen = select_card([card], card.intent, mentions)
        if chosen is not None:
            notes.append(card)
    return notes
