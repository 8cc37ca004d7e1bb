"""A plain TF-IDF + logistic-regression intent classifier, to measure the pipeline against."""

from __future__ import annotations

from typing import Sequence

from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import FeatureUnion, make_pipeline


def train_tfidf_baseline(texts: Sequence[str], intents: Sequence[str]):
    features = FeatureUnion(
        [
            ("words", TfidfVectorizer(lowercase=True, ngram_range=(1, 2), sublinear_tf=True)),
            ("chars", TfidfVectorizer(lowercase=True, analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True)),
        ]
    )
    model = make_pipeline(features, LogisticRegression(C=10.0, max_iter=3000))
    model.fit(list(texts), list(intents))
    return model
