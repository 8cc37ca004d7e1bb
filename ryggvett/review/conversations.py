"""The conversation list: an index kept up to date from the tracker store, and its filters."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Session

from ryggvett.review.events import conversation_events, latest_event_ids
from ryggvett.review.models import (
    ConversationIndexRow,
    ConversationReviewRow,
    ConversationTagRow,
)
from ryggvett.review.transcript import Conversation, build_conversation


def load_conversation(tracker: sa.engine.Engine, conversation_id: str) -> Conversation | None:
    events = conversation_events(tracker, conversation_id)
    return build_conversation(conversation_id, events) if events else None


def _index_row(conversation: Conversation, last_event_id: int, low_confidence: float) -> ConversationIndexRow:
    first = next((turn.text for turn in conversation.messages if not turn.is_button), "")
    return ConversationIndexRow(
        conversation_id=conversation.id,
        last_event_id=last_event_id,
        started_at=conversation.started_at,
        last_at=conversation.last_at,
        language=conversation.language,
        channels="," + ",".join(conversation.channels) + "," if conversation.channels else "",
        messages=len(conversation.messages),
        red_flag=conversation.red_flag,
        crisis=conversation.crisis,
        fallbacks=conversation.fallbacks,
        positive_feedback=conversation.feedback_count("up"),
        negative_feedback=conversation.feedback_count("down"),
        low_confidence=conversation.low_confidence_turns(low_confidence),
        topics=json.dumps(dict(conversation.topics), sort_keys=True),
        first_text=(first or "")[:200],
    )


def refresh_index(tracker: sa.engine.Engine, review: sa.engine.Engine, low_confidence: float) -> int:
    """Rebuilds the summaries of conversations with new events and drops deleted ones; returns how many changed."""
    latest = latest_event_ids(tracker)
    with Session(review) as session, session.begin():
        indexed = dict(
            session.execute(sa.select(ConversationIndexRow.conversation_id, ConversationIndexRow.last_event_id)).all()
        )
        gone = [cid for cid in indexed if cid not in latest]
        if gone:
            session.execute(sa.delete(ConversationIndexRow).where(ConversationIndexRow.conversation_id.in_(gone)))
        changed = [cid for cid, last in latest.items() if indexed.get(cid) != last]
        for conversation_id in changed:
            conversation = load_conversation(tracker, conversation_id)
            if conversation is None or conversation.started_at is None:
                continue
            session.merge(_index_row(conversation, latest[conversation_id], low_confidence))
    return len(changed) + len(gone)


@dataclass(frozen=True)
class Filters:
    """What the list shows; None or empty means no filter."""

    date_from: dt.date | None = None
    date_to: dt.date | None = None
    language: str | None = None
    channel: str | None = None
    flag: str | None = None  # red_flag | crisis | any
    fallback: bool = False
    negative_feedback: bool = False
    low_confidence: bool = False
    reviewed: bool | None = None
    tag: str | None = None


@dataclass(frozen=True)
class ListedConversation:
    row: ConversationIndexRow
    reviewed: bool
    tags: list[str]


def _day_start(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.min, tzinfo=dt.timezone.utc)


def reviewed_ids(session: Session) -> set[str]:
    """Conversations whose latest review mark says reviewed."""
    latest = (
        sa.select(ConversationReviewRow.conversation_id, sa.func.max(ConversationReviewRow.id).label("last"))
        .group_by(ConversationReviewRow.conversation_id)
        .subquery()
    )
    query = (
        sa.select(ConversationReviewRow.conversation_id)
        .join(latest, ConversationReviewRow.id == latest.c.last)
        .where(ConversationReviewRow.reviewed.is_(True))
    )
    return set(session.scalars(query))


def tags_of(session: Session, conversation_ids: list[str]) -> dict[str, list[str]]:
    tags: dict[str, list[str]] = {}
    if conversation_ids:
        query = sa.select(ConversationTagRow).where(ConversationTagRow.conversation_id.in_(conversation_ids))
        for row in session.scalars(query.order_by(ConversationTagRow.tag)):
            tags.setdefault(row.conversation_id, []).append(row.tag)
    return tags


def list_conversations(
    review: sa.engine.Engine, filters: Filters, limit: int = 50, offset: int = 0
) -> tuple[list[ListedConversation], int]:
    """One page of conversations, red flags and crises first, then newest first; and the total matching."""
    row = ConversationIndexRow
    query = sa.select(row)
    if filters.date_from:
        query = query.where(row.last_at >= _day_start(filters.date_from))
    if filters.date_to:
        query = query.where(row.started_at < _day_start(filters.date_to + dt.timedelta(days=1)))
    if filters.language:
        query = query.where(row.language == filters.language)
    if filters.channel:
        query = query.where(row.channels.contains(f",{filters.channel},", autoescape=True))
    if filters.flag == "red_flag":
        query = query.where(row.red_flag.is_(True))
    elif filters.flag == "crisis":
        query = query.where(row.crisis.is_(True))
    elif filters.flag == "any":
        query = query.where(sa.or_(row.red_flag.is_(True), row.crisis.is_(True)))
    if filters.fallback:
        query = query.where(row.fallbacks > 0)
    if filters.negative_feedback:
        query = query.where(row.negative_feedback > 0)
    if filters.low_confidence:
        query = query.where(row.low_confidence > 0)
    with Session(review) as session:
        reviewed = reviewed_ids(session)
        if filters.reviewed is True:
            query = query.where(row.conversation_id.in_(sorted(reviewed) or [""]))
        elif filters.reviewed is False and reviewed:
            query = query.where(row.conversation_id.not_in(sorted(reviewed)))
        if filters.tag:
            tagged = sa.select(ConversationTagRow.conversation_id).where(ConversationTagRow.tag == filters.tag)
            query = query.where(row.conversation_id.in_(tagged))
        total = session.scalar(sa.select(sa.func.count()).select_from(query.subquery())) or 0
        urgent = sa.case((sa.or_(row.crisis.is_(True), row.red_flag.is_(True)), 0), else_=1)
        rows = session.scalars(query.order_by(urgent, row.last_at.desc()).limit(limit).offset(offset)).all()
        tags = tags_of(session, [r.conversation_id for r in rows])
        session.expunge_all()
    return [ListedConversation(r, r.conversation_id in reviewed, tags.get(r.conversation_id, [])) for r in rows], total


def all_tags(review: sa.engine.Engine) -> list[str]:
    with Session(review) as session:
        return list(session.scalars(sa.select(ConversationTagRow.tag).distinct().order_by(ConversationTagRow.tag)))
