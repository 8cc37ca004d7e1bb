"""How well a message fits each card's own example questions.

Each topic card lists the patient questions it answers and a short title (content/cards).
Two measures come from them:

- `fit`: a linear classifier (LinearSVC over character and word n-grams, TF-IDF) trained on
  every card's questions and titles; its decision value per card (above 0: a match) ranks the
  cards. Alone, it put the expected card first for 0.89 (nb) and 0.86 (en) of the card-level
  test questions, against 0.79 and 0.81 for the nearest questions (2026-12-07).
- `similarity`: the cosine similarity to the card's nearest questions (0..1); it tells whether
  a message comes close to any card at all, and which cards to offer as «Mener du …?».

Both are built from the reference base in a few seconds, so an edited card's questions count
as soon as the action server reads the base again, without retraining the Rasa model.
ryggvett.card_choice combines them with the safety rules, the topic and the entities.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping, Sequence

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.pipeline import FeatureUnion
from sklearn.svm import LinearSVC

from ryggvett.reference.content import Card
from ryggvett.text_classifier import tfidf_features

# A card's similarity is the mean of its best few questions: one odd example decides less.
NEAREST = 3
# Regularisation of the classifier; 0.3–1 measured alike on the card-level test sets.
C = 0.5


def _features() -> FeatureUnion:
    return FeatureUnion(
        [
            ("chars", TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True)),
            ("words", TfidfVectorizer(analyzer="word", ngram_range=(1, 2), sublinear_tf=True)),
        ]
    )


@dataclass(frozen=True)
class CardEvidence:
    """What the cards' questions say about one message (card key -> value)."""

    fit: Mapping[str, float] = field(default_factory=dict)
    similarity: Mapping[str, float] = field(default_factory=dict)


class CardRanker:
    def __init__(self, cards: Sequence[Card]):
        self.cards = [card for card in cards if card.questions]
        questions = [[q.lower() for qs in card.questions.values() for q in qs] for card in self.cards]
        titles = [[t.lower() for t in card.title.values()] for card in self.cards]
        self._features = _features()
        self._matrix = None
        self._classifier: LinearSVC | None = None
        if not any(questions):
            return
        # One vocabulary for both measures, fitted on every question and title.
        texts = [text for own, named in zip(questions, titles, strict=True) for text in (*own, *named)]
        labels = [
            card.key for card, own, named in zip(self.cards, questions, titles, strict=True) for _ in (*own, *named)
        ]
        matrix = self._features.fit_transform(texts)
        is_question = np.array(
            [i < len(own) for own, named in zip(questions, titles, strict=True) for i in range(len(own) + len(named))]
        )
        self._matrix = _normalised(matrix[is_question])
        # Feature -> questions: a message's few n-grams pick their rows (far quicker than a
        # sparse product with the whole matrix).
        self._by_feature = self._matrix.T.tocsr()
        # Row positions of each card's questions, padded with -1, so a card's nearest questions
        # are found for all cards at once.
        counts = [len(own) for own in questions]
        starts = np.cumsum([0, *counts[:-1]])
        width = max(counts)
        self._slots = np.full((len(self.cards), width), -1)
        for row, (start, count) in enumerate(zip(starts, counts, strict=True)):
            self._slots[row, :count] = np.arange(start, start + count)
        if len(self.cards) > 1:
            self._classifier = LinearSVC(C=C, random_state=0).fit(matrix, labels)

    def evidence(self, text: str) -> CardEvidence:
        """How well `text` fits each card (`fit`) and how close it comes to its questions (`similarity`)."""
        if self._matrix is None:
            return CardEvidence(self._fit(None), {})
        # Computed directly from the vectorisers (ryggvett.text_classifier): the FeatureUnion's
        # dispatch costs more than the features of one message.
        vector = tfidf_features([vectoriser for _, vectoriser in self._features.transformer_list], [text.lower()])
        return CardEvidence(self._fit(vector), self._similarities(vector))

    def _similarities(self, vector) -> dict[str, float]:  # type: ignore[no-untyped-def]
        if vector is None or self._matrix is None:
            return {}
        message = _normalised(vector)
        scores = self._by_feature[message.indices].T @ message.data
        own = np.where(self._slots >= 0, scores[self._slots], -np.inf)
        nearest = -np.partition(-own, NEAREST - 1, axis=1)[:, :NEAREST] if own.shape[1] > NEAREST else own
        nearest = np.where(np.isfinite(nearest), nearest, np.nan)
        means = np.nan_to_num(np.nanmean(nearest, axis=1))
        return {card.key: float(mean) for card, mean in zip(self.cards, means, strict=True)}

    def _fit(self, vector) -> dict[str, float]:  # type: ignore[no-untyped-def]
        if self._classifier is None or vector is None:
            return {card.key: 0.0 for card in self.cards}
        values = self._classifier.decision_function(vector)[0]
        return {str(key): float(value) for key, value in zip(self._classifier.classes_, values, strict=True)}


def _normalised(matrix):  # type: ignore[no-untyped-def]
    norms = np.sqrt(matrix.multiply(matrix).sum(axis=1)).A.ravel()
    norms[norms == 0] = 1.0
    return matrix.multiply(1 / norms[:, None]).tocsr()
