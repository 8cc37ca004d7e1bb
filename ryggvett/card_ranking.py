"""How well a message fits each card's own example questions.

Each topic card lists the patient questions it answers and a short title (content/cards).
Two measures come from them:

- `fit`: a linear classifier (LinearSVC over character and word n-grams, TF-IDF) trained on
  every card's questions and titles; its decision value per card ranks the cards. It beat the
  nearest-question ranking by 6–7 points top-1 on the card-level test sets (reports/nlu/cards.md).
- `similarities`: the cosine similarity to the card's nearest questions (0..1); it tells whether
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

# A card's similarity is the mean of its best few questions: one odd example decides less.
NEAREST = 3
# Regularisation of the classifier; 0.3–1 measured alike on the first card-level test set.
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
        texts, owners = [], []
        for index, card in enumerate(self.cards):
            for questions in card.questions.values():
                texts += [q.lower() for q in questions]
                owners += [index] * len(questions)
        self._owners = np.array(owners)
        self._vectorizer = _features()
        self._matrix = _normalised(self._vectorizer.fit_transform(texts)) if texts else None
        self._classifier = _train_classifier(self.cards) if len(self.cards) > 1 else None

    def evidence(self, text: str) -> CardEvidence:
        return CardEvidence(self.fit(text), self.similarities(text))

    def similarities(self, text: str) -> dict[str, float]:
        """Each card's similarity to `text` (0..1): the mean of its nearest example questions."""
        if self._matrix is None:
            return {}
        vector = _normalised(self._vectorizer.transform([text.lower()]))
        scores = (self._matrix @ vector.T).toarray().ravel()
        found: dict[str, float] = {}
        for index, card in enumerate(self.cards):
            own = np.sort(scores[self._owners == index])[::-1][:NEAREST]
            found[card.key] = float(own.mean()) if own.size else 0.0
        return found

    def fit(self, text: str) -> dict[str, float]:
        """Each card's decision value for `text`: above 0 the classifier counts it a match."""
        if self._classifier is None:
            return {card.key: 0.0 for card in self.cards}
        features, model = self._classifier
        values = model.decision_function(features.transform([text.lower()]))[0]
        return {str(key): float(value) for key, value in zip(model.classes_, values, strict=True)}


def _train_classifier(cards: Sequence[Card]) -> tuple[FeatureUnion, LinearSVC]:
    texts, labels = [], []
    for card in cards:
        examples = [*(q for qs in card.questions.values() for q in qs), *card.title.values()]
        texts += [example.lower() for example in examples]
        labels += [card.key] * len(examples)
    features = _features()
    model = LinearSVC(C=C, random_state=0).fit(features.fit_transform(texts), labels)
    return features, model


def _normalised(matrix):  # type: ignore[no-untyped-def]
    norms = np.sqrt(matrix.multiply(matrix).sum(axis=1)).A.ravel()
    norms[norms == 0] = 1.0
    return matrix.multiply(1 / norms[:, None]).tocsr()
