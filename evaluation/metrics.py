"""Figures from predictions: accuracy, macro F1, entity scores, confusions."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Iterable, Sequence

from sklearn.metrics import f1_score

from evaluation.data import Example

FALLBACK = "nlu_fallback"


@dataclass
class Prediction:
    example: Example
    intent: str
    entities: tuple[tuple[int, int, str], ...] = ()
    confidence: float = 0.0


@dataclass
class Scores:
    n: int
    accuracy: float
    macro_f1: float
    fallback_rate: float
    by_language: dict[str, tuple[int, float, float]] = field(default_factory=dict)  # n, accuracy, macro F1


def _accuracy_f1(predictions: Sequence[Prediction]) -> tuple[float, float]:
    if not predictions:
        return 0.0, 0.0
    truth = [p.example.intent for p in predictions]
    guess = [p.intent for p in predictions]
    accuracy = sum(t == g for t, g in zip(truth, guess, strict=True)) / len(truth)
    labels = sorted(set(truth))
    return accuracy, float(f1_score(truth, guess, labels=labels, average="macro", zero_division=0))


def score(predictions: Sequence[Prediction]) -> Scores:
    accuracy, macro_f1 = _accuracy_f1(predictions)
    in_scope = [p for p in predictions if p.example.intent != "out_of_scope"]
    fallback_rate = sum(p.intent == FALLBACK for p in in_scope) / max(1, len(in_scope))
    by_language = {}
    for language in sorted({p.example.language for p in predictions}):
        subset = [p for p in predictions if p.example.language == language]
        by_language[language] = (len(subset), *_accuracy_f1(subset))
    return Scores(len(predictions), accuracy, macro_f1, fallback_rate, by_language)


def entity_scores(
    predictions: Iterable[Prediction], types: Sequence[str]
) -> dict[str, tuple[float, float, float, int]]:
    """Exact-span precision, recall, F1 and support per entity type."""
    found, expected, correct = Counter(), Counter(), Counter()
    for p in predictions:
        gold = {e for e in p.example.entities if e[2] in types}
        guess = {e for e in p.entities if e[2] in types}
        for e in gold:
            expected[e[2]] += 1
        for e in guess:
            found[e[2]] += 1
        for e in gold & guess:
            correct[e[2]] += 1
    result = {}
    for entity_type in types:
        precision = correct[entity_type] / found[entity_type] if found[entity_type] else 0.0
        recall = correct[entity_type] / expected[entity_type] if expected[entity_type] else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        result[entity_type] = (precision, recall, f1, expected[entity_type])
    return result


def worst_confusions(predictions: Iterable[Prediction], top: int = 6) -> list[tuple[str, str, int, list[str]]]:
    pairs: dict[tuple[str, str], list[str]] = {}
    for p in predictions:
        if p.intent != p.example.intent:
            pairs.setdefault((p.example.intent, p.intent), []).append(p.example.text)
    ranked = sorted(pairs.items(), key=lambda item: -len(item[1]))[:top]
    return [(truth, guess, len(texts), texts[:2]) for (truth, guess), texts in ranked]
