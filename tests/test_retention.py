"""Retention that really ends: open callback requests, old events of conversations still going, drafts, and
deleted data gone from SQLite's file and write-ahead log."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from pathlib import Path

import pytest
import sqlalchemy as sa
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, SessionStarted, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from sqlalchemy.orm import Session

from rasa_extensions.masking_tracker_store import MaskingSQLTrackerStore
from ryggvett.callbacks import CallbackDraftRow, CallbackRequestRow
from ryggvett.reference.models import make_engine
from ryggvett.review.events import EVENTS
from ryggvett.review.models import CallbackHandlingRow, review_engine, utcnow
from ryggvett.review.retention import delete_expired, forget_conversation
from ryggvett.settings import PROJECT_ROOT

DOMAIN = Domain.load(str(PROJECT_ROOT / "domain.yml"))
NOW = utcnow()
DAY = 24 * 60 * 60


def session_events(start: float, text: str) -> list:
    return [
        ActionExecuted("action_session_start", timestamp=start),
        SessionStarted(timestamp=start),
        ActionExecuted("action_listen", timestamp=start + 1),
        UserUttered(text, {"name": "ask_medication", "confidence": 0.9}, timestamp=start + 2),
        BotUttered("Paracet hjelper lite på ryggsmerter.", timestamp=start + 3),
        ActionExecuted("action_listen", timestamp=start + 4),
    ]


@pytest.fixture(params=["sqlite", "postgres"])
def databases(request, tmp_path) -> tuple[str, str]:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'tracker.db'}", f"sqlite:///{tmp_path / 'ryggvett.db'}"
    url = request.getfixturevalue("postgres_url")
    return url, url


def store_conversation(tracker_url: str, sender: str, events: list) -> None:
    store = MaskingSQLTrackerStore(DOMAIN, host=tracker_url)
    asyncio.run(store.save(DialogueStateTracker.from_events(sender, events)))
    store.engine.dispose()


def user_texts(tracker_url: str, sender: str) -> list[str]:
    with make_engine(tracker_url).connect() as connection:
        query = sa.select(EVENTS.c.data).where(EVENTS.c.sender_id == sender, EVENTS.c.type_name == "user")
        return [json.loads(data)["text"] for (data,) in connection.execute(query)]


def test_a_conversation_still_going_loses_its_old_sessions_not_its_latest(databases) -> None:
    tracker_url, db_url = databases
    sender = f"long-{NOW.timestamp()}"
    recent = NOW.timestamp() - 60
    old = recent - 200 * DAY
    store_conversation(tracker_url, sender, session_events(old, "gammel økt") + session_events(recent, "ny økt"))

    delete_expired(make_engine(tracker_url), review_engine(db_url), days=180, callback_days=30, now=NOW)

    assert user_texts(tracker_url, sender) == ["ny økt"]


def add_request(db_url: str, conversation: str, created: dt.datetime, handled: dt.datetime | None = None) -> int:
    engine = review_engine(db_url)
    CallbackRequestRow.metadata.create_all(engine)
    with Session(engine) as session, session.begin():
        row = CallbackRequestRow(
            conversation_id=conversation, first_name="Kari", phone="+4791234567", language="nb",
            consent_given_at=created, created_at=created,
        )  # fmt: skip
        session.add(row)
        session.flush()
        if handled:
            session.add(CallbackHandlingRow(request_id=row.id, handled_at=handled, handled_by="resepsjon"))
        return row.id


def remaining_requests(db_url: str) -> set[int]:
    with Session(review_engine(db_url)) as session:
        return {row.id for row in session.scalars(sa.select(CallbackRequestRow))}


def test_open_callback_requests_end_after_their_own_period(databases) -> None:
    tracker_url, db_url = databases
    stale = add_request(db_url, "a", NOW - dt.timedelta(days=31))
    fresh = add_request(db_url, "b", NOW - dt.timedelta(days=29))
    handled_long_ago = add_request(db_url, "c", NOW - dt.timedelta(days=60), handled=NOW - dt.timedelta(days=40))
    handled_lately = add_request(db_url, "d", NOW - dt.timedelta(days=60), handled=NOW - dt.timedelta(days=5))
    before = remaining_requests(db_url)

    deleted = delete_expired(make_engine(tracker_url), review_engine(db_url), days=180, callback_days=30, now=NOW)

    after = remaining_requests(db_url)
    assert stale in before and stale not in after and handled_long_ago not in after
    assert {fresh, handled_lately} <= after
    assert deleted.rows["callback_requests (never handled)"] >= 1


def test_an_abandoned_callback_draft_is_gone_after_a_day(databases) -> None:
    tracker_url, db_url = databases
    engine = review_engine(db_url)
    CallbackDraftRow.metadata.create_all(engine)
    with Session(engine) as session, session.begin():
        two_days_ago = NOW - dt.timedelta(days=2)
        session.add(CallbackDraftRow(conversation_id="old-draft", first_name="Kari", created_at=two_days_ago))
        session.add(CallbackDraftRow(conversation_id="new-draft", first_name="Ola", created_at=NOW))

    delete_expired(make_engine(tracker_url), engine, days=180, callback_days=30, now=NOW)

    with Session(engine) as session:
        assert {row.conversation_id for row in session.scalars(sa.select(CallbackDraftRow))} == {"new-draft"}


def test_forgotten_words_are_gone_from_the_sqlite_files(tmp_path: Path) -> None:
    tracker_url, db_url = f"sqlite:///{tmp_path / 'tracker.db'}", f"sqlite:///{tmp_path / 'ryggvett.db'}"
    marker = "sebrastripete-ryggsmerte-4711"
    store = MaskingSQLTrackerStore(DOMAIN, host=tracker_url)
    asyncio.run(store.save(DialogueStateTracker.from_events("kept", session_events(NOW.timestamp(), "annen " * 50))))
    asyncio.run(store.save(DialogueStateTracker.from_events("forget-me", session_events(NOW.timestamp(), marker))))
    # As in `rasa run`: the server keeps its connection open, so SQLite keeps its write-ahead log.
    with store.engine.connect() as rasa_connection:
        assert rasa_connection.exec_driver_sql("PRAGMA secure_delete").scalar() == 1
        assert any(marker.encode() in path.read_bytes() for path in tmp_path.glob("tracker.db*"))

        forget_conversation(make_engine(tracker_url), review_engine(db_url), "forget-me")

        for path in tmp_path.glob("tracker.db*"):  # the database and its write-ahead log
            assert marker.encode() not in path.read_bytes(), path.name
    assert user_texts(tracker_url, "kept")
    store.engine.dispose()
