"""Callback requests to the clinic's reception: validation and storage.

The conversation log never keeps the name in clear (the tracker store masks it), but the form
asks for the name a turn before the number; so the name waits here, in a draft row beside the
requests, until the request is stored or the draft is a day old.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as sa
from sqlalchemy.orm import Session, declarative_base

from ryggvett.privacy import PHONE
from ryggvett.reference.models import make_engine

Base = declarative_base()
DRAFT_LIFETIME = dt.timedelta(hours=24)
NAME = re.compile(r"^[A-Za-zÆØÅæøåÄÖÜäöüÉéÈèÁáÓóÍíÚúÑñ' -]{1,50}$")


class CallbackRequestRow(Base):
    __tablename__ = "callback_requests"

    id = sa.Column(sa.Integer, primary_key=True)
    conversation_id = sa.Column(sa.String(255), nullable=False, index=True)
    first_name = sa.Column(sa.String(50), nullable=False)
    phone = sa.Column(sa.String(20), nullable=False)
    language = sa.Column(sa.String(2), nullable=False)
    consent_given_at = sa.Column(sa.DateTime(timezone=True), nullable=False)
    created_at = sa.Column(sa.DateTime(timezone=True), nullable=False)
    status = sa.Column(sa.String(20), nullable=False, default="open")


class CallbackDraftRow(Base):
    """A first name given to the form whose number has not come yet."""

    __tablename__ = "callback_drafts"

    conversation_id = sa.Column(sa.String(255), primary_key=True)
    first_name = sa.Column(sa.String(50), nullable=False)
    created_at = sa.Column(sa.DateTime(timezone=True), nullable=False, index=True)


NAME_LEAD_INS = re.compile(
    r"^(jeg heter|eg heiter|mitt navn er|navnet mitt er|namnet mitt er|det er|my name is|my name's|"
    r"i am|i'm|im|it's|its|this is|call me|kall meg)\s+",
    re.IGNORECASE,
)


def normalise_phone(text: str) -> str | None:
    """A Norwegian phone number as +47 and eight digits, or None.

    Accepts exactly what ryggvett.privacy masks as one: 912 34 567, 91234567, 912/34/567,
    (912) 34 567, +47 (912) 34 567, 0047 91234567, 22-12-34-56. Norwegian numbers have
    eight digits and do not start with 0 or 1.
    """
    match = PHONE.search(text)
    if match is None:
        return None
    # The pattern ends with the eight national digits; any country code is before them.
    return "+47" + re.sub(r"\D", "", match.group(0))[-8:]


def mask_phone(phone: str) -> str:
    """For logs and transcripts: only the last two digits stay readable."""
    digits = re.sub(r"\D", "", phone)
    return "•" * max(0, len(digits) - 2) + digits[-2:]


def clean_first_name(text: str) -> str | None:
    """The first name in "Kari", "jeg heter Kari Nordmann" or "my name is Sam."; None if there is none."""
    text = NAME_LEAD_INS.sub("", " ".join(text.strip().strip(".!").split()))
    words = text.split()
    if not words or len(words) > 3 or not NAME.fullmatch(text):
        return None
    return words[0]


def _forget_stale_drafts(session: Session, now: dt.datetime) -> None:
    session.execute(sa.delete(CallbackDraftRow).where(CallbackDraftRow.created_at < now - DRAFT_LIFETIME))


@contextmanager
def _tables(url: str) -> Iterator[sa.engine.Engine]:
    """An engine on the project's database with the callback tables in place, closed after use."""
    engine = make_engine(url)
    try:
        Base.metadata.create_all(engine)
        yield engine
    finally:
        engine.dispose()


def save_draft_name(url: str, conversation_id: str, first_name: str) -> None:
    """Keep the name the form was given until the number comes (replacing an earlier one)."""
    with _tables(url) as engine:
        now = dt.datetime.now(dt.timezone.utc)
        with Session(engine) as session, session.begin():
            _forget_stale_drafts(session, now)
            session.merge(CallbackDraftRow(conversation_id=conversation_id, first_name=first_name, created_at=now))


def draft_name(url: str, conversation_id: str) -> str | None:
    """The name waiting for this conversation's number, if any."""
    with _tables(url) as engine, Session(engine) as session:
        return session.scalar(
            sa.select(CallbackDraftRow.first_name).where(CallbackDraftRow.conversation_id == conversation_id)
        )


def save_callback_request(url: str, conversation_id: str, first_name: str, phone: str, language: str) -> int:
    """Store a consented request, and drop the conversation's draft; returns the request's id."""
    with _tables(url) as engine:
        now = dt.datetime.now(dt.timezone.utc)
        with Session(engine) as session, session.begin():
            session.execute(sa.delete(CallbackDraftRow).where(CallbackDraftRow.conversation_id == conversation_id))
            _forget_stale_drafts(session, now)
            row = CallbackRequestRow(
                conversation_id=conversation_id,
                first_name=first_name,
                phone=phone,
                language=language,
                consent_given_at=now,
                created_at=now,
                status="open",
            )
            session.add(row)
            session.flush()
            return int(row.id)


def latest_request_id(url: str, conversation_id: str) -> int | None:
    """The newest stored callback request of a conversation."""
    with _tables(url) as engine, Session(engine) as session:
        query = sa.select(sa.func.max(CallbackRequestRow.id)).where(
            CallbackRequestRow.conversation_id == conversation_id
        )
        return session.scalar(query)
