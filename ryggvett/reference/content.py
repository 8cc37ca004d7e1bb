"""Read the curated content YAML into plain, typed records."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

import yaml

from ryggvett.reference.exercise_library import ILLUSTRATIONS_DIR, ExerciseLibrary, read_exercise_library


class ContentError(Exception):
    """The content files cannot be read at all (not a validation finding)."""


@dataclass(frozen=True)
class Source:
    key: str
    short: str
    authors: str
    title: str
    year: int | None = None
    publisher: str | None = None
    url: str | None = None
    doi: str | None = None
    # The passage of the source that supports the cards citing it.
    passage: str | None = None

    def full_reference(self) -> str:
        """One line in a usual citation style, from the fields we have."""
        parts = [self.authors.rstrip("."), self.title.rstrip(".")]
        if self.publisher:
            parts.append(self.publisher.rstrip("."))
        if self.year:
            parts.append(str(self.year))
        text = ". ".join(parts) + "."
        link = f"https://doi.org/{self.doi}" if self.doi else self.url
        return f"{text} {link}" if link else text


@dataclass(frozen=True)
class CardText:
    short: str
    long: str


ANY_TOPIC = "*"


@dataclass(frozen=True)
class Condition:
    """One way a card is chosen: a topic intent ("*": any) and the entity values it needs."""

    intent: str
    entities: Mapping[str, tuple[str, ...]]


@dataclass(frozen=True)
class Card:
    key: str
    intent: str
    entities: Mapping[str, tuple[str, ...]]
    sources: tuple[str, ...]
    texts: Mapping[str, CardText]
    reviewed_by: str
    last_reviewed: dt.date | None
    origin: str = ""
    # "safety" cards (questions needing personal advice) win over other matches.
    priority: str | None = None
    # Further ways to choose the card (`any_topic` and `also` in the YAML).
    also: tuple[Condition, ...] = ()
    # language -> a short title (the «Mener du …?» buttons) and the patient questions it answers
    title: Mapping[str, str] = field(default_factory=dict)
    questions: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    # Why a short text may exceed the plain-language limits (validation.py), if it must.
    plain_language_exception: str | None = None
    # The topic's answer when nothing more specific fits (one per topic intent). A card with
    # neither entities nor this flag is chosen by its questions alone (ryggvett/card_ranking.py).
    general: bool = False

    @property
    def is_safety(self) -> bool:
        return self.priority == "safety"

    @property
    def conditions(self) -> tuple[Condition, ...]:
        return (Condition(self.intent, self.entities), *self.also)


@dataclass(frozen=True)
class Term:
    entity: str
    value: str
    synonym: str


@dataclass
class Content:
    sources: list[Source] = field(default_factory=list)
    cards: list[Card] = field(default_factory=list)
    terms: list[Term] = field(default_factory=list)
    # intent -> language -> the topic's short label (used on buttons)
    topics: dict[str, dict[str, str]] = field(default_factory=dict)
    exercises: ExerciseLibrary = field(default_factory=ExerciseLibrary)
    # Where the exercise illustrations are (content/exercises/illustrations).
    illustrations_dir: Path | None = None
    # Problems found while reading single records; the validator reports them.
    problems: list[str] = field(default_factory=list)


def _load_yaml(path: Path) -> Any:
    try:
        with path.open(encoding="utf-8") as handle:
            return yaml.safe_load(handle)
    except (OSError, yaml.YAMLError) as error:
        raise ContentError(f"{path}: cannot read YAML: {error}") from error


def _date(value: Any) -> dt.date | None:
    if value is None or isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value))


def _card(raw: Mapping[str, Any], origin: str, problems: list[str]) -> Card | None:
    key = raw.get("key")
    if not key:
        problems.append(f"{origin}: a card has no key")
        return None
    texts: dict[str, CardText] = {}
    for language in ("nb", "en"):
        block = raw.get(language) or {}
        if isinstance(block, Mapping) and block.get("short") and block.get("long"):
            texts[language] = CardText(str(block["short"]).strip(), str(block["long"]).strip())
    entities = _entities(raw.get("entities"))
    also = [Condition(str(item.get("intent") or ""), _entities(item.get("entities"))) for item in raw.get("also") or ()]
    if raw.get("any_topic"):
        also.insert(0, Condition(ANY_TOPIC, entities))
    try:
        reviewed = _date(raw.get("last_reviewed"))
    except ValueError:
        problems.append(f"{origin}: card '{key}' has an invalid last_reviewed date")
        reviewed = None
    return Card(
        key=str(key),
        intent=str(raw.get("intent") or ""),
        entities=entities,
        sources=tuple(str(s) for s in raw.get("sources") or ()),
        texts=texts,
        reviewed_by=str(raw.get("reviewed_by") or ""),
        last_reviewed=reviewed,
        origin=origin,
        priority=raw.get("priority"),
        also=tuple(also),
        title={str(k): str(v).strip() for k, v in (raw.get("title") or {}).items()},
        questions={str(k): tuple(str(q).strip() for q in v or ()) for k, v in (raw.get("questions") or {}).items()},
        plain_language_exception=raw.get("plain_language_exception"),
        general=bool(raw.get("general")),
    )


def _entities(raw: Any) -> dict[str, tuple[str, ...]]:
    return {
        str(name): tuple(str(v) for v in (values if isinstance(values, list) else [values]))
        for name, values in (raw or {}).items()
    }


def read_terms(path: Path) -> list[Term]:
    data = _load_yaml(path) or {}
    terms = []
    for entity, values in (data.get("terms") or {}).items():
        for value, synonyms in (values or {}).items():
            for synonym in synonyms or ():
                terms.append(Term(str(entity), str(value), str(synonym).strip().lower()))
    return terms


def read_content(content_dir: Path) -> Content:
    """Read sources.yml and sources/*.yml, cards/*.yml, terms.yml, topics.yml and the exercise library."""
    content = Content()
    # sources.yml, plus one file per topic area in sources/ (so content can be written in parallel)
    source_files = [content_dir / "sources.yml", *sorted((content_dir / "sources").glob("*.yml"))]
    raw_sources = [raw for path in source_files for raw in (_load_yaml(path) or {}).get("sources") or ()]
    for raw in raw_sources:
        try:
            content.sources.append(
                Source(
                    key=str(raw["key"]),
                    short=str(raw["short"]),
                    authors=str(raw["authors"]),
                    title=str(raw["title"]),
                    year=int(raw["year"]) if raw.get("year") else None,
                    publisher=raw.get("publisher"),
                    url=raw.get("url"),
                    doi=raw.get("doi"),
                    passage=raw.get("passage"),
                )
            )
        except (KeyError, TypeError, ValueError) as error:
            content.problems.append(f"sources.yml: incomplete source {raw!r}: {error}")
    for path in sorted((content_dir / "cards").glob("*.yml")):
        data = _load_yaml(path) or {}
        for raw in data.get("cards") or ():
            card = _card(raw, path.name, content.problems)
            if card:
                content.cards.append(card)
    content.terms = read_terms(content_dir / "terms.yml")
    topics = (_load_yaml(content_dir / "topics.yml") or {}).get("topics") or {}
    content.topics = {str(intent): {str(k): str(v) for k, v in labels.items()} for intent, labels in topics.items()}
    content.exercises = read_exercise_library(content_dir)
    content.illustrations_dir = content_dir / ILLUSTRATIONS_DIR
    return content
