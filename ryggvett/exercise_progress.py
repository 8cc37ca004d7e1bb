"""What each person was suggested and how they rated it, kept by sender id."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from functools import lru_cache

import sqlalchemy as sa
from sqlalchemy.orm import Session, declarative_base

from ryggvett.exercise_coach import Profile, latest_ratings
from ryggvett.reference.models import make_engine

Base = declarative_base()


class ExerciseSuggestionRow(Base):
    __tablename__ = "exercise_suggestions"

    id = sa.Column(sa.Integer, primary_key=True)
    sender_id = sa.Column(sa.String(255), nullable=False, index=True)
    exercise_keys = sa.Column(sa.JSON, nullable=False)
    pain_now = sa.Column(sa.Integer, nullable=False)
    leg_pain = sa.Column(sa.Boolean, nullable=False)
    activity = sa.Column(sa.String(10), nullable=False)
    confidence = sa.Column(sa.String(10), nullable=False)
    created_at = sa.Column(sa.DateTime(timezone=True), nullable=False)


class ExerciseRatingRow(Base):
    __tablename__ = "exercise_ratings"

    id = sa.Column(sa.Integer, primary_key=True)
    sender_id = sa.Column(sa.String(255), nullable=False, index=True)
    exercise_key = sa.Column(sa.String(100), nullable=False)
    rating = sa.Column(sa.String(10), nullable=False)
    created_at = sa.Column(sa.DateTime(timezone=True), nullable=False)


@dataclass
class Progress:
    """A person's last suggested set, the profile it was chosen for, and their ratings."""

    previous: list[str] = field(default_factory=list)
    profile: Profile | None = None
    ratings: dict[str, str] = field(default_factory=dict)


@lru_cache(maxsize=8)
def _engine(url: str) -> sa.engine.Engine:
    # One engine per database for the process: the action server calls this every turn.
    engine = make_engine(url)
    Base.metadata.create_all(engine)
    return engine


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def save_suggestion(url: str, sender_id: str, profile: Profile, exercise_keys: list[str]) -> None:
    with Session(_engine(url)) as session, session.begin():
        session.add(
            ExerciseSuggestionRow(
                sender_id=sender_id,
                exercise_keys=list(exercise_keys),
                pain_now=profile.pain_now,
                leg_pain=profile.leg_pain,
                activity=profile.activity,
                confidence=profile.confidence,
                created_at=_now(),
            )
        )


def save_ratings(url: str, sender_id: str, exercise_keys: list[str], rating: str) -> None:
    now = _now()
    with Session(_engine(url)) as session, session.begin():
        session.add_all(
            ExerciseRatingRow(sender_id=sender_id, exercise_key=key, rating=rating, created_at=now)
            for key in exercise_keys
        )


def load_progress(url: str, sender_id: str) -> Progress:
    with Session(_engine(url)) as session:
        last = session.scalars(
            sa.select(ExerciseSuggestionRow)
            .where(ExerciseSuggestionRow.sender_id == sender_id)
            .order_by(ExerciseSuggestionRow.id.desc())
            .limit(1)
        ).first()
        rows = session.execute(
            sa.select(ExerciseRatingRow.exercise_key, ExerciseRatingRow.rating)
            .where(ExerciseRatingRow.sender_id == sender_id)
            .order_by(ExerciseRatingRow.id)
        ).all()
    progress = Progress(ratings=latest_ratings((key, rating) for key, rating in rows))
    if last is not None:
        progress.previous = list(last.exercise_keys)
        progress.profile = Profile(last.pain_now, bool(last.leg_pain), last.activity, last.confidence)
    return progress
