"""TF-IDF word and character n-grams with logistic regression: the baseline, and DIET's partner."""

from __future__ import annotations

from typing import Sequence

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
    """`model.predict_proba(texts)` without the FeatureUnion's joblib dispatch, which cost more than
    the two vectorisers together on one message (make bench); same features, same order."""
    union, classifier = model.steps[0][1], model.steps[-1][1]
    features = sparse.hstack([vectoriser.transform(list(texts)) for _, vectoriser in union.transformer_list]).tocsr()
    return classifier.predict_proba(features)
