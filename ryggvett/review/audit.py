"""The audit log: who viewed which conversation, and every change, export, deletion and login."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session

from ryggvett.review.models import AuditRow, utcnow


def record(session: Session, username: str, action: str, conversation_id: str | None = None, detail: str = "") -> None:
    session.add(
        AuditRow(at=utcnow(), username=username, action=action, conversation_id=conversation_id, detail=detail[:1000])
    )


def recent(
    session: Session, limit: int = 200, username: str | None = None, conversation_id: str | None = None
) -> list[AuditRow]:
    query = sa.select(AuditRow).order_by(AuditRow.id.desc()).limit(limit)
    if username:
        query = query.where(AuditRow.username == username)
    if conversation_id:
        query = query.where(AuditRow.conversation_id == conversation_id)
    return list(session.scalars(query))
