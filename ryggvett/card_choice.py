"""Choosing the answer card: the cards' own questions, the topic, the entities and safety.

Every topic card is scored from what the message and the NLU say:

- how well the message fits the card's own example questions (a linear classifier over all
  cards' questions, ryggvett.card_ranking);
- the intent classifier's confidence in the card's topic (any topic for situation cards);
- a bonus for each entity type of the card that was mentioned ("Ibux" favours NSAID cards).

Every topic card may answer, not only those of the classified topic: a question about an MRI
report that the classifier read as a medicine question still finds the MRI card.

A safety card that the entities call for (a dose, pregnancy, daily use, recent surgery) is
never left out: it answers, or, when another specific card fits the question clearly better
("Can I take Paracet and Ibux together, and how many?"), it comes first as a note and that
card answers. When the best two are close and neither is sure, the person is asked
«Mener du …?» with up to three card titles. The weights were chosen on the first card-level
test set and checked on the second (reports/cards.md).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable, Iterable, Mapping, Sequence

from ryggvett.answers import Mention, condition_matches, select_card
from ryggvett.card_ranking import CardEvidence
from ryggvett.contract import TOPIC_INTENTS
from ryggvett.reference.content import ANY_TOPIC, Card

TOPIC_WEIGHT = 0.1
ENTITY_BONUS = 0.2
# With less than this (similarity to the nearest questions plus entities) for every card, the
# message names no card's point and the topic's general card answers.
MIN_EVIDENCE = 0.15
# A message of a few words ("medisin?") comes near many cards by chance: it needs this much.
SHORT_MESSAGE_WORDS = 3
MIN_EVIDENCE_SHORT = 0.45
# The best two this close, and the best below SURE: «Mener du …?».
CLOSE = 0.01
SURE = 0.3
MAX_OPTIONS = 3
# Another card answers beside a safety card only when it fits this much better.
SAFETY_NOTE_MARGIN = 0.2
# When the NLU could not tell the topic, a card that fits at least SURE_FIT (a decision value;
# above 0 the classifier counts it a match) and leads the next by SURE_WITHOUT_TOPIC answers.
# Chosen on the first card-level test set's questions and both sets' out-of-scope questions:
# stricter asked more clear questions «Mener du …?», looser answered more out-of-scope ones.
SURE_FIT = -0.3
SURE_WITHOUT_TOPIC = 0.1


@dataclass(frozen=True)
class CardChoice:
    card: Card | None
    # When unsure: the cards to offer as buttons, best first (the chosen card among them).
    options: tuple[Card, ...] = ()
    scores: tuple[tuple[str, float], ...] = ()
    # Safety cards the message calls for, said before the card.
    notes: tuple[Card, ...] = ()

    @property
    def unsure(self) -> bool:
        return len(self.options) > 1


def choose_card(
    cards: Sequence[Card],
    intent: str,
    mentions: Iterable[Mention],
    intents: Sequence[tuple[str, float]] = (),
    evidence: CardEvidence | None = None,
    words: int | None = None,
) -> CardChoice:
    """The card for a topic question.

    `cards`: every topic card; `intents`: the classifier's (intent, confidence), best first;
    `evidence`: what the cards' questions say about the message; `words`: its length in words.
    """
    mentions = list(mentions)
    own_topic = [card for card in cards if _may_answer(card, intent)]
    ruled = select_card(own_topic, intent, mentions)
    topic = dict(intents) or {intent: 1.0}
    evidence = evidence or CardEvidence()

    def topic_confidence(card: Card) -> float:
        return max(
            max((topic.get(t, 0.0) for t in TOPIC_INTENTS), default=0.0) if c.intent == ANY_TOPIC
            else topic.get(c.intent, 0.0)
            for c in card.conditions
        )  # fmt: skip

    entities = {card.key: ENTITY_BONUS * condition_matches(card, intent, mentions) for card in cards}
    scored = sorted(
        (
            (card, evidence.fit.get(card.key, 0.0) + TOPIC_WEIGHT * topic_confidence(card) + entities[card.key])
            for card in cards
        ),
        key=lambda pair: pair[1],
        reverse=True,
    )
    scores = tuple((card.key, round(value, 3)) for card, value in scored[:5])
    needed = _evidence_needed(words)
    found = max((evidence.similarity.get(card.key, 0.0) + entities[card.key] for card in cards), default=0.0)
    if not scored or found < needed:
        return CardChoice(ruled, (), scores)
    best, best_score = scored[0]
    if ruled is not None and ruled.is_safety:
        if best is ruled or best.general or _fit_gap(evidence, best, ruled) < SAFETY_NOTE_MARGIN:
            return CardChoice(ruled, (), scores)
        return CardChoice(best, (), scores, notes=(ruled,))
    close = [card for card, value in scored[1:MAX_OPTIONS] if best_score - value < CLOSE]
    if close and best_score < SURE:
        return CardChoice(best, (best, *close), scores)
    return CardChoice(best, (), scores)


# When the classifier alone read a message as outside low back pain (no outside word named:
# "kan kiropraktor skrive sykemelding?"), a card that fits this strongly still answers. On the
# card-level test sets no out-of-scope question fitted a card this much (the most: 0.34).
STRONG_FIT = 0.4
STRONG_LEAD = 0.9


def sure_card(
    evidence: CardEvidence, words: int | None = None, fit: float = SURE_FIT, lead: float = SURE_WITHOUT_TOPIC
) -> str | None:
    """The card that fits clearly best by its questions alone, if the message names its point.

    `fit`: the least decision value of the best card; `lead`: how far ahead of the next it must be.
    """
    ranked = sorted(evidence.fit.items(), key=lambda pair: pair[1], reverse=True)
    if len(ranked) < 2 or max(evidence.similarity.values(), default=0.0) < _evidence_needed(words):
        return None
    best, runner_up = ranked[0][1], ranked[1][1]
    return ranked[0][0] if best >= fit and best - runner_up >= lead else None


def strong_card(evidence: CardEvidence, words: int | None = None) -> str | None:
    """The card that answers a message the classifier alone read as outside low back pain, if any."""
    return sure_card(evidence, words, STRONG_FIT, STRONG_LEAD)


def _evidence_needed(words: int | None) -> float:
    return MIN_EVIDENCE_SHORT if words is not None and words <= SHORT_MESSAGE_WORDS else MIN_EVIDENCE


def _fit_gap(evidence: CardEvidence, better: Card, other: Card) -> float:
    return evidence.fit.get(better.key, 0.0) - evidence.fit.get(other.key, 0.0)


# When the NLU is unsure of the topic, cards are offered as «Mener du …?» if one comes this close.
OFFER_SIMILARITY = 0.25


def nearest_cards(evidence: CardEvidence, limit: int = MAX_OPTIONS) -> list[str]:
    """The best-fitting cards, best first, if the message comes close enough to one to offer them."""
    if max(evidence.similarity.values(), default=0.0) < OFFER_SIMILARITY:
        return []
    return [key for key, _ in sorted(evidence.fit.items(), key=lambda pair: pair[1], reverse=True)[:limit]]


def _may_answer(card: Card, intent: str) -> bool:
    return any(c.intent == intent or (c.intent == ANY_TOPIC and intent in TOPIC_INTENTS) for c in card.conditions)


def intent_ranking(parse_data: Mapping) -> list[tuple[str, float]]:
    """(intent, confidence) pairs from Rasa's parse data, best first."""
    return [(str(i.get("name")), float(i.get("confidence") or 0.0)) for i in parse_data.get("intent_ranking") or ()]


# A part of a message needs this many words to be read as a question of its own.
MIN_PART_WORDS = 3
# The best card for another question in the message is offered when it fits at least this much.
OFFER_FIT = -0.3
_PART_BREAK = re.compile(
    r"(?<=[?!.;])\s+|,?\s+(?:og|and)\s+(?=(?:hva|hvor|hvordan|når|kan|bør|skal|what|how|when|can|should|will)\b)",
    re.IGNORECASE,
)
_LEADING_JOIN = re.compile(r"^(?:og|and|men|but|also|også|så)\s+", re.IGNORECASE)
_QUESTION_START = re.compile(
    r"^(?:hva|hvor|hvordan|hvorfor|hvilk\w*|når|kan|bør|skal|må|er|har|hjelper|gjør|vil|kva|kor|korleis|kvifor|"
    r"what|how|why|which|when|can|could|should|is|are|do|does|will|would|has|have)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Answer:
    """The card choice for a whole message, and a card for a second question in it, if any."""

    choice: CardChoice
    also: Card | None = None


def answer_message(
    cards: Sequence[Card],
    text: str,
    intent: str,
    mentions: Iterable[Mention],
    intents: Sequence[tuple[str, float]],
    evidence_of: Callable[[str], CardEvidence],
) -> Answer:
    """Choose the card for `text`; with two questions in it, one is answered and the other offered.

    The whole message chooses the answer (what was told around the questions counts: answering
    the first question alone measured worse); a question in it that another card fits is offered.
    """
    mentions = list(mentions)
    choice = choose_card(cards, intent, mentions, intents, evidence_of(text), len(text.split()))
    parts = question_parts(text)
    if choice.card is None or choice.unsure or len(parts) < 2:
        return Answer(choice)
    return Answer(choice, _best_other_card([evidence_of(part) for part in parts], choice, cards))


def question_parts(text: str) -> list[str]:
    """The questions in a message, in order ("Hvor lenge kan jeg ta Ibux? Og hjelper varme?")."""
    parts = [_LEADING_JOIN.sub("", part.strip(" ,")) for part in _PART_BREAK.split(text) if part]
    return [
        part
        for part in parts
        if len(part.split()) >= MIN_PART_WORDS and (part.endswith("?") or _QUESTION_START.match(part))
    ]


def _best_other_card(parts_evidence: Sequence[CardEvidence], choice: CardChoice, cards: Sequence[Card]) -> Card | None:
    by_key = {card.key: card for card in cards}
    said = {card.key for card in (choice.card, *choice.notes) if card is not None}
    for evidence in parts_evidence:
        if max(evidence.similarity.values(), default=0.0) < MIN_EVIDENCE:
            continue
        key, fit = max(evidence.fit.items(), key=lambda pair: pair[1], default=("", 0.0))
        card = by_key.get(key)
        if card is not None and key not in said and not card.general and fit >= OFFER_FIT:
            return card
    return None
