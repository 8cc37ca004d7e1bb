"""The action server's reference base, read once and kept in memory."""

from __future__ import annotations

import logging
from functools import lru_cache

from ryggvett import settings
from ryggvett.reference.repository import ReferenceBase

logger = logging.getLogger(__name__)


@lru_cache(maxsize=1)
def reference_base() -> ReferenceBase:
    # Read-only at run time: one query at first use instead of one per turn.
    base = ReferenceBase.from_url(settings.db_url())
    logger.info("reference base: %d cards, %d sources", len(base.cards), len(base.sources))
    return base
