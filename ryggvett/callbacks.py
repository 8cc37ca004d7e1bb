"""Callback requests to the clinic's reception: validation and storage."""

from __future__ import annotations

import datetime as dt
import re

import sqlalchemy as sa
from sqlalchemy.orm import Session, declarative_base

from ryggvett.reference.models import make_engine

Base = declarative_base()

PHONE_SEPARATORS = re.compile(r"[\s.\-()/]")
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


PHONE_CANDIDATE = re.compile(r"(?:\+|00)?[\d][\d\s.\-()/]{6,}\d")
NAME_LEAD_INS = re.compile(
    r"^(jeg heter|eg heiter|mitt navn er|navnet mitt er|namnet mitt er|det er|my name is|my name's|"
    r"i am|i'm|im|it's|its|this is|call me|kall meg)\s+",
    re.IGNORECASE,
)


def normalise_phone(text: str) -> str | None:
    """A Norwegian phone number as +47 and eight digits, or None.

    Accepts the usual ways of writing one: 912 34 567, 91234567, +47 912 34 567,
    0047 91234567, 22-12-34-56. Norwegian numbers have eight digits and do not
    start with 0 or 1.
    """
    candidate = PHONE_CANDIDATE.search(text)
    if candidate is None:
        return None
    digits = PHONE_SEPARATORS.sub("", candidate.group(0))
    if digits.startswith("+47"):
        digits = digits[3:]
    elif digits.startswith("0047"):
        digits = digits[4:]
    if re.fullmatch(r"[2-9]\d{7}", digits):
        return f"+47{digits}"
    return None


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


def save_callback_request(url: str, conversation_id: str, first_name: str, phone: str, language: str) -> int:
    """Store a consented request; returns its id."""
    engine = make_engine(url)
    try:
        Base.metadata.create_all(engine)
        now = dt.datetime.now(dt.timezone.utc)
        with Session(engine) as session, session.begin():
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
    finally:
        engine.dispose()


def latest_request_id(url: str, conversation_id: str) -> int | None:
    """The newest stored callback request of a conversation."""
    engine = make_engine(url)
    try:
        Base.metadata.create_all(engine)
        with Session(engine) as session:
            query = sa.select(sa.func.max(CallbackRequestRow.id)).where(
                CallbackRequestRow.conversation_id == conversation_id
            )
            return session.scalar(query)
    finally:
        engine.dispose()
