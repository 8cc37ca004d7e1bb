"""SQL tracker store that masks personal data before it is stored, and never loses a message silently.

Configured in endpoints.yml as `type: rasa_extensions.masking_tracker_store.MaskingSQLTrackerStore`.
The masking runs when the tracker is saved, after the turn's actions have run,
so the callback form still sees the number it validates and stores.

Rasa wraps every tracker store in a `FailSafeTrackerStore`, which on a database error
starts an empty conversation or keeps the turn in memory only, while the person is
answered as if all were well. Health conversations must not vanish like that, so this
store is used unwrapped: a database call that fails is retried for a few seconds (a
restart), and if it still fails the error reaches the channel, which answers with the
technical-problem apology instead (rasa_extensions/protected_channels.py).
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any, Awaitable, Callable, TypeVar

import sqlalchemy as sa
from rasa.core.agent import Agent
from rasa.core.tracker_store import SQLTrackerStore, TrackerStore, create_engine_kwargs
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from rasa_extensions import resilient_actions
from ryggvett.privacy import mask_personal_data

# Loaded by every `rasa run` (endpoints.yml), so the action-server apology is always in place.
resilient_actions.install()
logger = logging.getLogger(__name__)
T = TypeVar("T")
# Waits between attempts: a database restart usually takes a few seconds.
RETRY_DELAYS = (0.25, 0.5, 1.0, 2.0, 4.0)


def mask_personal_events(tracker: DialogueStateTracker) -> None:
    for event in tracker.events:
        if isinstance(event, UserUttered) and event.text:
            masked = mask_personal_data(event.text)
            if masked != event.text:
                event.text = masked
                event.parse_data = {**event.parse_data, "text": masked}
        # A form's from_text slot holds the raw message until validation replaces it.
        elif isinstance(event, SlotSet) and isinstance(event.value, str):
            event.value = mask_personal_data(event.value)


class MaskingSQLTrackerStore(SQLTrackerStore):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Test each pooled connection before use, so a restarted database costs no message.
        url = self.engine.url
        self.engine.dispose()
        self.engine = sa.create_engine(url, pool_pre_ping=True, **create_engine_kwargs(url))
        if self.engine.dialect.name == "sqlite":
            sa.event.listen(self.engine, "connect", _sqlite_write_ahead_log)
        self.sessionmaker = sa.orm.session.sessionmaker(bind=self.engine)

    async def _retrying(self, operation: Callable[[], Awaitable[T]], what: str) -> T:
        for delay in RETRY_DELAYS:
            try:
                return await operation()
            except sa.exc.OperationalError as error:
                logger.warning("Tracker store: %s failed (%s); retrying in %.2f s", what, error.orig, delay)
                await asyncio.sleep(delay)
        return await operation()

    async def save(self, tracker: DialogueStateTracker) -> None:
        mask_personal_events(tracker)
        save = super().save
        await self._retrying(lambda: save(tracker), "saving")

    async def retrieve(self, sender_id: str) -> DialogueStateTracker | None:
        read = super().retrieve
        return await self._retrying(lambda: read(sender_id), "reading")

    async def retrieve_full_tracker(self, sender_id: str) -> DialogueStateTracker | None:
        read = super().retrieve_full_tracker
        return await self._retrying(lambda: read(sender_id), "reading")


def _sqlite_write_ahead_log(connection: Any, _record: Any) -> None:
    # A write-ahead log lets the dashboard read while Rasa writes, and commits faster;
    # synchronous=FULL keeps every acknowledged message on disk.
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA synchronous=FULL")


def _create_tracker_store(store: TrackerStore | None, domain: Domain) -> TrackerStore:
    if isinstance(store, MaskingSQLTrackerStore):
        store.domain = domain
        return store  # unwrapped: its errors must reach the channel (see the module's docstring)
    return _rasa_create_tracker_store(store, domain)


_rasa_create_tracker_store = Agent._create_tracker_store
Agent._create_tracker_store = staticmethod(_create_tracker_store)  # type: ignore[method-assign]
