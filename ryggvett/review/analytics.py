"""Figures for the analytics page, from the conversation index and the tracker store."""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from dataclasses import dataclass
from statistics import median

import sqlalchemy as sa
from sqlalchemy.orm import Session

from ryggvett.review.events import EVENTS, has_events
from ryggvett.review.models import ConversationIndexRow


@dataclass(frozen=True)
class Analytics:
    days: list[dt.date]
    conversations_per_day: list[int]
    messages_per_day: list[int]
    conversations: int
    messages: int
    top_topics: list[tuple[str, int]]
    fallback_rate: float | None
    red_flags: int
    crises: int
    positive: int
    negative: int
    languages: list[tuple[str, int]]
    channels: list[tuple[str, int]]
    median_length: float | None

    @property
    def helpfulness(self) -> float | None:
        rated = self.positive + self.negative
        return self.positive / rated if rated else None


def _day(moment: dt.datetime) -> dt.date:
    moment = moment if moment.tzinfo else moment.replace(tzinfo=dt.timezone.utc)
    return moment.astimezone(dt.timezone.utc).date()


def analytics(
    review: sa.engine.Engine, tracker: sa.engine.Engine, period_days: int, today: dt.date | None = None
) -> Analytics:
    """Everything over the last `period_days` days (UTC), today included."""
    today = today or dt.datetime.now(dt.timezone.utc).date()
    first = today - dt.timedelta(days=period_days - 1)
    since = dt.datetime.combine(first, dt.time.min, tzinfo=dt.timezone.utc)
    days = [first + dt.timedelta(days=n) for n in range(period_days)]
    with Session(review) as session:
        rows = session.scalars(sa.select(ConversationIndexRow).where(ConversationIndexRow.started_at >= since)).all()
    per_day = Counter(_day(row.started_at) for row in rows)
    messages_per_day: Counter[dt.date] = Counter()
    if has_events(tracker):
        query = sa.select(EVENTS.c.timestamp).where(
            EVENTS.c.type_name == "user", EVENTS.c.timestamp >= since.timestamp()
        )
        with tracker.connect() as connection:
            for (timestamp,) in connection.execute(query):
                messages_per_day[dt.datetime.fromtimestamp(timestamp, dt.timezone.utc).date()] += 1
    topics: Counter[str] = Counter()
    for row in rows:
        topics.update(json.loads(row.topics or "{}"))
    messages = sum(row.messages for row in rows)
    channels: Counter[str] = Counter(
        channel for row in rows for channel in row.channels.strip(",").split(",") if channel
    )
    return Analytics(
        days=days,
        conversations_per_day=[per_day[day] for day in days],
        messages_per_day=[messages_per_day[day] for day in days],
        conversations=len(rows),
        messages=messages,
        top_topics=topics.most_common(11),
        fallback_rate=sum(row.fallbacks for row in rows) / messages if messages else None,
        red_flags=sum(row.red_flag for row in rows),
        crises=sum(row.crisis for row in rows),
        positive=sum(row.positive_feedback for row in rows),
        negative=sum(row.negative_feedback for row in rows),
        languages=Counter(row.language for row in rows).most_common(),
        channels=channels.most_common(),
        median_length=median(row.messages for row in rows) if rows else None,
    )
