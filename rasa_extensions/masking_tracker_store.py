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

Each server keeps the conversations it saved last in memory (RYGGVETT_TRACKER_CACHE) and
hands one back only while the database still holds exactly what it saved: the latest
session's row count and last row id are read first, so a message that another server
answered, or a deletion from the dashboard, sends the read to the database as before.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import logging
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any, Awaitable, Callable, Dict, Tuple, TypeVar

import sqlalchemy as sa
import ujson
from rasa.core.agent import Agent
from rasa.core.tracker_store import SQLTrackerStore, TrackerStore, create_engine_kwargs
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import Event, SessionStarted, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

import rasa_extensions
from ryggvett import settings
from ryggvett.privacy import mask_personal_data

# Loaded by every `rasa run` (endpoints.yml), so the patches are always in place.
rasa_extensions.install()
logger = logging.getLogger(__name__)
T = TypeVar("T")
# Waits between attempts: a database restart usually takes a few seconds.
RETRY_DELAYS = (0.25, 0.5, 1.0, 2.0, 4.0)
SESSION_INDEX = "ix_events_sender_session_start"


def mask_personal_events(tracker: DialogueStateTracker) -> bool:
    """Masks personal data in the tracker's events; True when something was masked."""
    masked_any = False
    for event in tracker.events:
        if isinstance(event, UserUttered) and event.text:
            masked = mask_personal_data(event.text)
            if masked != event.text:
                event.text = masked
                event.parse_data = {**event.parse_data, "text": masked}
                masked_any = True
        # A form's from_text slot holds the raw message until validation replaces it.
        elif isinstance(event, SlotSet) and isinstance(event.value, str):
            masked = mask_personal_data(event.value)
            masked_any = masked_any or masked != event.value
            event.value = masked
    return masked_any


@dataclass(frozen=True)
class Saved:
    stamp: Tuple[int, int]  # the latest session's row count and last row id, as saved
    tracker: DialogueStateTracker


class SavedTrackers:
    """The trackers this server saved last, each handed out at most once."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._saved: OrderedDict[str, Saved] = OrderedDict()

    def put(self, sender_id: str, saved: Saved) -> None:
        if self.size:
            self._saved[sender_id] = saved
            self._saved.move_to_end(sender_id)
            while len(self._saved) > self.size:
                self._saved.popitem(last=False)

    def take(self, sender_id: str) -> Saved | None:
        return self._saved.pop(sender_id, None)

    def __contains__(self, sender_id: object) -> bool:
        return sender_id in self._saved


class MaskingSQLTrackerStore(SQLTrackerStore):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        url = self.engine.url
        self.engine.dispose()
        self.engine = sa.create_engine(url, **_engine_options(url))
        if self.engine.dialect.name == "sqlite":
            sa.event.listen(self.engine, "connect", _sqlite_write_ahead_log)
        self.sessionmaker = sa.orm.session.sessionmaker(bind=self.engine)
        self._queries = EventQueries(self.SQLEvent.__table__)
        self.saved = SavedTrackers(settings.tracker_cache_size())
        _create_session_index(self.engine, self.SQLEvent.__tablename__)

    async def _retrying(self, operation: Callable[[], Awaitable[T]], what: str) -> T:
        for delay in RETRY_DELAYS:
            try:
                return await operation()
            except sa.exc.OperationalError as error:
                logger.warning("Tracker store: %s failed (%s); retrying in %.2f s", what, error.orig, delay)
                await asyncio.sleep(delay)
        return await operation()

    async def save(self, tracker: DialogueStateTracker) -> None:
        masked = mask_personal_events(tracker)
        await self.stream_events(tracker)
        stamp = await self._retrying(lambda: self._store_new_events(tracker), "saving")
        # Kept only when reading it back would give the same tracker: the latest session alone
        # (no session started in this turn), and no slot holding a value masked only in the rows.
        if stamp[0] == len(tracker.events) and not masked:
            self.saved.put(tracker.sender_id, Saved(stamp, tracker))

    async def _store_new_events(self, tracker: DialogueStateTracker) -> Tuple[int, int]:
        # Same rows as Rasa's save, in Core statements built once: its ORM queries
        # spent more time building SQL than SQLite spent running it (make bench).
        with self.engine.begin() as connection:
            stored = connection.execute(self._queries.count_latest, {"sender_id": tracker.sender_id}).scalar_one()
            rows = [_event_row(tracker.sender_id, event) for event in itertools.islice(tracker.events, stored, None)]
            if rows:
                connection.execute(self._queries.insert, rows)
            return self._stamp(connection, tracker.sender_id)

    def _stamp(self, connection: sa.engine.Connection, sender_id: str) -> Tuple[int, int]:
        count, last_id = connection.execute(self._queries.stamp_latest, {"sender_id": sender_id}).one()
        return int(count), int(last_id or 0)

    async def _retrieve(self, sender_id: str, fetch_events_from_all_sessions: bool) -> DialogueStateTracker | None:
        query = self._queries.all_sessions if fetch_events_from_all_sessions else self._queries.latest_session
        with self.engine.connect() as connection:
            saved = None if fetch_events_from_all_sessions else self.saved.take(sender_id)
            # Unchanged here since it was saved (a turn that failed after a save may have added
            # events), and unchanged in the database.
            unchanged_here = saved is not None and len(saved.tracker.events) == saved.stamp[0]
            if unchanged_here and saved.stamp == self._stamp(connection, sender_id):
                return saved.tracker
            # ujson reads the same values (checked on 19,508 stored events), a third faster.
            events = [ujson.loads(data) for data in connection.execute(query, {"sender_id": sender_id}).scalars()]
        if self.domain and events:
            return DialogueStateTracker.from_dict(sender_id, events, self.domain.slots)
        return None

    async def retrieve(self, sender_id: str) -> DialogueStateTracker | None:
        read = super().retrieve
        return await self._retrying(lambda: read(sender_id), "reading")

    async def retrieve_full_tracker(self, sender_id: str) -> DialogueStateTracker | None:
        read = super().retrieve_full_tracker
        return await self._retrying(lambda: read(sender_id), "reading")


class EventQueries:
    """Rasa's event queries: the latest session's events (from its `session_started`), all events, the count."""

    def __init__(self, events: sa.Table) -> None:
        column = events.c
        sender = column.sender_id == sa.bindparam("sender_id")
        session_start = (
            sa.select(sa.func.max(column.timestamp))
            .where(sender, column.type_name == SessionStarted.type_name)
            .scalar_subquery()
        )
        # Timestamps are seconds since 1970, so 0 stands for "no session started yet".
        in_latest_session = column.timestamp >= sa.func.coalesce(session_start, 0)
        self.latest_session = sa.select(column.data).where(sender, in_latest_session).order_by(column.id)
        self.all_sessions = sa.select(column.data).where(sender).order_by(column.id)
        self.count_latest = sa.select(sa.func.count()).select_from(events).where(sender, in_latest_session)
        self.stamp_latest = sa.select(sa.func.count(), sa.func.max(column.id)).where(sender, in_latest_session)
        self.insert = events.insert()


def _create_session_index(engine: sa.engine.Engine, table: str) -> None:
    # Every read and save looks up the conversation's latest session start; with this
    # index that comes from the index alone, however many events the conversation holds.
    statement = sa.text(f"CREATE INDEX IF NOT EXISTS {SESSION_INDEX} ON {table} (sender_id, type_name, timestamp)")
    try:
        with engine.begin() as connection:
            connection.execute(statement)
    except sa.exc.DBAPIError as error:  # another server created it at the same moment
        logger.info("Tracker store index %s not created here: %s", SESSION_INDEX, error.orig)


def _event_row(sender_id: str, event: Event) -> Dict[str, Any]:
    data = event.as_dict()
    return {
        "sender_id": sender_id,
        "type_name": event.type_name,
        "timestamp": data.get("timestamp"),
        "intent_name": ((data.get("parse_data") or {}).get("intent") or {}).get("name"),
        "action_name": data.get("name"),
        "data": json.dumps(data),
    }


def _engine_options(url: sa.engine.URL) -> Dict[str, Any]:
    options = create_engine_kwargs(url)
    if url.get_backend_name() == "sqlite":
        if url.database and url.database != ":memory:":
            # SQLAlchemy 1.4 opens a new SQLite connection for every query; keep a few open.
            options.update(poolclass=sa.pool.QueuePool, connect_args={"check_same_thread": False})
    else:
        # Test each pooled connection before use, so a restarted database costs no message.
        options["pool_pre_ping"] = True
    return options


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
