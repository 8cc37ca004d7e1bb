"""Fast NLU regression check on the held-out set, with misspellings and long messages."""

from __future__ import annotations

import asyncio

import pytest

from evaluation.data import Example, load_examples
from evaluation.metrics import Prediction, score
from evaluation.run import HELD_OUT, LONG_MESSAGES
from ryggvett.typo_generator import add_typos
from tests.chat import REPORT_LINES

pytestmark = pytest.mark.assistant
MIN_ACCURACY_PER_LANGUAGE = 0.90
MAX_DROP = 0.05


async def _predict(agent, examples):
    predictions = []
    for example in examples:
        parsed = await agent.parse_message(example.text)
        predictions.append(Prediction(example, (parsed.get("intent") or {}).get("name") or ""))
    return predictions


def test_typos_are_deterministic_and_real():
    text = "Er det farlig å løfte tunge ting? Jeg har vondt i ryggen."
    assert add_typos(text) == add_typos(text)
    assert add_typos(text) != text
    assert len(add_typos(text).split()) == len(text.split())


@pytest.fixture(scope="module")
def figures(agent):
    return asyncio.run(_figures(agent))


async def _figures(agent):
    held_out = load_examples(*HELD_OUT)
    clean = score(await _predict(agent, held_out))
    typos = score(await _predict(agent, [Example(add_typos(e.text), e.intent, ()) for e in held_out]))
    long = score(await _predict(agent, load_examples(LONG_MESSAGES)))
    REPORT_LINES.append(
        "nlu: held-out accuracy "
        + ", ".join(f"{lang} {acc:.3f} (n={n})" for lang, (n, acc, _) in clean.by_language.items())
        + f"; with typos {typos.accuracy:.3f} vs {clean.accuracy:.3f}; 100+ word messages {long.accuracy:.3f}"
    )
    return clean, typos, long


def test_held_out_accuracy_does_not_drop_below_090_per_language(figures):
    clean, _, _ = figures
    for language in ("nb", "en"):
        n, accuracy, _ = clean.by_language[language]
        assert n >= 300 and accuracy >= MIN_ACCURACY_PER_LANGUAGE, (language, accuracy, n)


def test_misspellings_lose_at_most_5_points(figures):
    clean, typos, _ = figures
    assert typos.accuracy >= clean.accuracy - MAX_DROP, (typos.accuracy, clean.accuracy)


def test_messages_of_100_words_or_more_lose_at_most_5_points(figures):
    clean, _, long = figures
    assert long.n >= 40 and all(len(e.text.split()) >= 100 for e in load_examples(LONG_MESSAGES))
    assert long.accuracy >= clean.accuracy - MAX_DROP, (long.accuracy, clean.accuracy)
