"""Read-only access to the reference base, held in memory after one query."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy.orm import Session, selectinload

from ryggvett.contract import TOPIC_INTENTS
from ryggvett.reference.content import ANY_TOPIC, Card, CardText, Condition, Source
from ryggvett.reference.exercise_library import Exercise, ExerciseLibrary, ExerciseText
from ryggvett.reference.models import (
    AnswerCardRow,
    ExerciseRow,
    SourceRow,
    TermRow,
    TopicRow,
    WalkingGoalRow,
    make_engine,
)


class EmptyReferenceBase(Exception):
    """The database holds no cards: content was never loaded (run `make load-content`)."""


@dataclass
class ReferenceBase:
    cards: list[Card]
    sources: dict[str, Source]
    synonyms: dict[str, dict[str, str]] = field(default_factory=dict)
    topic_labels: dict[str, dict[str, str]] = field(default_factory=dict)
    exercises: ExerciseLibrary = field(default_factory=ExerciseLibrary)
    _by_intent: dict[str, list[Card]] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._by_intent = defaultdict(list)
        for card in self.cards:
            for intent in dict.fromkeys(condition.intent for condition in card.conditions):
                self._by_intent[intent].append(card)

    def cards_for(self, intent: str) -> list[Card]:
        """The cards that can answer `intent`, those for any topic question included."""
        any_topic = self._by_intent.get(ANY_TOPIC, []) if intent in TOPIC_INTENTS else []
        own = self._by_intent.get(intent, [])
        return [*own, *(card for card in any_topic if card not in own)]

    def card(self, key: str) -> Card | None:
        return next((card for card in self.cards if card.key == key), None)

    def topic_label(self, intent: str, language: str) -> str | None:
        return self.topic_labels.get(intent, {}).get(language)

    def sources_of(self, card: Card) -> list[Source]:
        return [self.sources[key] for key in card.sources if key in self.sources]

    @classmethod
    def from_url(cls, url: str) -> ReferenceBase:
        engine = make_engine(url)
        try:
            with Session(engine) as session:
                if not sa.inspect(engine).has_table(AnswerCardRow.__tablename__):
                    raise EmptyReferenceBase(f"no reference base at {engine.url!r}")
                rows = session.scalars(
                    sa.select(AnswerCardRow).options(selectinload(AnswerCardRow.sources)).order_by(AnswerCardRow.key)
                ).all()
                if not rows:
                    raise EmptyReferenceBase(f"the reference base at {engine.url!r} has no cards")
                sources = {row.key: _source(row) for row in session.scalars(sa.select(SourceRow))}
                synonyms: dict[str, dict[str, str]] = defaultdict(dict)
                for term in session.scalars(sa.select(TermRow)):
                    synonyms[term.entity][term.synonym] = term.value
                topics = {
                    row.intent: {"nb": row.label_nb, "en": row.label_en} for row in session.scalars(sa.select(TopicRow))
                }
                exercises = ExerciseLibrary(
                    exercises=[
                        _exercise(row)
                        for row in session.scalars(
                            sa.select(ExerciseRow).options(selectinload(ExerciseRow.sources)).order_by(ExerciseRow.position)
                        )
                    ],
                    walking_goal_minutes={row.level: row.minutes for row in session.scalars(sa.select(WalkingGoalRow))},
                )
                return cls(
                    cards=[_card(row) for row in rows],
                    sources=sources,
                    synonyms=dict(synonyms),
                    topic_labels=topics,
                    exercises=exercises,
                )
        finally:
            engine.dispose()


def _source(row: SourceRow) -> Source:
    return Source(row.key, row.short, row.authors, row.title, row.year, row.publisher, row.url, row.doi, row.passage)


def _date(value: dt.date | str | None) -> dt.date | None:
    return dt.date.fromisoformat(value) if isinstance(value, str) else value


def _exercise(row: ExerciseRow) -> Exercise:
    return Exercise(
        key=row.key,
        category=row.category,
        level=row.level,
        end_range=bool(row.end_range),
        dose=dict(row.dose),
        sources=tuple(source.key for source in row.sources),
        illustration=row.illustration,
        texts={
            language: ExerciseText(
                name=text["name"],
                steps=tuple(text["steps"]),
                feel=text["feel"],
                stop=text["stop"],
                cautions=text["cautions"],
            )
            for language, text in (row.texts or {}).items()
        },
        reviewed_by=row.reviewed_by,
        last_reviewed=_date(row.last_reviewed),
    )


def _card(row: AnswerCardRow) -> Card:
    last_reviewed = _date(row.last_reviewed)
    return Card(
        key=row.key,
        intent=row.intent,
        entities={k: tuple(v) for k, v in (row.entities or {}).items()},
        sources=tuple(source.key for source in row.sources),
        texts={
            "nb": CardText(row.short_nb, row.long_nb),
            "en": CardText(row.short_en, row.long_en),
        },
        reviewed_by=row.reviewed_by,
        last_reviewed=last_reviewed,
        priority=row.priority,
        also=tuple(
            Condition(item["intent"], {k: tuple(v) for k, v in item["entities"].items()}) for item in row.also or ()
        ),
        title=dict(row.title or {}),
        questions={language: tuple(found) for language, found in (row.questions or {}).items()},
        general=bool(row.general),
    )
