"""SQLAlchemy tables of the reference base."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import declarative_base, relationship

Base = declarative_base()

card_sources = sa.Table(
    "card_sources",
    Base.metadata,
    sa.Column("card_key", sa.String(100), sa.ForeignKey("answer_cards.key", ondelete="CASCADE"), primary_key=True),
    sa.Column("source_key", sa.String(100), sa.ForeignKey("sources.key"), primary_key=True),
    sa.Column("position", sa.Integer, nullable=False, default=0),
)


exercise_sources = sa.Table(
    "exercise_sources",
    Base.metadata,
    sa.Column("exercise_key", sa.String(100), sa.ForeignKey("exercises.key", ondelete="CASCADE"), primary_key=True),
    sa.Column("source_key", sa.String(100), sa.ForeignKey("sources.key"), primary_key=True),
    sa.Column("position", sa.Integer, nullable=False, default=0),
)


class SourceRow(Base):
    __tablename__ = "sources"

    key = sa.Column(sa.String(100), primary_key=True)
    short = sa.Column(sa.String(200), nullable=False)
    authors = sa.Column(sa.Text, nullable=False)
    title = sa.Column(sa.Text, nullable=False)
    year = sa.Column(sa.Integer)
    publisher = sa.Column(sa.Text)
    url = sa.Column(sa.Text)
    doi = sa.Column(sa.String(200))
    passage = sa.Column(sa.Text)


class AnswerCardRow(Base):
    __tablename__ = "answer_cards"

    key = sa.Column(sa.String(100), primary_key=True)
    intent = sa.Column(sa.String(100), nullable=False, index=True)
    # {"medication": ["nsaid"]}: the entity values the card is specific to.
    entities = sa.Column(sa.JSON, nullable=False, default=dict)
    short_nb = sa.Column(sa.Text, nullable=False)
    long_nb = sa.Column(sa.Text, nullable=False)
    short_en = sa.Column(sa.Text, nullable=False)
    long_en = sa.Column(sa.Text, nullable=False)
    reviewed_by = sa.Column(sa.String(200), nullable=False)
    last_reviewed = sa.Column(sa.Date, nullable=False)
    priority = sa.Column(sa.String(20))
    # Further ways to choose the card: [{"intent": ..., "entities": {...}}]; intent "*" is any topic.
    also = sa.Column(sa.JSON, nullable=False, default=list)
    title = sa.Column(sa.JSON, nullable=False, default=dict)  # {"nb": ..., "en": ...}
    questions = sa.Column(sa.JSON, nullable=False, default=dict)  # {"nb": [...], "en": [...]}
    general = sa.Column(sa.Boolean, nullable=False, default=False)
    sources = relationship(SourceRow, secondary=card_sources, order_by=card_sources.c.position)


class TermRow(Base):
    __tablename__ = "terms"

    entity = sa.Column(sa.String(50), primary_key=True)
    synonym = sa.Column(sa.String(200), primary_key=True)
    value = sa.Column(sa.String(100), nullable=False)


class TopicRow(Base):
    __tablename__ = "topics"

    intent = sa.Column(sa.String(100), primary_key=True)
    label_nb = sa.Column(sa.String(200), nullable=False)
    label_en = sa.Column(sa.String(200), nullable=False)


class ExerciseRow(Base):
    __tablename__ = "exercises"

    key = sa.Column(sa.String(100), primary_key=True)
    # Order in the library file: curators list the first choice of each level first.
    position = sa.Column(sa.Integer, nullable=False)
    category = sa.Column(sa.String(20), nullable=False, index=True)
    level = sa.Column(sa.String(10), nullable=False)
    end_range = sa.Column(sa.Boolean, nullable=False, default=False)
    # {"sets": 2, "reps": 10} or {"minutes": 10}
    dose = sa.Column(sa.JSON, nullable=False)
    illustration = sa.Column(sa.String(200), nullable=False)
    # {"nb": {"name", "steps", "feel", "stop", "cautions"}, "en": {...}}
    texts = sa.Column(sa.JSON, nullable=False)
    reviewed_by = sa.Column(sa.String(200), nullable=False)
    last_reviewed = sa.Column(sa.Date, nullable=False)
    sources = relationship(SourceRow, secondary=exercise_sources, order_by=exercise_sources.c.position)


class WalkingGoalRow(Base):
    __tablename__ = "walking_goals"

    level = sa.Column(sa.String(10), primary_key=True)
    minutes = sa.Column(sa.Integer, nullable=False)


def make_engine(url: str) -> sa.engine.Engine:
    engine = sa.create_engine(url, future=True, pool_pre_ping=True)
    if engine.dialect.name == "sqlite":
        # SQLite ignores foreign keys unless asked, and the loader relies on them.
        @sa.event.listens_for(engine, "connect")
        def _enable_foreign_keys(connection, _record):  # type: ignore[no-untyped-def]
            connection.execute("PRAGMA foreign_keys=ON")
            # Deleted personal data is overwritten with zeros, not left in free pages (retention).
            connection.execute("PRAGMA secure_delete=ON")

    return engine
