"""Training-time augmentation: misspelled and long-story copies of hand-written examples."""

from __future__ import annotations

import re

import pytest
import yaml

from ryggvett.augment import LONG_INTENTS, Context, augment, augmented_yaml, long_story, plain_text, read_examples
from ryggvett.settings import PROJECT_ROOT

CONTEXT_FILE = PROJECT_ROOT / "augment" / "context.yml"
HAND_WRITTEN = sorted(p for p in (PROJECT_ROOT / "data" / "nlu").glob("*.yml") if not p.name.endswith(".generated.yml"))


@pytest.fixture(scope="module")
def context() -> Context:
    return Context.read(CONTEXT_FILE)


@pytest.fixture(scope="module")
def examples():
    return read_examples(HAND_WRITTEN)


def test_entity_markup_is_removed():
    assert plain_text("kan jeg ta [Ibux](medication) for [ryggen](body_part)?") == "kan jeg ta Ibux for ryggen?"
    assert plain_text('[ibux]{"entity": "medication", "value": "ibuprofen"} hjelper?') == "ibux hjelper?"


def test_background_sentences_are_neutral(context):
    from ryggvett.triage import assess, crisis, red_flag

    for language, sentences in context.background.items():
        assert len(sentences) >= 20, language
        for sentence in sentences:
            assert "?" not in sentence, sentence
            # Context alone ("vondt i ryggen") is fine; no alarm and no crisis.
            findings = assess(sentence)
            assert red_flag(findings) is None and crisis(findings) is None, sentence


@pytest.mark.parametrize("question", ["Er det farlig å løfte tunge ting", "Is it safe to lift heavy things"])
def test_a_long_story_keeps_the_question_inside_20_to_100_words(context, question):
    import random

    stories = [long_story(question, context, random.Random(seed)) for seed in range(200)]
    assert all(question in story for story in stories)
    lengths = sorted(len(story.split()) for story in stories)
    # Two to five background sentences: 20 words at least, half of them 45 or more. None reaches 100
    # words; messages of 100+ words are measured on the trained model (tests/nlu/long_messages.yml).
    assert lengths[0] >= 20 and lengths[len(lengths) // 2] >= 45 and lengths[-1] < 100, lengths


def test_augmentation_is_deterministic_new_and_only_from_training_data(context, examples):
    first, second = augment(examples, context), augment(examples, context)
    assert first == second
    written = {text.lower() for _, text in examples}
    new = [text for texts in first.values() for text in texts]
    assert len(new) > len(examples) / 2
    assert not [text for text in new if text.lower() in written]
    long = [t for intent, texts in first.items() if intent in LONG_INTENTS for t in texts if len(t.split()) >= 40]
    assert len(long) > 300


def test_generated_yaml_is_rasa_training_data_without_entity_markup(context, examples):
    text = augmented_yaml(augment(examples, context))
    data = yaml.safe_load(text)
    assert data["version"] == "3.1" and data["nlu"]
    assert not re.search(r"^\s+- .*[\[\]{}]", text, re.MULTILINE)
