"""Deleting personal data: conversations past the retention period, old log rows, and one person's data on request."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from ryggvett import settings
from ryggvett.callbacks import CallbackDraftRow, CallbackRequestRow
from ryggvett.checkin_store import CheckinRow
from ryggvett.exercise_progress import ExerciseRatingRow, ExerciseSuggestionRow
from ryggvett.review import audit
from ryggvett.review.events import EVENTS, delete_conversations, has_events
from ryggvett.review.models import (
    CallbackHandlingRow,
    ConversationIndexRow,
    ConversationReviewRow,
    ConversationTagRow,
    LoginThrottleRow,
    SessionRow,
    TurnAnnotationRow,
    utcnow,
)

# A callback form left half-filled keeps its first name no longer than a day.
DRAFT_DAYS = dt.timedelta(days=1)
# The project's tables that hold a conversation's data, keyed by its id.
BY_SENDER = (
    (CheckinRow.__table__, "sender_id"),
    (ExerciseSuggestionRow.__table__, "sender_id"),
    (ExerciseRatingRow.__table__, "sender_id"),
)
REVIEW_TABLES = (
    ConversationIndexRow.__table__,
    TurnAnnotationRow.__table__,
    ConversationTagRow.__table__,
    ConversationReviewRow.__table__,
)
# An earlier version wrote every login attempt here, typed usernames and all; nothing writes it now.
OLD_LOGIN_ATTEMPTS = sa.table("dashboard_login_attempts", sa.column("at", sa.DateTime(timezone=True)))


@dataclass(frozen=True)
class Periods:
    """How many days each kind of data is kept (ryggvett.settings)."""

    days: int  # conversations
    callback_days: int  # handled callback requests
    open_callback_days: int  # callback requests nobody handled
    audit_days: int  # audit-log rows
    login_days: int  # login throttle rows and sessions

    @classmethod
    def from_settings(cls) -> Periods:
        return cls(
            settings.retention_days(), settings.callback_retention_days(), settings.open_callback_days(),
            settings.audit_retention_days(), settings.login_record_days(),
        )  # fmt: skip


@dataclass
class Deleted:
    conversations: int = 0
    events: int = 0
    rows: dict[str, int] = field(default_factory=dict)

    def count(self, table: str, n: int) -> None:
        if n:
            self.rows[table] = self.rows.get(table, 0) + n


def _existing(engine: sa.engine.Engine, table: sa.sql.expression.TableClause) -> bool:
    return sa.inspect(engine).has_table(table.name)


def _delete_where(
    connection: sa.engine.Connection, table: sa.sql.expression.TableClause, condition: Any, deleted: Deleted
) -> None:
    deleted.count(table.name, connection.execute(sa.delete(table).where(condition)).rowcount)


def _delete_review_data(project: sa.engine.Engine, conversation_ids: list[str], deleted: Deleted) -> None:
    with project.begin() as connection:
        for table in REVIEW_TABLES:
            if _existing(project, table):
                result = connection.execute(sa.delete(table).where(table.c.conversation_id.in_(conversation_ids)))
                deleted.count(table.name, result.rowcount)


def flush_deleted(engine: sa.engine.Engine) -> None:
    """On SQLite, move the write-ahead log into the database file and empty it.

    With secure_delete on, deleted rows are overwritten in the database file, but their
    last versions may still sit in the WAL file until a checkpoint.
    """
    if engine.dialect.name == "sqlite":
        with engine.connect() as connection:
            connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")


def forget_conversation(tracker: sa.engine.Engine, project: sa.engine.Engine, conversation_id: str) -> Deleted:
    """Everything stored about one conversation id (GDPR erasure); the audit log keeps that it happened."""
    deleted = Deleted(events=delete_conversations(tracker, [conversation_id]))
    deleted.conversations = int(deleted.events > 0)
    _delete_review_data(project, [conversation_id], deleted)
    with project.begin() as connection:
        drafts = CallbackDraftRow.__table__
        if _existing(project, drafts):
            _delete_where(connection, drafts, drafts.c.conversation_id == conversation_id, deleted)
        for table, column in BY_SENDER:
            if _existing(project, table):
                deleted.count(
                    table.name, connection.execute(sa.delete(table).where(table.c[column] == conversation_id)).rowcount
                )
        requests = CallbackRequestRow.__table__
        if _existing(project, requests):
            ids = [
                row.id
                for row in connection.execute(
                    sa.select(requests.c.id).where(requests.c.conversation_id == conversation_id)
                )
            ]
            if ids and _existing(project, CallbackHandlingRow.__table__):
                handling = CallbackHandlingRow.__table__
                connection.execute(sa.delete(handling).where(handling.c.request_id.in_(ids)))
            deleted.count(
                requests.name, connection.execute(sa.delete(requests).where(requests.c.id.in_(ids or [-1]))).rowcount
            )
    flush_deleted(tracker)
    flush_deleted(project)
    return deleted


def _delete_old_events(tracker: sa.engine.Engine, cutoff: dt.datetime) -> int:
    """Events older than `cutoff` in conversations still going: those before the latest session's start.

    A conversation id that keeps chatting would otherwise keep its whole history; the
    latest session stays whole, so the assistant never reads half a session back.
    """
    sessions = EVENTS.alias("sessions")
    latest_start = (
        sa.select(sa.func.max(sessions.c.id))
        .where(sessions.c.sender_id == EVENTS.c.sender_id, sessions.c.action_name == "action_session_start")
        .scalar_subquery()
    )
    with tracker.begin() as connection:
        query = sa.delete(EVENTS).where(EVENTS.c.timestamp < cutoff.timestamp(), EVENTS.c.id < latest_start)
        return connection.execute(query).rowcount


def delete_expired(
    tracker: sa.engine.Engine,
    project: sa.engine.Engine,
    days: int,
    callback_days: int,
    now: dt.datetime | None = None,
    open_callback_days: int = 30,
) -> Deleted:
    """Conversations whose last message is older than `days`, older events of those still going,
    the project's rows older than that, callback requests handled more than `callback_days` ago,
    and requests nobody handled within `open_callback_days`."""
    now = now or utcnow()
    cutoff = now - dt.timedelta(days=days)
    deleted = Deleted()
    if has_events(tracker):
        query = (
            sa.select(EVENTS.c.sender_id)
            .group_by(EVENTS.c.sender_id)
            .having(sa.func.max(EVENTS.c.timestamp) < cutoff.timestamp())
        )
        with tracker.connect() as connection:
            expired = [row.sender_id for row in connection.execute(query)]
        deleted.conversations = len(expired)
        deleted.events = delete_conversations(tracker, expired) + _delete_old_events(tracker, cutoff)
        if expired:
            _delete_review_data(project, expired, deleted)
    with project.begin() as connection:
        for table, _ in BY_SENDER:
            if _existing(project, table):
                deleted.count(
                    table.name, connection.execute(sa.delete(table).where(table.c.created_at < cutoff)).rowcount
                )
        requests, handling = CallbackRequestRow.__table__, CallbackHandlingRow.__table__
        if _existing(project, requests) and _existing(project, handling):
            done_before = now - dt.timedelta(days=callback_days)
            old = [
                row.request_id
                for row in connection.execute(
                    sa.select(handling.c.request_id).where(handling.c.handled_at < done_before)
                )
            ]
            if old:
                deleted.count(
                    requests.name, connection.execute(sa.delete(requests).where(requests.c.id.in_(old))).rowcount
                )
                connection.execute(sa.delete(handling).where(handling.c.request_id.in_(old)))
            # Open requests end too: a phone number nobody called back is not kept for ever.
            unhandled = sa.select(handling.c.request_id)
            stale = sa.delete(requests).where(
                requests.c.created_at < now - dt.timedelta(days=open_callback_days), requests.c.id.not_in(unhandled)
            )
            deleted.count(requests.name + " (never handled)", connection.execute(stale).rowcount)
        drafts = CallbackDraftRow.__table__
        if _existing(project, drafts):
            _delete_where(connection, drafts, drafts.c.created_at < now - DRAFT_DAYS, deleted)
    flush_deleted(tracker)
    flush_deleted(project)
    return deleted


def purge_logs(project: sa.engine.Engine, audit_days: int, login_days: int, now: dt.datetime | None = None) -> Deleted:
    """Audit-log rows older than `audit_days` (the chain kept verifiable), and login throttle rows, sessions
    and old-style login attempts older than `login_days`."""
    now = now or utcnow()
    login_cutoff = now - dt.timedelta(days=login_days)
    deleted = Deleted()
    old_attempts = _existing(project, OLD_LOGIN_ATTEMPTS)
    with Session(project) as session, session.begin():
        deleted.count(audit.AUDIT.name, audit.purge_before(session, now - dt.timedelta(days=audit_days)))
        connection = session.connection()
        throttle = LoginThrottleRow.__table__
        _delete_where(connection, throttle, throttle.c.last_failure_at < login_cutoff, deleted)
        # A session ends within hours (accounts.SESSION_LIFETIME); one this old has long expired.
        sessions = SessionRow.__table__
        _delete_where(connection, sessions, sessions.c.created_at < login_cutoff, deleted)
        if old_attempts:
            _delete_where(connection, OLD_LOGIN_ATTEMPTS, OLD_LOGIN_ATTEMPTS.c.at < login_cutoff, deleted)
    flush_deleted(project)
    return deleted


def run_retention(
    tracker: sa.engine.Engine, project: sa.engine.Engine, periods: Periods, now: dt.datetime | None = None
) -> Deleted:
    """Everything past its period: what delete_expired and purge_logs delete, counted together."""
    deleted = delete_expired(
        tracker, project, periods.days, periods.callback_days, now, open_callback_days=periods.open_callback_days
    )
    for table, n in purge_logs(project, periods.audit_days, periods.login_days, now).rows.items():
        deleted.count(table, n)
    return deleted
