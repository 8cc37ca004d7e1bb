"""Choosing the answer card: entity rules for safety, then the cards' own questions.

A safety card that the entities call for (a dose, pregnancy, daily use, recent surgery)
always answers. Otherwise every topic card is scored from what the message and the NLU say:

- how close the message is to the card's own example questions (TF-IDF over character and
  word n-grams, ryggvett.card_ranking);
- the intent classifier's confidence in the card's topic (any topic for situation cards);
- a bonus for each entity type of the card that was mentioned ("Ibux" favours NSAID cards).

Every topic card may answer, not only those of the classified topic: a question about an MRI
report that the classifier read as a medicine question still finds the MRI card. The weights
were chosen on the first card-level test set (46 cards) and checked on a second set for the
100 newer cards (reports/nlu/cards.md). When the best two are close and neither is sure, the
person is asked «Mener du …?» with up to three card titles.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Mapping, Sequence

from ryggvett.answers import Mention, condition_matches, select_card
from ryggvett.contract import TOPIC_INTENTS
from ryggvett.reference.content import ANY_TOPIC, Card

SIMILARITY_WEIGHT = 1.0
TOPIC_WEIGHT = 0.05
ENTITY_BONUS = 0.1
# With less evidence than this for the best card (similarity and entities, the topic aside)
# the topic's general card answers; the best two this close, and the best below SURE, and
# the person is asked which card was meant.
MIN_EVIDENCE = 0.15
# A message of a few words ("medisin?") comes near many cards by chance: it needs this much.
SHORT_MESSAGE_WORDS = 3
MIN_EVIDENCE_SHORT = 0.45
CLOSE = 0.01
SURE = 0.25
MAX_OPTIONS = 3


@dataclass(frozen=True)
class CardChoice:
    card: Card | None
    # When unsure: the cards to offer as buttons, best first (the chosen card among them).
    options: tuple[Card, ...] = ()
    scores: tuple[tuple[str, float], ...] = ()

    @property
    def unsure(self) -> bool:
        return len(self.options) > 1


def choose_card(
    cards: Sequence[Card],
    intent: str,
    mentions: Iterable[Mention],
    intents: Sequence[tuple[str, float]] = (),
    similarities: Mapping[str, float] | None = None,
    words: int | None = None,
) -> CardChoice:
    """The card for a topic question.

    `cards`: every topic card; `intents`: the classifier's (intent, confidence), best first;
    `similarities`: card key -> similarity of the message to the card's questions (0..1);
    `words`: how many words the message has.
    """
    mentions = list(mentions)
    own_topic = [card for card in cards if _may_answer(card, intent)]
    ruled = select_card(own_topic, intent, mentions)
    if ruled is not None and ruled.is_safety:
        return CardChoice(ruled)
    topic = dict(intents) or {intent: 1.0}
    similar = similarities or {}

    def evidence(card: Card) -> float:
        return SIMILARITY_WEIGHT * similar.get(card.key, 0.0) + ENTITY_BONUS * condition_matches(card, intent, mentions)

    def topic_confidence(card: Card) -> float:
        return max(
            max((topic.get(t, 0.0) for t in TOPIC_INTENTS), default=0.0) if c.intent == ANY_TOPIC
            else topic.get(c.intent, 0.0)
            for c in card.conditions
        )  # fmt: skip

    found_for = {card.key: evidence(card) for card in cards}
    scored = sorted(
        ((card, found_for[card.key] + TOPIC_WEIGHT * topic_confidence(card)) for card in cards),
        key=lambda pair: pair[1],
        reverse=True,
    )
    scores = tuple((card.key, round(value, 3)) for card, value in scored[:5])
    needed = MIN_EVIDENCE_SHORT if words is not None and words <= SHORT_MESSAGE_WORDS else MIN_EVIDENCE
    if not scored or found_for[scored[0][0].key] < needed:
        return CardChoice(ruled, (), scores)
    best, best_score = scored[0]
    close = [card for card, value in scored[1:MAX_OPTIONS] if best_score - value < CLOSE]
    if close and best_score < SURE:
        return CardChoice(best, (best, *close), scores)
    return CardChoice(best, (), scores)


# When the NLU is unsure of the topic, cards this close are offered as «Mener du …?».
OFFER_SIMILARITY = 0.4


def nearest_cards(similarities: Mapping[str, float], limit: int = MAX_OPTIONS) -> list[str]:
    """The keys of the closest cards, best first, if the best is close enough to offer."""
    ranked = sorted(similarities.items(), key=lambda pair: pair[1], reverse=True)
    if not ranked or ranked[0][1] < OFFER_SIMILARITY:
        return []
    return [key for key, value in ranked[:limit] if value >= OFFER_SIMILARITY / 2]


def _may_answer(card: Card, intent: str) -> bool:
    return any(c.intent == intent or (c.intent == ANY_TOPIC and intent in TOPIC_INTENTS) for c in card.conditions)


def intent_ranking(parse_data: Mapping) -> list[tuple[str, float]]:
    """(intent, confidence) pairs from Rasa's parse data, best first."""
    return [(str(i.get("name")), float(i.get("confidence") or 0.0)) for i in parse_data.get("intent_ranking") or ()]
