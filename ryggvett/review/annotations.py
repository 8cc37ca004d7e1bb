"""Reviewers' verdicts on turns, tags and review marks; every change is a new row with who and when."""

from __future__ import annotations

import re
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Session

from ryggvett.review.models import (
    ConversationReviewRow,
    ConversationTagRow,
    TurnAnnotationRow,
    utcnow,
)
from ryggvett.review.transcript import Turn

VERDICTS = ("correct", "wrong")
TAG = re.compile(r"^[\wæøåÆØÅ -]{1,40}$")


class ReviewError(ValueError):
    """A reviewer's input that cannot be stored as given; `key` names the text the dashboard shows."""

    def __init__(self, key: str, message: str, **values: object) -> None:
        super().__init__(message)
        self.key, self.values = key, values


def annotate_turn(
    session: Session,
    conversation_id: str,
    turn: Turn,
    reviewer: str,
    verdict: str,
    corrected_intent: str | None,
    note: str,
    known_intents: set[str],
) -> TurnAnnotationRow:
    if turn.text is None:
        raise ReviewError("err_not_message", "only the person's messages can be annotated")
    if verdict not in VERDICTS:
        raise ReviewError("err_verdict", f"verdict must be one of {', '.join(VERDICTS)}")
    corrected = (corrected_intent or "").strip() or None
    if verdict == "wrong" and corrected is not None and corrected not in known_intents:
        raise ReviewError("err_unknown_intent", f"unknown intent: {corrected}", intent=corrected)
    if verdict == "correct":
        corrected = None
    row = TurnAnnotationRow(
        conversation_id=conversation_id,
        event_id=turn.event_id,
        text=turn.text,
        predicted_intent=turn.intent,
        verdict=verdict,
        corrected_intent=corrected,
        note=note.strip()[:2000],
        reviewer=reviewer,
        created_at=utcnow(),
    )
    session.add(row)
    return row


def current_annotations(session: Session, conversation_id: str) -> dict[int, TurnAnnotationRow]:
    """The latest annotation of each turn, by the turn's event id."""
    rows = session.scalars(
        sa.select(TurnAnnotationRow)
        .where(TurnAnnotationRow.conversation_id == conversation_id)
        .order_by(TurnAnnotationRow.id)
    )
    return {row.event_id: row for row in rows}


def clean_tag(tag: str) -> str:
    tag = " ".join(tag.split()).lower()
    if not TAG.fullmatch(tag):
        raise ReviewError("err_tag", "a tag is 1–40 letters, digits, spaces, - or _")
    return tag


def add_tag(session: Session, conversation_id: str, tag: str, reviewer: str) -> str:
    tag = clean_tag(tag)
    exists = session.scalar(
        sa.select(ConversationTagRow.id).where(
            ConversationTagRow.conversation_id == conversation_id, ConversationTagRow.tag == tag
        )
    )
    if exists is None:
        session.add(
            ConversationTagRow(conversation_id=conversation_id, tag=tag, added_by=reviewer, created_at=utcnow())
        )
    return tag


def remove_tag(session: Session, conversation_id: str, tag: str) -> None:
    session.execute(
        sa.delete(ConversationTagRow).where(
            ConversationTagRow.conversation_id == conversation_id, ConversationTagRow.tag == tag
        )
    )


def mark_reviewed(session: Session, conversation_id: str, reviewer: str, reviewed: bool = True) -> None:
    session.add(
        ConversationReviewRow(
            conversation_id=conversation_id, reviewed=reviewed, reviewer=reviewer, created_at=utcnow()
        )
    )


@dataclass(frozen=True)
class ReviewState:
    reviewed: bool
    by: str | None
    at: object | None


def review_state(session: Session, conversation_id: str) -> ReviewState:
    row = session.scalars(
        sa.select(ConversationReviewRow)
        .where(ConversationReviewRow.conversation_id == conversation_id)
        .order_by(ConversationReviewRow.id.desc())
        .limit(1)
    ).first()
    return ReviewState(False, None, None) if row is None else ReviewState(row.reviewed, row.reviewer, row.created_at)


def corrections(session: Session, reviewed_only: bool = True) -> list[TurnAnnotationRow]:
    """The current annotation of every turn that names the right intent, oldest first.

    A turn marked correct confirms its predicted intent; one marked wrong gives the corrected one.
    With `reviewed_only`, only conversations currently marked reviewed count.
    """
    from ryggvett.review.conversations import reviewed_ids

    rows = session.scalars(sa.select(TurnAnnotationRow).order_by(TurnAnnotationRow.id)).all()
    latest = {(row.conversation_id, row.event_id): row for row in rows}
    allowed = reviewed_ids(session) if reviewed_only else None
    return [
        row
        for row in latest.values()
        if training_intent(row) and not row.text.startswith("/") and (allowed is None or row.conversation_id in allowed)
    ]


def training_intent(row: TurnAnnotationRow) -> str | None:
    """The intent a reviewed turn teaches: the corrected one, or the prediction a reviewer confirmed."""
    if row.verdict == "wrong":
        return row.corrected_intent
    return row.predicted_intent if row.predicted_intent and row.predicted_intent != "nlu_fallback" else None


def conversation_tags(session: Session, conversation_id: str) -> list[str]:
    query = sa.select(ConversationTagRow.tag).where(ConversationTagRow.conversation_id == conversation_id)
    return sorted(session.scalars(query))
