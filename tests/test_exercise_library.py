"""The curated exercise library: the real one is complete and valid; the validator catches each fault."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml

from ryggvett.contract import LANGUAGES
from ryggvett.reference.content import Content
from ryggvett.reference.exercise_library import (
    CATEGORIES,
    LEVELS,
    read_exercise_library,
    svg_problems,
    validate_exercise_library,
)
from ryggvett.reference.repository import ReferenceBase

GOOD_SVG = (
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 240 160" role="img"><title>Bridge</title>'
    '<line x1="10" y1="140" x2="230" y2="140" stroke="#9ca3af"/></svg>'
)


def test_the_real_library_is_valid_and_covers_every_category(content: Content) -> None:
    library = content.exercises
    source_keys = [source.key for source in content.sources]
    assert validate_exercise_library(library, source_keys, content.illustrations_dir) == []
    assert len(library.exercises) >= 15
    assert {e.category for e in library.exercises} == set(CATEGORIES)
    assert {e.level for e in library.exercises} == set(LEVELS)


def test_every_real_exercise_has_both_languages_a_source_a_level_and_a_valid_drawing(content: Content) -> None:
    for exercise in content.exercises.exercises:
        assert set(exercise.texts) == set(LANGUAGES), exercise.key
        for text in exercise.texts.values():
            assert text.name and text.feel and text.stop and text.cautions, exercise.key
            assert 3 <= len(text.steps) <= 5, exercise.key
        assert exercise.sources and exercise.level in LEVELS
        assert svg_problems(content.illustrations_dir / exercise.illustration) == [], exercise.key


def test_every_stop_text_carries_the_pain_rule(content: Content) -> None:
    for exercise in content.exercises.exercises:
        assert "5 av 10" in exercise.texts["nb"].stop and "5 out of 10" in exercise.texts["en"].stop, exercise.key
        assert "thomee-1997" in exercise.sources, exercise.key


def test_the_reference_base_returns_the_library_in_file_order(content: Content, base: ReferenceBase) -> None:
    assert [e.key for e in base.exercises.exercises] == [e.key for e in content.exercises.exercises]
    assert base.exercises.walking_goal_minutes == content.exercises.walking_goal_minutes
    first = content.exercises.exercises[0]
    assert base.exercises.get(first.key) == first


@pytest.fixture()
def library_tree(tmp_path: Path, content: Content) -> tuple[Path, dict]:
    """A copy of the real library file and its drawings, to break one thing at a time."""
    raw = yaml.safe_load((Path(content.illustrations_dir).parent / "library.yml").read_text(encoding="utf-8"))
    (tmp_path / "exercises" / "illustrations").mkdir(parents=True)
    for exercise in raw["exercises"]:
        (tmp_path / "exercises" / "illustrations" / exercise["illustration"]).write_text(GOOD_SVG, encoding="utf-8")
    return tmp_path, raw


def problems_of(tree: Path, raw: dict, content: Content) -> list[str]:
    (tree / "exercises" / "library.yml").write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    library = read_exercise_library(tree)
    return validate_exercise_library(library, [s.key for s in content.sources], tree / "exercises" / "illustrations")


def broken(raw: dict, change) -> dict:
    raw = copy.deepcopy(raw)
    change(raw["exercises"][0])
    return raw


@pytest.mark.parametrize(
    "change, expected",
    [
        (lambda e: e.pop("en"), "missing its 'en' text"),
        (lambda e: e["nb"].pop("stop"), "missing its 'nb' text"),
        (lambda e: e.__setitem__("sources", []), "cites no source"),
        (lambda e: e.__setitem__("sources", ["made-up-2024"]), "unknown source 'made-up-2024'"),
        (lambda e: e.__setitem__("level", "extreme"), "unknown level 'extreme'"),
        (lambda e: e.__setitem__("category", "cardio"), "unknown category 'cardio'"),
        (lambda e: e.__setitem__("dose", {"sets": 2}), "needs a dose"),
        (lambda e: e.__setitem__("dose", {"minutes": 0}), "needs a dose"),
        (lambda e: e.__setitem__("illustration", "missing.svg"), "'missing.svg' does not exist"),
        (lambda e: e.pop("illustration"), "has no illustration"),
        (lambda e: e.pop("reviewed_by"), "who reviewed it"),
    ],
    ids=["no-english", "no-stop-text", "no-source", "unknown-source", "bad-level", "bad-category", "half-dose",
         "zero-dose", "missing-drawing", "no-drawing", "not-reviewed"],
)  # fmt: skip
def test_the_validator_names_each_fault(library_tree, content, change, expected) -> None:
    tree, raw = library_tree
    assert problems_of(tree, raw, content) == []
    problems = problems_of(tree, broken(raw, change), content)
    assert any(expected in problem for problem in problems), problems


def test_a_duplicate_key_and_a_missing_category_are_found(library_tree, content) -> None:
    tree, raw = library_tree
    raw = copy.deepcopy(raw)
    raw["exercises"] = [e for e in raw["exercises"] if e["category"] != "relaxation"]
    raw["exercises"].append(copy.deepcopy(raw["exercises"][0]))
    problems = problems_of(tree, raw, content)
    assert any("is defined twice" in p for p in problems)
    assert any("no 'relaxation' exercise" in p for p in problems)


@pytest.mark.parametrize(
    "svg, expected",
    [
        (GOOD_SVG.replace("</svg>", "<script>alert(1)</script></svg>"), "<script>"),
        (GOOD_SVG.replace("<line ", '<line onclick="alert(1)" '), "runs code"),
        (GOOD_SVG.replace("<line ", '<image href="https://example.org/x.png"/><line '), "<image>"),
        (GOOD_SVG.replace('stroke="#9ca3af"', 'fill="url(#g)"'), "refers outside"),
        (GOOD_SVG.replace("<title>Bridge</title>", ""), "no <title>"),
        (GOOD_SVG.replace(' viewBox="0 0 240 160"', ""), "no viewBox"),
        (GOOD_SVG[:-6], "not well-formed"),
        ('<html xmlns="http://www.w3.org/1999/xhtml"><title>x</title></html>', "not an SVG"),
        ('<!DOCTYPE svg [<!ENTITY x "y">]>' + GOOD_SVG, "DOCTYPE"),
    ],
    ids=["script", "event-handler", "external-image", "url-reference", "no-title", "no-viewbox", "broken-xml",
         "not-svg", "entities"],
)  # fmt: skip
def test_unsafe_or_invalid_drawings_are_refused(tmp_path: Path, svg: str, expected: str) -> None:
    path = tmp_path / "drawing.svg"
    path.write_text(svg, encoding="utf-8")
    problems = svg_problems(path)
    assert any(expected in problem for problem in problems), problems
    (tmp_path / "good.svg").write_text(GOOD_SVG, encoding="utf-8")
    assert svg_problems(tmp_path / "good.svg") == []
