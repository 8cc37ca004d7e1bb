"""The curated exercise library: typed records, reading and validation."""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ElementTree
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Mapping

import yaml

from ryggvett.contract import LANGUAGES

CATEGORIES: tuple[str, ...] = ("mobility", "trunk", "hip_leg", "aerobic", "relaxation")
LEVELS: tuple[str, ...] = ("easy", "medium", "hard")
DOSE_SHAPES: tuple[frozenset[str], ...] = (
    frozenset({"sets", "reps"}),
    frozenset({"sets", "seconds"}),
    frozenset({"minutes"}),
)
LIBRARY_FILE = "exercises/library.yml"
ILLUSTRATIONS_DIR = "exercises/illustrations"
SVG_NAMESPACE = "{http://www.w3.org/2000/svg}"
# Plain drawing elements only: anything that can run code or fetch something is refused.
SVG_ELEMENTS = frozenset(
    {"svg", "title", "desc", "g", "line", "polyline", "path", "circle", "ellipse", "rect", "polygon"}
)


@dataclass(frozen=True)
class ExerciseText:
    name: str
    steps: tuple[str, ...]
    feel: str
    stop: str
    cautions: str


@dataclass(frozen=True)
class Exercise:
    key: str
    category: str
    level: str
    # Takes the back to the end of its range: left out while pain goes below the knee.
    end_range: bool
    dose: Mapping[str, int]
    sources: tuple[str, ...]
    illustration: str
    texts: Mapping[str, ExerciseText]
    reviewed_by: str = ""
    last_reviewed: dt.date | None = None
    origin: str = LIBRARY_FILE

    @property
    def level_rank(self) -> int:
        return LEVELS.index(self.level) if self.level in LEVELS else 0


@dataclass
class ExerciseLibrary:
    exercises: list[Exercise] = field(default_factory=list)
    # Daily walking goal for the week plan, by level.
    walking_goal_minutes: dict[str, int] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    def get(self, key: str) -> Exercise | None:
        return next((exercise for exercise in self.exercises if exercise.key == key), None)


def _text(raw: Any) -> ExerciseText | None:
    if not isinstance(raw, Mapping):
        return None
    steps = raw.get("steps") or ()
    if not all(raw.get(name) for name in ("name", "feel", "stop", "cautions")) or not steps:
        return None
    return ExerciseText(
        name=str(raw["name"]).strip(),
        steps=tuple(str(step).strip() for step in steps),
        feel=str(raw["feel"]).strip(),
        stop=str(raw["stop"]).strip(),
        cautions=str(raw["cautions"]).strip(),
    )


def _exercise(raw: Mapping[str, Any], problems: list[str]) -> Exercise | None:
    key = raw.get("key")
    if not key:
        problems.append(f"{LIBRARY_FILE}: an exercise has no key")
        return None
    texts = {language: text for language in LANGUAGES if (text := _text(raw.get(language))) is not None}
    dose = raw.get("dose") if isinstance(raw.get("dose"), Mapping) else {}
    try:
        reviewed = raw.get("last_reviewed")
        reviewed = reviewed if reviewed is None or isinstance(reviewed, dt.date) else dt.date.fromisoformat(reviewed)
    except ValueError:
        problems.append(f"{LIBRARY_FILE}: exercise '{key}' has an invalid last_reviewed date")
        reviewed = None
    return Exercise(
        key=str(key),
        category=str(raw.get("category") or ""),
        level=str(raw.get("level") or ""),
        end_range=bool(raw.get("end_range", False)),
        dose={str(name): value for name, value in dose.items()},
        sources=tuple(str(source) for source in raw.get("sources") or ()),
        illustration=str(raw.get("illustration") or ""),
        texts=texts,
        reviewed_by=str(raw.get("reviewed_by") or ""),
        last_reviewed=reviewed,
    )


def read_exercise_library(content_dir: Path) -> ExerciseLibrary:
    """The library in `content_dir`/exercises/library.yml; empty when the file is absent."""
    path = content_dir / LIBRARY_FILE
    library = ExerciseLibrary()
    if not path.exists():
        return library
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as error:
        library.problems.append(f"{LIBRARY_FILE}: cannot read YAML: {error}")
        return library
    for raw in data.get("exercises") or ():
        exercise = _exercise(raw, library.problems)
        if exercise:
            library.exercises.append(exercise)
    goals = data.get("walking_goal_minutes") or {}
    library.walking_goal_minutes = {str(level): minutes for level, minutes in goals.items()}
    return library


def svg_problems(path: Path) -> list[str]:
    """Why the file is not a safe, valid SVG drawing; empty when it is one."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        return [f"cannot read {path.name}: {error}"]
    if "<!DOCTYPE" in text or "<!ENTITY" in text:
        return [f"{path.name} declares a DOCTYPE or entities"]
    try:
        root = ElementTree.fromstring(text)
    except ElementTree.ParseError as error:
        return [f"{path.name} is not well-formed XML: {error}"]
    problems = []
    if root.tag != f"{SVG_NAMESPACE}svg":
        problems.append(f"{path.name} is not an SVG document (root <{root.tag}>)")
    if not root.get("viewBox"):
        problems.append(f"{path.name} has no viewBox")
    for element in root.iter():
        tag = element.tag.removeprefix(SVG_NAMESPACE)
        if tag not in SVG_ELEMENTS:
            problems.append(f"{path.name} uses <{tag}>, which is not a plain drawing element")
        for attribute, value in element.attrib.items():
            name = attribute.rsplit("}", 1)[-1].lower()
            if name.startswith("on") or name == "href" or "url(" in value or "javascript:" in value.lower():
                problems.append(f"{path.name}: <{tag} {name}> refers outside the drawing or runs code")
    if root.find(f"{SVG_NAMESPACE}title") is None:
        problems.append(f"{path.name} has no <title> (screen readers need one)")
    return problems


def validate_exercise_library(
    library: ExerciseLibrary, source_keys: Iterable[str], illustrations_dir: Path
) -> list[str]:
    """Problems in the library; an empty list means it is valid."""
    problems = list(library.problems)
    if not library.exercises:
        return problems
    known_sources = set(source_keys)
    seen: set[str] = set()
    for exercise in library.exercises:
        where = f"exercise '{exercise.key}'"
        if exercise.key in seen:
            problems.append(f"{where} is defined twice")
        seen.add(exercise.key)
        if exercise.category not in CATEGORIES:
            problems.append(f"{where} has unknown category '{exercise.category}' (one of {', '.join(CATEGORIES)})")
        if exercise.level not in LEVELS:
            problems.append(f"{where} has unknown level '{exercise.level}' (one of {', '.join(LEVELS)})")
        if frozenset(exercise.dose) not in DOSE_SHAPES or not all(
            isinstance(value, int) and value > 0 for value in exercise.dose.values()
        ):
            problems.append(f"{where} needs a dose of sets and reps, sets and seconds, or minutes (positive numbers)")
        if not exercise.sources:
            problems.append(f"{where} cites no source")
        for key in exercise.sources:
            if key not in known_sources:
                problems.append(f"{where} cites unknown source '{key}'")
        for language in LANGUAGES:
            if language not in exercise.texts:
                problems.append(f"{where} is missing its '{language}' text (name, steps, feel, stop, cautions)")
        if not exercise.reviewed_by or exercise.last_reviewed is None:
            problems.append(f"{where} does not record who reviewed it and when")
        if not exercise.illustration:
            problems.append(f"{where} has no illustration")
        elif not (illustrations_dir / exercise.illustration).is_file():
            problems.append(f"{where}: illustration '{exercise.illustration}' does not exist")
        else:
            problems.extend(
                f"{where}: {problem}" for problem in svg_problems(illustrations_dir / exercise.illustration)
            )
    for category in CATEGORIES:
        if not any(exercise.category == category for exercise in library.exercises):
            problems.append(f"the exercise library has no '{category}' exercise")
    for level in LEVELS:
        minutes = library.walking_goal_minutes.get(level)
        if not isinstance(minutes, int) or minutes <= 0:
            problems.append(f"walking_goal_minutes has no positive number of minutes for '{level}'")
    return problems
