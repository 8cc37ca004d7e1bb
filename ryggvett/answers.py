"""Choose the answer card that fits an intent and the entities in the message."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Mapping, Sequence

from ryggvett.contract import TOPIC_INTENTS
from ryggvett.reference.content import ANY_TOPIC, Card


@dataclass(frozen=True)
class Mention:
    """An entity found in the message, normalised to its canonical value."""

    entity: str
    value: str
    start: int = 0


# Where exercise advice should wait and a clinician decide (docs/evidence.md): the
# answer for these situations sends the person to their surgeon or midwife instead.
EXERCISE_WAITS = frozenset({("situation", "after_surgery"), ("situation", "pregnancy")})


def exercise_should_wait(card: Card | None) -> bool:
    """Whether the answer given is for a situation in which tailored exercises should not be offered."""
    if card is None:
        return False
    return any((entity, value) in EXERCISE_WAITS for entity, values in card.entities.items() for value in values)


# What a mention also says: pregnancy is personal health for a medicine question.
IMPLIED: dict[tuple[str, str], tuple[str, str]] = {("situation", "pregnancy"): ("med_concern", "personal_health")}


def with_implied(mentions: Iterable[Mention]) -> list[Mention]:
    mentions = list(mentions)
    implied = [
        Mention(*IMPLIED[(m.entity, m.value)], start=m.start) for m in mentions if (m.entity, m.value) in IMPLIED
    ]
    return mentions + implied


def select_card(cards: Sequence[Card], intent: str, mentions: Iterable[Mention]) -> Card | None:
    """The most specific card for `intent` whose entity values were all mentioned.

    A card is chosen by its intent and entities, or by one of its further
    conditions (`also`; intent "*" for any topic question, as a situation like
    pregnancy changes every answer). A condition specific to several entity
    types needs one of its values mentioned for each type. Safety cards
    (personal advice needed) win; then the condition matching most entity
    types; then the one whose value was mentioned first, so "Ibux or Paracet?"
    is answered about Ibux. With no specific match, the intent's general card
    (the one without entities) answers.
    """
    first_seen: dict[tuple[str, str], int] = {}
    for mention in with_implied(mentions):
        first_seen.setdefault((mention.entity, mention.value), mention.start)

    best: tuple[int, int, int, int] | None = None
    chosen: Card | None = None
    general: Card | None = None
    for order, card in enumerate(cards):
        for condition in card.conditions:
            if condition.intent != intent and not (condition.intent == ANY_TOPIC and intent in TOPIC_INTENTS):
                continue
            if not condition.entities:
                if card.general and condition.intent == intent:
                    general = general or card
                continue
            positions = _first_positions(condition.entities, first_seen)
            if positions is None:
                continue
            rank = (int(card.is_safety), len(condition.entities), -min(positions), -order)
            if best is None or rank > best:
                best, chosen = rank, card
    return chosen or general


def condition_matches(card: Card, intent: str, mentions: Iterable[Mention]) -> int:
    """How many entity types of the card's best condition for `intent` were mentioned (0: none fits)."""
    first_seen: dict[tuple[str, str], int] = {}
    for mention in with_implied(mentions):
        first_seen.setdefault((mention.entity, mention.value), mention.start)
    best = 0
    for condition in card.conditions:
        if condition.intent != intent and not (condition.intent == ANY_TOPIC and intent in TOPIC_INTENTS):
            continue
        if condition.entities and _first_positions(condition.entities, first_seen) is not None:
            best = max(best, len(condition.entities))
    return best


def _first_positions(entities: Mapping[str, Sequence[str]], first_seen: dict[tuple[str, str], int]) -> list[int] | None:
    """Where each entity type of a condition was first mentioned; None if one is missing."""
    positions = []
    for entity, values in entities.items():
        hits = [first_seen[(entity, v)] for v in values if (entity, v) in first_seen]
        if not hits:
            return None
        positions.append(min(hits))
    return positions


def safety_notes(
    cards: Sequence[Card], intent: str, mentions: Iterable[Mention], chosen: Card | None = None
) -> list[Card]:
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
        if card.intent == intent or card == chosen or not card.is_safety or not card.entities:
            continue
        # Only the card's own condition: a situation card answering any topic is not a note.
        if _first_positions(card.entities, {(m.entity, m.value): m.start for m in with_implied(mentions)}):
            notes.append(card)
    return notes
