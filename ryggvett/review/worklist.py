"""Reception's worklist of callback requests from the chat: the only place phone numbers are shown."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Session

from ryggvett.callbacks import Base as CallbackBase
from ryggvett.callbacks import CallbackRequestRow
from ryggvett.review.models import CallbackHandlingRow, utcnow


@dataclass(frozen=True)
class CallbackItem:
    id: int
    conversation_id: str
    first_name: str
    phone: str
    language: str
    created_at: dt.datetime
    handled_by: str | None
    handled_at: dt.datetime | None

    @property
    def done(self) -> bool:
        return self.handled_at is not None


def callback_items(session: Session, include_done: bool = False) -> list[CallbackItem]:
    """Open requests oldest first (the order reception calls), then handled ones newest first."""
    CallbackBase.metadata.create_all(session.get_bind())
    query = sa.select(CallbackRequestRow, CallbackHandlingRow).outerjoin(
        CallbackHandlingRow, CallbackHandlingRow.request_id == CallbackRequestRow.id
    )
    items = [
        CallbackItem(
            request.id,
            request.conversation_id,
            request.first_name,
            request.phone,
            request.language,
            request.created_at,
            handling.handled_by if handling else None,
            handling.handled_at if handling else None,
        )
        for request, handling in session.execute(query)
    ]
    open_items = sorted((item for item in items if not item.done), key=lambda item: item.id)
    done = sorted((item for item in items if item.done), key=lambda item: item.id, reverse=True)
    return open_items + (done if include_done else [])


def mark_done(session: Session, request_id: int, username: str) -> bool:
    """False if there is no such request; marking one done twice keeps the first mark."""
    request = session.get(CallbackRequestRow, request_id)
    if request is None:
        return False
    if session.get(CallbackHandlingRow, request_id) is None:
        request.status = "done"
        session.add(CallbackHandlingRow(request_id=request_id, handled_by=username, handled_at=utcnow()))
    return True
