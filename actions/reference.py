"""The action server's reference base, read once and kept in memory."""

from __future__ import annotations

import logging
import threading
from functools import lru_cache

from ryggvett import settings
from ryggvett.card_ranking import CardRanker
from ryggvett.contract import TOPIC_INTENTS
from ryggvett.reference.repository import ReferenceBase

logger = logging.getLogger(__name__)


@lru_cache(maxsize=1)
def reference_base() -> ReferenceBase:
    # Read-only at run time: one query at first use instead of one per turn.
    base = ReferenceBase.from_url(settings.db_url())
    logger.info("reference base: %d cards, %d sources", len(base.cards), len(base.sources))
    return base


@lru_cache(maxsize=1)
def card_ranker() -> CardRanker:
    """The classifier and index over the topic cards' questions, built once from the reference base."""
    return CardRanker(topic_cards())


def topic_cards() -> list:
    return [card for card in reference_base().cards if card.intent in TOPIC_INTENTS]


def _warm_up() -> None:
    try:
        card_ranker()
    except Exception:  # the first question tries again, and reports what is wrong
        logger.exception("warm-up: the reference base or the card ranker could not be built")


# Training the card ranker takes a few seconds: done when the action server starts, not during
# the first patient's question. Off where the actions are only imported (RYGGVETT_WARM_UP).
if settings.warm_up():
    threading.Thread(target=_warm_up, name="card-ranker-warm-up", daemon=True).start()
