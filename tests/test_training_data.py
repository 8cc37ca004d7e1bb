"""The NLU data honours the contract: every intent, both languages, enough examples."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest
import yaml

from ryggvett.contract import CONTRACT_ENTITIES, CONVERSATION_INTENTS, SAFETY_INTENTS, TOPIC_INTENTS
from ryggvett.language import detect
from ryggvett.settings import PROJECT_ROOT

# The project's own copy of the NLU contract (docs/nlu-contract.md); other tools depend on its names.
CONTRACT = PROJECT_ROOT / "docs" / "nlu-contract.md"
ALL_INTENTS = (*TOPIC_INTENTS, *SAFETY_INTENTS, *CONVERSATION_INTENTS)
ANNOTATION = re.compile(r"\[([^\]]+)\]\([^)]+\)")


def examples_by_intent(path: Path) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for item in yaml.safe_load(path.read_text(encoding="utf-8")).get("nlu", []):
        if "intent" in item:
            lines = [line[2:].strip() for line in item["examples"].splitlines() if line.startswith("- ")]
            found.setdefault(item["intent"], []).extend(ANNOTATION.sub(r"\1", line) for line in lines)
    return found


def training_examples() -> dict[str, list[str]]:
    merged: dict[str, list[str]] = {}
    for path in sorted((PROJECT_ROOT / "data").rglob("*.yml")):
        for intent, examples in examples_by_intent(path).items():
            merged.setdefault(intent, []).extend(examples)
    return merged


def test_the_code_honours_the_nlu_contract():
    text = CONTRACT.read_text(encoding="utf-8")
    table_intents = set(re.findall(r"^\| `([a-z_]+)` \|", text, flags=re.MULTILINE))
    listed = set(re.findall(r"`([a-z_]+)`", text.split("## Conversation intents")[1].split("##")[0]))
    assert set(TOPIC_INTENTS) | set(SAFETY_INTENTS) <= table_intents
    assert set(CONVERSATION_INTENTS) == listed
    for entity in CONTRACT_ENTITIES:
        assert f"| `{entity}` |" in text


def test_domain_declares_every_contract_intent_entity_and_slot():
    domain = yaml.safe_load((PROJECT_ROOT / "domain.yml").read_text(encoding="utf-8"))
    assert set(ALL_INTENTS) <= set(domain["intents"])
    assert set(CONTRACT_ENTITIES) <= set(domain["entities"])
    assert {"language", "red_flag_raised", "crisis_raised"} <= set(domain["slots"])


@pytest.mark.parametrize("intent", ALL_INTENTS)
def test_every_intent_has_20_examples_in_each_language(intent):
    examples = training_examples().get(intent, [])
    languages = Counter(detect(example).language for example in examples)
    # Topic intents carry the weight of the conversation: 60 per language.
    least = 60 if intent in TOPIC_INTENTS else 20
    assert languages["nb"] >= least, f"{intent}: {languages['nb']} bokmål/nynorsk examples"
    assert languages["en"] >= least, f"{intent}: {languages['en']} English examples"


HELD_OUT_FILES = sorted((PROJECT_ROOT / "tests" / "nlu").glob("*.yml"))


def held_out_examples() -> dict[str, list[str]]:
    merged: dict[str, list[str]] = {}
    for path in HELD_OUT_FILES:
        for intent, examples in examples_by_intent(path).items():
            merged.setdefault(intent, []).extend(examples)
    return merged


def test_held_out_examples_are_never_trained_on():
    held_out = held_out_examples()
    training = {e.lower() for examples in training_examples().values() for e in examples}
    overlap = [e for examples in held_out.values() for e in examples if e.lower() in training]
    assert overlap == []


def test_held_out_set_has_25_examples_per_topic_intent_and_language():
    held_out = held_out_examples()
    for intent in TOPIC_INTENTS:
        languages = Counter(detect(example).language for example in held_out.get(intent, []))
        assert languages["nb"] >= 25 and languages["en"] >= 25, (intent, languages)


def test_safety_statements_are_never_trained_on():
    cases = [
        case["text"].lower()
        for path in (PROJECT_ROOT / "tests" / "safety").glob("cases*.yml")
        for section in yaml.safe_load(path.read_text(encoding="utf-8")).values()
        if isinstance(section, list)
        for case in section
    ]
    training = {e.lower() for examples in training_examples().values() for e in examples}
    assert [text for text in cases if text in training] == []
