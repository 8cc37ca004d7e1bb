"""Reading Rasa's SQL tracker store (the `events` table) without loading Rasa."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Iterable

import sqlalchemy as sa

# The columns of rasa.core.tracker_store.SQLTrackerStore.SQLEvent (Rasa 3.6).
EVENTS = sa.Table(
    "events",
    sa.MetaData(),
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("sender_id", sa.String(255), nullable=False, index=True),
    sa.Column("type_name", sa.String(255), nullable=False),
    sa.Column("timestamp", sa.Float),
    sa.Column("intent_name", sa.String(255)),
    sa.Column("action_name", sa.String(255)),
    sa.Column("data", sa.Text),
)


@dataclass(frozen=True)
class StoredEvent:
    id: int
    sender_id: str
    type_name: str
    timestamp: float
    data: dict[str, Any]


def has_events(engine: sa.engine.Engine) -> bool:
    """False until Rasa has stored its first conversation (it creates the table then)."""
    return sa.inspect(engine).has_table("events")


def _stored(row: sa.engine.Row) -> StoredEvent:
    try:
        data = json.loads(row.data or "{}")
    except ValueError:
        data = {}
    return StoredEvent(row.id, row.sender_id, row.type_name, row.timestamp or 0.0, data)


def conversation_events(engine: sa.engine.Engine, conversation_id: str) -> list[StoredEvent]:
    if not has_events(engine):
        return []
    query = sa.select(EVENTS).where(EVENTS.c.sender_id == conversation_id).order_by(EVENTS.c.id)
    with engine.connect() as connection:
        return [_stored(row) for row in connection.execute(query)]


def latest_event_ids(engine: sa.engine.Engine) -> dict[str, int]:
    """Each conversation's newest event id: what changed since the index was last brought up to date."""
    if not has_events(engine):
        return {}
    query = sa.select(EVENTS.c.sender_id, sa.func.max(EVENTS.c.id)).group_by(EVENTS.c.sender_id)
    with engine.connect() as connection:
        return {sender: int(latest) for sender, latest in connection.execute(query)}


def delete_conversations(engine: sa.engine.Engine, conversation_ids: Iterable[str]) -> int:
    ids = list(conversation_ids)
    if not ids or not has_events(engine):
        return 0
    deleted = 0
    with engine.begin() as connection:
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            deleted += connection.execute(sa.delete(EVENTS).where(EVENTS.c.sender_id.in_(chunk))).rowcount
    return deleted
