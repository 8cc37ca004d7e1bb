"""How close a message is to each card's own example questions.

Each topic card lists the patient questions it answers (content/cards, `questions`). A
message is compared with every question (character and word n-grams, TF-IDF, cosine), and a
card scores as the mean of its nearest questions. ryggvett.card_choice combines this with
the safety rules, the topic and the entities.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.pipeline import FeatureUnion

from ryggvett.reference.content import Card

# A card scores as the mean of its best few questions: one odd example decides less.
NEAREST = 3


class CardRanker:
    def __init__(self, cards: Sequence[Card]):
        self.cards = [card for card in cards if card.questions]
        texts, owners = [], []
        for index, card in enumerate(self.cards):
            for questions in card.questions.values():
                texts += [q.lower() for q in questions]
                owners += [index] * len(questions)
        self._owners = np.array(owners)
        self._vectorizer = FeatureUnion(
            [
                ("chars", TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True)),
                ("words", TfidfVectorizer(analyzer="word", ngram_range=(1, 2), sublinear_tf=True)),
            ]
        )
        matrix = self._vectorizer.fit_transform(texts) if texts else None
        self._matrix = _normalised(matrix) if matrix is not None else None

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


def _normalised(matrix):  # type: ignore[no-untyped-def]
    norms = np.sqrt(matrix.multiply(matrix).sum(axis=1)).A.ravel()
    norms[norms == 0] = 1.0
    return matrix.multiply(1 / norms[:, None]).tocsr()
