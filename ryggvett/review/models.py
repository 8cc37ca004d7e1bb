"""Tables of the clinicians' dashboard, in the project database beside the reference base."""

from __future__ import annotations

import datetime as dt
from functools import lru_cache

import sqlalchemy as sa
from sqlalchemy.orm import declarative_base

from ryggvett.reference.models import make_engine

Base = declarative_base()


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


class UserRow(Base):
    __tablename__ = "dashboard_users"

    id = sa.Column(sa.Integer, primary_key=True)
    username = sa.Column(sa.String(80), nullable=False, unique=True)
    password_hash = sa.Column(sa.String(255), nullable=False)
    role = sa.Column(sa.String(20), nullable=False)  # reception | clinician | admin
    active = sa.Column(sa.Boolean, nullable=False, default=True)
    created_at = sa.Column(sa.DateTime(timezone=True), nullable=False, default=utcnow)
    last_login_at = sa.Column(sa.DateTime(timezone=True))
    # The TOTP secret is derived from this seed and RYGGVETT_DASHBOARD_TOTP_KEY (accounts.totp_secret).
    totp_seed = sa.Column(sa.String(64))  # None: not enrolled yet, the next login must enrol
    totp_last_step = sa.Column(sa.BigInteger)  # the time step of the last code accepted: no code counts twice


class SessionRow(Base):
    __tablename__ = "dashboard_sessions"

    # Only a hash of the cookie's token is stored: a copy of the table logs no one in.
    token_hash = sa.Column(sa.String(64), primary_key=True)
    user_id = sa.Column(sa.Integer, sa.ForeignKey("dashboard_users.id", ondelete="CASCADE"), nullable=False)
    csrf_token = sa.Column(sa.String(64), nullable=False)
    created_at = sa.Column(sa.DateTime(timezone=True), nullable=False)
    last_seen_at = sa.Column(sa.DateTime(timezone=True), nullable=False)
    # "password": only the second-factor step is open; "full": the role's pages. Sessions from
    # before the second factor existed get "password" when their column is added.
    stage = sa.Column(sa.String(10), nullable=False, server_default="password")
    enrolment_seed = sa.Column(sa.String(64))  # the TOTP seed shown while enrolling, until confirmed


class RecoveryCodeRow(Base):
    """A one-time code for when the phone is lost; only a SHA-256 of the high-entropy code is stored."""

    __tablename__ = "dashboard_recovery_codes"

    id = sa.Column(sa.Integer, primary_key=True)
    user_id = sa.Column(sa.Integer, sa.ForeignKey("dashboard_users.id", ondelete="CASCADE"), nullable=False, index=True)
    code_hash = sa.Column(sa.String(64), nullable=False)
    used_at = sa.Column(sa.DateTime(timezone=True))


class LoginThrottleRow(Base):
    """Recent failed logins (or second-factor codes) of one username from one address."""

    __tablename__ = "dashboard_login_throttle"

    kind = sa.Column(sa.String(10), primary_key=True)  # password | totp
    username = sa.Column(sa.String(80), primary_key=True)
    remote_addr = sa.Column(sa.String(64), primary_key=True)
    failures = sa.Column(sa.Integer, nullable=False)
    last_failure_at = sa.Column(sa.DateTime(timezone=True), nullable=False, index=True)


class TurnAnnotationRow(Base):
    """One reviewer's verdict on one turn; the latest row for a turn is the current one."""

    __tablename__ = "review_turn_annotations"

    id = sa.Column(sa.Integer, primary_key=True)
    conversation_id = sa.Column(sa.String(255), nullable=False, index=True)
    event_id = sa.Column(sa.Integer, nullable=False, index=True)
    text = sa.Column(sa.Text, nullable=False)  # the masked text, as reviewed
    predicted_intent = sa.Column(sa.String(255))
    verdict = sa.Column(sa.String(10), nullable=False)  # correct | wrong
    corrected_intent = sa.Column(sa.String(255))
    note = sa.Column(sa.Text, nullable=False, default="")
    reviewer = sa.Column(sa.String(80), nullable=False)
    created_at = sa.Column(sa.DateTime(timezone=True), nullable=False, default=utcnow)


class ConversationTagRow(Base):
    __tablename__ = "review_conversation_tags"
    __table_args__ = (sa.UniqueConstraint("conversation_id", "tag"),)

    id = sa.Column(sa.Integer, primary_key=True)
    conversation_id = sa.Column(sa.String(255), nullable=False, index=True)
    tag = sa.Column(sa.String(40), nullable=False, index=True)
    added_by = sa.Column(sa.String(80), nullable=False)
    created_at = sa.Column(sa.DateTime(timezone=True), nullable=False, default=utcnow)


class ConversationReviewRow(Base):
    """Marked reviewed (or reopened); the latest row for a conversation is the current state."""

    __tablename__ = "review_conversation_reviews"

    id = sa.Column(sa.Integer, primary_key=True)
    conversation_id = sa.Column(sa.String(255), nullable=False, index=True)
    reviewed = sa.Column(sa.Boolean, nullable=False)
    reviewer = sa.Column(sa.String(80), nullable=False)
    created_at = sa.Column(sa.DateTime(timezone=True), nullable=False, default=utcnow)


class AuditRow(Base):
    """Who did what, when: views of conversations, changes, exports, deletions, logins."""

    __tablename__ = "audit_log"

    id = sa.Column(sa.Integer, primary_key=True)
    at = sa.Column(sa.DateTime(timezone=True), nullable=False, default=utcnow, index=True)
    username = sa.Column(sa.String(80), nullable=False, index=True)
    action = sa.Column(sa.String(40), nullable=False)
    conversation_id = sa.Column(sa.String(255), index=True)
    detail = sa.Column(sa.Text, nullable=False, default="")
    # The hash chain (audit.py): this row's hash covers the previous row's, so no row changes or goes unseen.
    prev_hash = sa.Column(sa.String(64))
    row_hash = sa.Column(sa.String(64))


class AuditChainRow(Base):
    """The audit log's chain in one row: where it starts, its latest hash, and the hash before its first kept row.

    Every writer of the audit log locks this row first, so rows are chained one after another.
    """

    __tablename__ = "audit_chain"

    id = sa.Column(sa.Integer, primary_key=True)  # always 1
    start_id = sa.Column(sa.Integer)  # the first chained row; rows before it come from before the chain
    head_id = sa.Column(sa.Integer)  # the latest row
    head_hash = sa.Column(sa.String(64), nullable=False, default="")
    # The prev_hash of the first row still kept: "" at the start, then the hash of the last row the purge removed.
    anchor_hash = sa.Column(sa.String(64), nullable=False, default="")


class CallbackHandlingRow(Base):
    """When reception marked a callback request done, and who."""

    __tablename__ = "callback_handling"

    request_id = sa.Column(sa.Integer, primary_key=True)
    handled_by = sa.Column(sa.String(80), nullable=False)
    handled_at = sa.Column(sa.DateTime(timezone=True), nullable=False)


class ConversationIndexRow(Base):
    """A summary of one conversation for the list and its filters, rebuilt when new events arrive."""

    __tablename__ = "review_conversation_index"

    conversation_id = sa.Column(sa.String(255), primary_key=True)
    last_event_id = sa.Column(sa.Integer, nullable=False)
    started_at = sa.Column(sa.DateTime(timezone=True), nullable=False, index=True)
    last_at = sa.Column(sa.DateTime(timezone=True), nullable=False, index=True)
    language = sa.Column(sa.String(2), nullable=False)
    channels = sa.Column(sa.String(255), nullable=False, default="")  # ",socketio,rest,"
    messages = sa.Column(sa.Integer, nullable=False)
    red_flag = sa.Column(sa.Boolean, nullable=False)
    crisis = sa.Column(sa.Boolean, nullable=False)
    fallbacks = sa.Column(sa.Integer, nullable=False)
    positive_feedback = sa.Column(sa.Integer, nullable=False)
    negative_feedback = sa.Column(sa.Integer, nullable=False)
    low_confidence = sa.Column(sa.Integer, nullable=False)
    topics = sa.Column(sa.Text, nullable=False, default="{}")  # JSON: intent -> count
    first_text = sa.Column(sa.Text, nullable=False, default="")  # masked


def add_missing_columns(engine: sa.engine.Engine) -> list[str]:
    """Add columns that a database made by an earlier version lacks (create_all adds only tables).

    Only additive changes are done this way: every new column is nullable or has a server default.
    """
    added = []
    for table in Base.metadata.sorted_tables:
        existing = {column["name"] for column in sa.inspect(engine).get_columns(table.name)}
        for column in table.columns:
            if column.name in existing:
                continue
            ddl = sa.schema.CreateColumn(column).compile(dialect=engine.dialect)
            try:
                with engine.begin() as connection:
                    connection.execute(sa.text(f"ALTER TABLE {table.name} ADD COLUMN {ddl}"))
            except sa.exc.DBAPIError:
                # Another process starting at the same moment may have added it first.
                if column.name not in {c["name"] for c in sa.inspect(engine).get_columns(table.name)}:
                    raise
            added.append(f"{table.name}.{column.name}")
    return added


@lru_cache(maxsize=8)
def review_engine(url: str) -> sa.engine.Engine:
    """One engine (and connection pool) per database URL, with the dashboard's tables created or upgraded."""
    engine = make_engine(url)
    Base.metadata.create_all(engine)
    add_missing_columns(engine)
    return engine
