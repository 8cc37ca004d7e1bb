"""TF-IDF word and character n-grams with logistic regression: the baseline, and DIET's partner."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable, Mapping, Sequence

import numpy as np
from scipy import sparse
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import FeatureUnion, Pipeline, make_pipeline


def train_tfidf_classifier(texts: Sequence[str], intents: Sequence[str], seed: int = 2016) -> Pipeline:
    """A fitted scikit-learn pipeline with `predict` and `predict_proba` over intents."""
    features = FeatureUnion(
        [
            ("words", TfidfVectorizer(lowercase=True, ngram_range=(1, 2), sublinear_tf=True)),
            ("chars", TfidfVectorizer(lowercase=True, analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True)),
        ]
    )
    model = make_pipeline(features, LogisticRegression(C=10.0, max_iter=3000, random_state=seed))
    model.fit(list(texts), list(intents))
    return model


def predict_proba(model: Pipeline, texts: Sequence[str]) -> np.ndarray:
    """`model.predict_proba(texts)`, with the features computed directly: the FeatureUnion's joblib
    dispatch and each vectoriser's input checks cost more than the features on one message."""
    union, classifier = model.steps[0][1], model.steps[-1][1]
    return classifier.predict_proba(tfidf_features([v for _, v in union.transformer_list], texts))


def tfidf_features(vectorisers: Sequence[TfidfVectorizer], texts: Sequence[str]) -> sparse.csr_matrix:
    """The vectorisers' outputs side by side, as `FeatureUnion.transform` gives them."""
    rows = [_TfidfRows.of(vectoriser) for vectoriser in vectorisers]
    if any(row is None for row in rows):
        return sparse.hstack([vectoriser.transform(list(texts)) for vectoriser in vectorisers]).tocsr()
    indptr, columns, values = [0], [], []
    for text in texts:
        offset = 0
        for row in rows:
            found, weights = row.features(text)
            columns.extend(column + offset for column in found)
            values.extend(weights)
            offset += row.width
        indptr.append(len(columns))
    width = sum(row.width for row in rows)
    matrix = sparse.csr_matrix(
        (np.array(values, dtype=np.float64), np.array(columns, dtype=np.int32), np.array(indptr, dtype=np.int32)),
        shape=(len(texts), width),
    )
    return matrix


@dataclass(frozen=True)
class _TfidfRows:
    """One fitted TfidfVectorizer's transform, one text at a time, in plain Python."""

    vectoriser: TfidfVectorizer  # held, so that its id is not reused while this is remembered
    analyse: Callable[[str], list[str]]
    vocabulary: Mapping[str, int]
    idf: np.ndarray
    sublinear: bool
    width: int

    @classmethod
    def of(cls, vectoriser: TfidfVectorizer) -> _TfidfRows | None:
        known = _ROWS.get(id(vectoriser))
        if known is not None and known.vectoriser is vectoriser:
            return known
        if vectoriser.binary or vectoriser.norm != "l2" or not vectoriser.use_idf:
            return None  # not the settings this reproduces
        made = cls(
            vectoriser,
            vectoriser.build_analyzer(),
            vectoriser.vocabulary_,
            np.asarray(vectoriser.idf_, dtype=np.float64),
            bool(vectoriser.sublinear_tf),
            len(vectoriser.vocabulary_),
        )
        _ROWS[id(vectoriser)] = made
        return made

    def features(self, text: str) -> tuple[list[int], list[float]]:
        counts: dict[int, int] = {}
        for feature in self.analyse(text):
            column = self.vocabulary.get(feature)
            if column is not None:
                counts[column] = counts.get(column, 0) + 1
        columns = sorted(counts)
        values = np.array([counts[column] for column in columns], dtype=np.float64)
        if self.sublinear:
            values = np.log(values) + 1
        values = values * self.idf[columns]
        # The l2 norm summed in column order, as scikit-learn's normalize does.
        norm = math.sqrt(sum(value * value for value in values.tolist()))
        return columns, (values / norm).tolist() if norm else values.tolist()


_ROWS: dict[int, _TfidfRows] = {}
