"""SQL tracker store that masks personal data before it is stored, and never loses a message silently.

Configured in endpoints.yml as `type: rasa_extensions.masking_tracker_store.MaskingSQLTrackerStore`.
The masking runs when the tracker is saved, after the turn's actions have run,
so the callback form still sees the number it validates and stores. What is masked:
phone and national ID numbers, e-mail addresses and names in what people wrote; the
callback form's name (its slot, the answer, and bot texts that repeat it, «Takk, Kari»);
message metadata, of which only known keys are kept. A conversation id that is a phone
number (Twilio, WhatsApp) is stored as a keyed hash (ryggvett.privacy.stored_conversation_id);
the trackers handed back to Rasa keep the id it asked for, so replies still reach the number.

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
import os
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any, Awaitable, Callable, Dict, Tuple, TypeVar

import sqlalchemy as sa
import ujson
from rasa.core.agent import Agent
from rasa.core.tracker_store import SQLTrackerStore, TrackerStore, create_engine_kwargs
from rasa.shared.core.constants import SESSION_START_METADATA_SLOT
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActiveLoop, BotUttered, Event, SessionStarted, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

import rasa_extensions
from ryggvett import settings
from ryggvett.callbacks import clean_first_name
from ryggvett.message_guard import CHANNEL_METADATA_KEYS
from ryggvett.privacy import (
    NAME_MASK,
    mask_digits,
    mask_for_review,
    mask_known_names,
    mask_strings,
    stored_conversation_id,
)

logger = logging.getLogger(__name__)
T = TypeVar("T")
# Waits between attempts: a database restart usually takes a few seconds.
RETRY_DELAYS = (0.25, 0.5, 1.0, 2.0, 4.0)
SESSION_INDEX = "ix_events_sender_session_start"


NAME_SLOT, PHONE_SLOT = "callback_name", "callback_phone"
# Metadata a channel sent with a message that is kept: the page's language (the turn hook
# reads it), the widget's rating of an answer, and the model Rasa stamps on every event.
KEPT_USER_METADATA = CHANNEL_METADATA_KEYS | {"model_id", "assistant_id"}


# The tracker's last event that is masked already (it was stored, or read back from the rows).
LAST_MASKED = "_ryggvett_last_masked"


def mask_personal_events(tracker: DialogueStateTracker) -> bool:
    """Masks personal data in the events not yet masked; True when something was masked."""
    events = list(tracker.events)
    start = _first_unmasked(tracker, events)
    names = _callback_names(events[start:])
    masked_any = False
    asked: str | None = None  # the slot the active form is asking for
    for index, event in enumerate(events):
        if index >= start:
            masked_any = _mask_event(event, names, asked) or masked_any
        if isinstance(event, SlotSet) and event.key == "requested_slot":
            asked = event.value if isinstance(event.value, str) else None
        elif isinstance(event, ActiveLoop) and event.name is None:
            asked = None
    _mark_masked(tracker)
    return masked_any


def _first_unmasked(tracker: DialogueStateTracker, events: list[Event]) -> int:
    # Found by identity, not by count, so a tracker that dropped old events still masks all new ones.
    last = getattr(tracker, LAST_MASKED, None)
    for index in range(len(events) - 1, -1, -1):
        if events[index] is last:
            return index + 1
    return 0


def _mark_masked(tracker: DialogueStateTracker) -> None:
    setattr(tracker, LAST_MASKED, tracker.events[-1] if tracker.events else None)


def _callback_names(events: list[Event]) -> set[str]:
    """First names given to the callback form in these events, as the form reads them."""
    names = set()
    for event in events:
        if isinstance(event, SlotSet) and event.key == NAME_SLOT and isinstance(event.value, str):
            name = clean_first_name(event.value)
            if name:
                names.add(name)
    return names


def _mask_event(event: Event, names: set[str], asked: str | None) -> bool:
    before = event.as_dict()
    if isinstance(event, UserUttered):
        _mask_user_event(event, names, asked)
    elif isinstance(event, BotUttered) and event.text:
        # Only names: bot texts carry the clinic's and emergency services' numbers, which must stay.
        event.text = mask_known_names(event.text, names)
    elif isinstance(event, SlotSet):
        event.value = _masked_slot(event.key, event.value, names)
    if event.metadata and not isinstance(event, UserUttered):
        event.metadata = mask_strings(event.metadata, names)
    return event.as_dict() != before


def _mask_user_event(event: UserUttered, names: set[str], asked: str | None) -> None:
    text = event.text or ""
    # The answer the form took as a name is a name as a whole ("Kari Nordmann"): surnames too.
    if asked == NAME_SLOT and not text.startswith("/") and clean_first_name(text):
        text = NAME_MASK
    event.text = mask_for_review(text, names) if event.text else event.text
    event.entities = mask_strings(event.parse_data.get("entities") or [], names)
    event.metadata = _channel_metadata(event.metadata, names)
    parse_data: dict[str, Any] = {**event.parse_data, "text": event.text, "entities": event.entities}
    if "metadata" in parse_data:  # Rasa keeps a second copy of the metadata there
        parse_data["metadata"] = _channel_metadata(parse_data["metadata"], names)
    event.parse_data = parse_data  # type: ignore[assignment]  # Rasa types it as a TypedDict


def _channel_metadata(metadata: Any, names: set[str]) -> dict[str, Any]:
    kept = {key: value for key, value in (metadata or {}).items() if key in KEPT_USER_METADATA}
    return mask_strings(kept, names)


def _masked_slot(key: str, value: Any, names: set[str]) -> Any:
    if value is None:
        return None
    if key == NAME_SLOT:
        return NAME_MASK
    if key == PHONE_SLOT and isinstance(value, str):
        return mask_digits(mask_for_review(value, names))
    if key == SESSION_START_METADATA_SLOT and isinstance(value, dict):
        return _channel_metadata(value, names)
    # A form's from_text slot holds the raw message until validation replaces it.
    return mask_strings(value, names)


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
        rasa_extensions.warn_unless_installed(type(self).__name__)
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
        _check_sender_key()

    async def _retrying(self, operation: Callable[[], Awaitable[T]], what: str) -> T:
        for delay in RETRY_DELAYS:
            try:
                return await operation()
            except sa.exc.OperationalError as error:
                logger.warning("Tracker store: %s failed (%s); retrying in %.2f s", what, error.orig, delay)
                await asyncio.sleep(delay)
        return await operation()

    async def save(self, tracker: DialogueStateTracker) -> None:
        stored_id = stored_conversation_id(tracker.sender_id)
        masked = mask_personal_events(tracker)
        await self.stream_events(tracker)
        stamp = await self._retrying(lambda: self._store_new_events(tracker, stored_id), "saving")
        # Kept only when reading it back would give the same tracker: the latest session alone
        # (no session started in this turn), and no slot holding a value masked only in the rows.
        if stamp[0] == len(tracker.events) and not masked:
            self.saved.put(tracker.sender_id, Saved(stamp, tracker))

    async def _store_new_events(self, tracker: DialogueStateTracker, stored_id: str) -> Tuple[int, int]:
        # Same rows as Rasa's save, in Core statements built once: its ORM queries
        # spent more time building SQL than SQLite spent running it (make bench).
        with self.engine.begin() as connection:
            stored = connection.execute(self._queries.count_latest, {"sender_id": stored_id}).scalar_one()
            rows = [_event_row(stored_id, event) for event in itertools.islice(tracker.events, stored, None)]
            if rows:
                connection.execute(self._queries.insert, rows)
            return self._stamp(connection, stored_id)

    def _stamp(self, connection: sa.engine.Connection, sender_id: str) -> Tuple[int, int]:
        count, last_id = connection.execute(self._queries.stamp_latest, {"sender_id": sender_id}).one()
        return int(count), int(last_id or 0)

    async def _retrieve(self, sender_id: str, fetch_events_from_all_sessions: bool) -> DialogueStateTracker | None:
        query = self._queries.all_sessions if fetch_events_from_all_sessions else self._queries.latest_session
        stored_id = stored_conversation_id(sender_id)
        with self.engine.connect() as connection:
            saved = None if fetch_events_from_all_sessions else self.saved.take(sender_id)
            # Unchanged here since it was saved (a turn that failed after a save may have added
            # events), and unchanged in the database.
            unchanged_here = saved is not None and len(saved.tracker.events) == saved.stamp[0]
            if unchanged_here and saved.stamp == self._stamp(connection, stored_id):
                return saved.tracker
            # ujson reads the same values (checked on 19,508 stored events), a third faster.
            events = [ujson.loads(data) for data in connection.execute(query, {"sender_id": stored_id}).scalars()]
        # The id Rasa asked for, not the stored one: replies go to tracker.sender_id.
        if self.domain and events:
            tracker = DialogueStateTracker.from_dict(sender_id, events, self.domain.slots)
            _mark_masked(tracker)
            return tracker
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


def _check_sender_key() -> None:
    if settings.sender_key() is not None:
        return
    # Twilio's ids are phone numbers: without the key every message on it would be refused.
    if os.environ.get("TWILIO_ACCOUNT_SID", "").strip():
        raise RuntimeError("The Twilio/WhatsApp channel is configured but RYGGVETT_SENDER_KEY is unset")
    logger.warning(
        "RYGGVETT_SENDER_KEY is unset: conversations whose id is a phone number (SMS, WhatsApp) will be "
        "refused, not stored. Set it (32+ characters, the same for Rasa and the action server) to serve them."
    )


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
    # Deleted conversations are overwritten with zeros, not left in free pages (retention, «forget»).
    connection.execute("PRAGMA secure_delete=ON")


def _create_tracker_store(store: TrackerStore | None, domain: Domain) -> TrackerStore:
    if isinstance(store, MaskingSQLTrackerStore):
        store.domain = domain
        return store  # unwrapped: its errors must reach the channel (see the module's docstring)
    return _rasa_create_tracker_store(store, domain)


_rasa_create_tracker_store = Agent._create_tracker_store


def install() -> None:
    """Rasa wraps every tracker store in its fail-safe store; this one stays unwrapped (see the module's docstring)."""
    Agent._create_tracker_store = staticmethod(_create_tracker_store)  # type: ignore[method-assign]
