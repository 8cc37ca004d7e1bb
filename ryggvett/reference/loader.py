"""Load validated content into the reference base; running it twice changes nothing."""

from __future__ import annotations

from dataclasses import asdict, dataclass

from sqlalchemy.orm import Session

from ryggvett.reference.content import Content
from ryggvett.reference.models import (
    AnswerCardRow,
    Base,
    ExerciseRow,
    SourceRow,
    TermRow,
    TopicRow,
    WalkingGoalRow,
    card_sources,
    exercise_sources,
    make_engine,
)
from ryggvett.reference.validation import validate


class InvalidContent(Exception):
    def __init__(self, problems: list[str]):
        super().__init__("content is not valid:\n  " + "\n  ".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class LoadSummary:
    sources: int
    cards: int
    terms: int
    exercises: int = 0


def load_content(content: Content, url: str) -> LoadSummary:
    """Replace the reference base's content with `content` in one transaction."""
    problems = validate(content)
    if problems:
        raise InvalidContent(problems)
    engine = make_engine(url)
    try:
        # The reference base is derived from content/: rebuild its tables in one
        # transaction, so a schema change needs no migration and readers never
        # see it half loaded.
        with engine.begin() as connection:
            Base.metadata.drop_all(connection)
            Base.metadata.create_all(connection)
            session = Session(bind=connection)
            for source in content.sources:
                session.add(
                    SourceRow(
                        key=source.key,
                        short=source.short,
                        authors=source.authors,
                        title=source.title,
                        year=source.year,
                        publisher=source.publisher,
                        url=source.url,
                        doi=source.doi,
                        passage=source.passage,
                    )
                )
            session.flush()
            for card in content.cards:
                session.add(
                    AnswerCardRow(
                        key=card.key,
                        intent=card.intent,
                        entities={k: list(v) for k, v in card.entities.items()},
                        short_nb=card.texts["nb"].short,
                        long_nb=card.texts["nb"].long,
                        short_en=card.texts["en"].short,
                        long_en=card.texts["en"].long,
                        reviewed_by=card.reviewed_by,
                        last_reviewed=card.last_reviewed,
                        priority=card.priority,
                        also=[
                            {"intent": c.intent, "entities": {k: list(v) for k, v in c.entities.items()}}
                            for c in card.also
                        ],
                        title=dict(card.title),
                        questions={language: list(found) for language, found in card.questions.items()},
                        general=card.general,
                    )
                )
            session.flush()
            session.execute(
                card_sources.insert(),
                [
                    {"card_key": card.key, "source_key": key, "position": position}
                    for card in content.cards
                    for position, key in enumerate(card.sources)
                ],
            )
            session.add_all(
                TopicRow(intent=intent, label_nb=labels["nb"], label_en=labels["en"])
                for intent, labels in content.topics.items()
            )
            unique_terms = {(t.entity, t.synonym): t for t in content.terms}
            session.add_all(TermRow(entity=t.entity, synonym=t.synonym, value=t.value) for t in unique_terms.values())
            _add_exercises(session, content)
            session.flush()
            session.close()
        return LoadSummary(
            len(content.sources), len(content.cards), len(unique_terms), len(content.exercises.exercises)
        )
    finally:
        engine.dispose()


def _add_exercises(session: Session, content: Content) -> None:
    library = content.exercises
    for position, exercise in enumerate(library.exercises):
        session.add(
            ExerciseRow(
                key=exercise.key,
                position=position,
                category=exercise.category,
                level=exercise.level,
                end_range=exercise.end_range,
                dose=dict(exercise.dose),
                illustration=exercise.illustration,
                texts={language: asdict(text) for language, text in exercise.texts.items()},
                reviewed_by=exercise.reviewed_by,
                last_reviewed=exercise.last_reviewed,
            )
        )
    session.flush()
    links = [
        {"exercise_key": exercise.key, "source_key": key, "position": position}
        for exercise in library.exercises
        for position, key in enumerate(exercise.sources)
    ]
    if links:
        session.execute(exercise_sources.insert(), links)
    session.add_all(
        WalkingGoalRow(level=level, minutes=minutes) for level, minutes in library.walking_goal_minutes.items()
    )
