"""Check-ins stored with the person's consent, by sender id; aggregate figures for clinicians."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from statistics import mean

import sqlalchemy as sa
from sqlalchemy.orm import Session, declarative_base

from ryggvett.checkin import Checkin
from ryggvett.reference.models import make_engine

Base = declarative_base()


class CheckinRow(Base):
    __tablename__ = "checkins"

    id = sa.Column(sa.Integer, primary_key=True)
    sender_id = sa.Column(sa.String(255), nullable=False, index=True)
    days = sa.Column(sa.Integer, nullable=False)
    kinds = sa.Column(sa.JSON, nullable=False)
    reason = sa.Column(sa.String(20))
    confidence = sa.Column(sa.Integer, nullable=False)
    long_use = sa.Column(sa.Boolean, nullable=False, default=False)
    consent_given_at = sa.Column(sa.DateTime(timezone=True), nullable=False)
    created_at = sa.Column(sa.DateTime(timezone=True), nullable=False)


@lru_cache(maxsize=8)
def _engine(url: str) -> sa.engine.Engine:
    engine = make_engine(url)
    Base.metadata.create_all(engine)
    return engine


def save_checkin(url: str, sender_id: str, checkin: Checkin) -> None:
    """Only called after the person said yes to storing it."""
    now = dt.datetime.now(dt.timezone.utc)
    with Session(_engine(url)) as session, session.begin():
        session.add(
            CheckinRow(
                sender_id=sender_id,
                days=checkin.days,
                kinds=list(checkin.kinds),
                reason=checkin.reason,
                confidence=checkin.confidence,
                long_use=checkin.long_use,
                consent_given_at=now,
                created_at=now,
            )
        )


def _checkin(row: CheckinRow) -> Checkin:
    created = row.created_at
    if created is not None and created.tzinfo is None:
        created = created.replace(tzinfo=dt.timezone.utc)  # SQLite returns naive datetimes
    return Checkin(row.days, row.confidence, tuple(row.kinds or ()), row.reason, bool(row.long_use), created)


def history(url: str, sender_id: str, limit: int = 6) -> list[Checkin]:
    """The person's latest stored check-ins, oldest first."""
    with Session(_engine(url)) as session:
        rows = session.scalars(
            sa.select(CheckinRow).where(CheckinRow.sender_id == sender_id).order_by(CheckinRow.id.desc()).limit(limit)
        ).all()
        return [_checkin(row) for row in reversed(rows)]


@dataclass(frozen=True)
class CheckinFigures:
    checkins: int
    people: int
    mean_days: float
    mean_confidence: float
    reasons: dict[str, int]
    returning_people: int
    # Among returning people: first versus latest check-in.
    fewer_days: int
    more_confidence: int


def aggregate(url: str, since: dt.datetime | None = None) -> CheckinFigures:
    """Figures over all stored check-ins (no one can be identified from them)."""
    with Session(_engine(url)) as session:
        query = sa.select(CheckinRow).order_by(CheckinRow.id)
        if since is not None:
            # Stored in UTC; SQLite keeps no zone, so the cut-off must be in UTC too.
            since = since.astimezone(dt.timezone.utc) if since.tzinfo else since
            query = query.where(CheckinRow.created_at >= since)
        rows = session.scalars(query).all()
    by_person: dict[str, list[CheckinRow]] = {}
    for row in rows:
        by_person.setdefault(row.sender_id, []).append(row)
    returning = [person for person in by_person.values() if len(person) > 1]
    return CheckinFigures(
        checkins=len(rows),
        people=len(by_person),
        mean_days=mean(row.days for row in rows) if rows else 0.0,
        mean_confidence=mean(row.confidence for row in rows) if rows else 0.0,
        reasons=dict(Counter(row.reason or "none" for row in rows)),
        returning_people=len(returning),
        fewer_days=sum(person[-1].days < person[0].days for person in returning),
        more_confidence=sum(person[-1].confidence > person[0].confidence for person in returning),
    )
