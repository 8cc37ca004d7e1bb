"""The curated content: its validator, its loader and the reference base it fills."""

from __future__ import annotations

import copy
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
import yaml

from ryggvett.contract import TOPIC_INTENTS
from ryggvett.reference.content import read_content
from ryggvett.reference.loader import InvalidContent, load_content
from ryggvett.reference.models import AnswerCardRow, SourceRow, TermRow, card_sources, make_engine
from ryggvett.reference.repository import EmptyReferenceBase, ReferenceBase
from ryggvett.reference.validation import validate
from ryggvett.settings import PROJECT_ROOT


def _card(key: str, intent: str, **extra: Any) -> dict[str, Any]:
    card = {
        "key": key,
        "intent": intent,
        "sources": ["nice-ng59"],
        "reviewed_by": "test",
        "last_reviewed": "2026-11-26",
        "title": {"nb": f"Om {key}", "en": f"About {key}"},
        "questions": {
            "nb": [f"spørsmål {n} om {key}?" for n in range(10)],
            "en": [f"question {n} about {key}?" for n in range(10)],
        },
        "nb": {"short": "Dette er et kort svar.", "long": f"{key} lang"},
        "en": {"short": "This is a short answer.", "long": f"{key} long"},
    }
    card.update(extra)
    return card


def minimal_content() -> dict[str, Any]:
    """A smallest valid content tree: one general card per topic intent."""
    return {
        "sources.yml": {
            "version": 1,
            "sources": [
                {
                    "key": "nice-ng59",
                    "short": "NICE NG59, 2016",
                    "authors": "NICE",
                    "title": "Low back pain",
                    "year": 2016,
                },
                {"key": "nhi-akutt", "short": "NHI.no", "authors": "NHI.no", "title": "Korsryggsmerte, akutt"},
            ],
        },
        "cards/all.yml": {
            "version": 1,
            "cards": [_card(f"{intent}_general", intent, general=True) for intent in TOPIC_INTENTS]
            + [_card("medication_nsaid", "ask_medication", entities={"medication": ["nsaid"]})],
        },
        "terms.yml": {"version": 1, "terms": {"medication": {"nsaid": ["ibux", "ibuprofen"]}}},
        "topics.yml": {"version": 1, "topics": {i: {"nb": f"{i} nb", "en": f"{i} en"} for i in TOPIC_INTENTS}},
    }


def write_content(root: Path, files: dict[str, Any]) -> Path:
    for name, data in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return root


def problems_for(tmp_path: Path, change) -> list[str]:
    files = copy.deepcopy(minimal_content())
    change(files)
    return validate(read_content(write_content(tmp_path, files)))


def test_minimal_content_is_valid(tmp_path):
    assert problems_for(tmp_path, lambda files: None) == []


def test_the_projects_content_is_valid(content):
    assert validate(content) == []


def test_a_card_citing_no_source_fails(tmp_path):
    def change(files):
        files["cards/all.yml"]["cards"][0]["sources"] = []

    assert problems_for(tmp_path, change) == ["card 'ask_pain_meaning_general' (all.yml) cites no source"]


def test_a_card_citing_an_unknown_source_fails(tmp_path):
    def change(files):
        files["cards/all.yml"]["cards"][0]["sources"] = ["nice-ng59", "made-up-2030"]

    assert problems_for(tmp_path, change) == [
        "card 'ask_pain_meaning_general' (all.yml) cites unknown source 'made-up-2030'"
    ]


@pytest.mark.parametrize("language", ["nb", "en"])
def test_a_card_missing_a_language_fails(tmp_path, language):
    def change(files):
        del files["cards/all.yml"]["cards"][1][language]

    assert problems_for(tmp_path, change) == [
        f"card 'ask_prognosis_general' (all.yml) is missing the '{language}' text (short and long)"
    ]


def test_a_card_with_only_a_short_text_counts_as_missing(tmp_path):
    def change(files):
        del files["cards/all.yml"]["cards"][1]["en"]["long"]

    assert "is missing the 'en' text" in problems_for(tmp_path, change)[0]


def test_duplicate_card_keys_fail(tmp_path):
    def change(files):
        files["cards/all.yml"]["cards"][1]["key"] = "ask_pain_meaning_general"

    problems = problems_for(tmp_path, change)
    assert "duplicate card key 'ask_pain_meaning_general' (2 cards)" in problems


def test_a_topic_intent_without_a_card_fails(tmp_path):
    def change(files):
        cards = files["cards/all.yml"]["cards"]
        files["cards/all.yml"]["cards"] = [c for c in cards if c["intent"] != "ask_imaging"]

    assert problems_for(tmp_path, change) == ["topic intent 'ask_imaging' has no answer card"]


def test_two_cards_for_the_same_entity_value_fail(tmp_path):
    def change(files):
        files["cards/all.yml"]["cards"].append(
            _card("medication_ibux", "ask_medication", entities={"medication": ["nsaid"]})
        )

    assert problems_for(tmp_path, change) == [
        "card 'medication_ibux' (all.yml) and card 'medication_nsaid' both answer ask_medication for medication=nsaid"
    ]


def test_validate_content_command_fails_with_a_clear_message(tmp_path):
    files = minimal_content()
    files["cards/all.yml"]["cards"][0]["sources"] = ["nowhere"]
    write_content(tmp_path, files)
    result = subprocess.run(
        [sys.executable, "-m", "ryggvett", "--content", str(tmp_path), "validate-content"],
        capture_output=True,
        text=True,
        cwd=PROJECT_ROOT,
    )
    assert result.returncode == 1
    assert "cites unknown source 'nowhere'" in result.stderr
    assert "1 problem(s); nothing loaded" in result.stderr


def _counts(url: str) -> dict[str, int]:
    engine = make_engine(url)
    with engine.connect() as connection:
        counts = {
            "sources": connection.scalar(sa.select(sa.func.count()).select_from(SourceRow)),
            "cards": connection.scalar(sa.select(sa.func.count()).select_from(AnswerCardRow)),
            "links": connection.scalar(sa.select(sa.func.count()).select_from(card_sources)),
            "terms": connection.scalar(sa.select(sa.func.count()).select_from(TermRow)),
        }
    engine.dispose()
    return counts


def assert_loads_idempotently(content, url: str) -> None:
    first = load_content(content, url)
    after_first = _counts(url)
    second = load_content(content, url)
    assert first == second
    assert _counts(url) == after_first
    assert after_first["cards"] == len(content.cards)
    assert after_first["sources"] == len(content.sources)
    assert after_first["links"] == sum(len(card.sources) for card in content.cards)


def test_loading_twice_changes_nothing(tmp_path, content):
    assert_loads_idempotently(content, f"sqlite:///{tmp_path / 'ref.db'}")


def test_reloading_removes_cards_that_left_the_content(tmp_path):
    url = f"sqlite:///{tmp_path / 'ref.db'}"
    files = minimal_content()
    load_content(read_content(write_content(tmp_path / "v1", files)), url)
    files["cards/all.yml"]["cards"].pop()  # medication_nsaid is retired
    load_content(read_content(write_content(tmp_path / "v2", files)), url)
    base = ReferenceBase.from_url(url)
    assert base.card("medication_nsaid") is None
    assert len(base.cards) == len(TOPIC_INTENTS)


def test_invalid_content_is_never_loaded(tmp_path):
    url = f"sqlite:///{tmp_path / 'ref.db'}"
    files = minimal_content()
    load_content(read_content(write_content(tmp_path / "good", files)), url)
    del files["cards/all.yml"]["cards"][0]["en"]
    with pytest.raises(InvalidContent, match="missing the 'en' text"):
        load_content(read_content(write_content(tmp_path / "bad", files)), url)
    assert _counts(url)["cards"] == len(TOPIC_INTENTS) + 1


def test_reference_base_reads_back_what_was_loaded(base, content):
    assert len(base.cards) == len(content.cards)
    nsaid = [c for c in base.cards_for("ask_medication") if "nsaid" in c.entities.get("medication", ())]
    assert len(nsaid) == 1
    assert base.sources_of(nsaid[0]) and all(s.short for s in base.sources_of(nsaid[0]))
    assert base.synonyms["medication"]["ibux"] == "nsaid"
    assert base.topic_label("ask_medication", "en")


def test_an_empty_database_says_content_was_never_loaded(tmp_path):
    with pytest.raises(EmptyReferenceBase):
        ReferenceBase.from_url(f"sqlite:///{tmp_path / 'empty.db'}")


@pytest.mark.postgres
def test_loader_and_reference_base_on_postgresql(postgres_url, content):
    assert_loads_idempotently(content, postgres_url)
    base = ReferenceBase.from_url(postgres_url)
    assert {c.key for c in base.cards} == {c.key for c in content.cards}


def test_short_answers_are_plain_words_unless_a_reason_is_written(tmp_path):
    hard = (
        "Retningslinjeanbefalingene vektlegger multidisiplinær rehabiliteringsintervensjon "
        "og eksponeringsbasert behandlingsprogresjon."
    )

    def change(files, reason=None):
        cards = files["cards/all.yml"]["cards"]
        cards[0]["nb"]["short"] = hard
        cards[1]["en"]["short"] = " ".join(["word"] * 61) + "."
        if reason:
            cards[0]["plain_language_exception"] = cards[1]["plain_language_exception"] = reason

    problems = problems_for(tmp_path, change)
    assert any("ask_pain_meaning_general" in p and "LIX" in p for p in problems), problems
    assert any("61 words" in p for p in problems), problems
    assert problems_for(tmp_path, lambda files: change(files, "a list of warning signs that must stay whole")) == []


def test_every_answer_card_names_its_title_and_at_least_ten_questions(tmp_path):
    def change(files):
        cards = files["cards/all.yml"]["cards"]
        cards[0]["questions"]["en"] = cards[0]["questions"]["en"][:9]
        del cards[1]["title"]["nb"]

    problems = problems_for(tmp_path, change)
    assert any("lists 9 en questions" in p for p in problems), problems
    assert any("needs a nb title" in p for p in problems), problems
