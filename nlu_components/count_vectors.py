"""CountVectorsFeaturizer whose features are counted straight from each vectoriser's vocabulary.

config.yml names it (`nlu_components.count_vectors.QuickCountVectorsFeaturizer`): it trains, saves
and loads as Rasa's CountVectorsFeaturizer; only the counting for a message differs.

For every message Rasa calls scikit-learn's `CountVectorizer.transform` twice per featuriser
(once for the tokens, once for the sentence); each call checks the vocabulary, builds the
analyser anew and goes through scipy's CSR constructor and `tocoo`, which cost more than the
counting itself for one short message. The counts here are the same, in the same order and
with the same dtypes (tests/test_count_vectors.py compares them with Rasa's).
"""

from __future__ import annotations

from typing import Callable, Dict, List, Sequence, Tuple

import numpy as np
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.nlu.constants import DENSE_FEATURIZABLE_ATTRIBUTES
from rasa.nlu.featurizers.sparse_featurizer.count_vectors_featurizer import (
    CountVectorsFeaturizer as RasaCountVectorsFeaturizer,
)
from scipy import sparse
from sklearn.feature_extraction.text import CountVectorizer

# The analyser a fitted vectoriser builds from its parameters, kept with the vectoriser itself
# so that a reloaded model's vectoriser (possibly at the same id) gets its own.
_ANALYSERS: Dict[int, Tuple[CountVectorizer, Callable[[str], List[str]]]] = {}


def _analyser(vectoriser: CountVectorizer) -> Callable[[str], List[str]]:
    known = _ANALYSERS.get(id(vectoriser))
    if known is None or known[0] is not vectoriser:
        known = (vectoriser, vectoriser.build_analyzer())
        _ANALYSERS[id(vectoriser)] = known
    return known[1]


def count_matrix(vectoriser: CountVectorizer, documents: Sequence[str]) -> sparse.coo_matrix:
    """`vectoriser.transform(documents)`, its indices sorted, as COO: what Rasa stores."""
    analyse, vocabulary = _analyser(vectoriser), vectoriser.vocabulary_
    rows: List[int] = []
    columns: List[int] = []
    counts: List[int] = []
    for row, document in enumerate(documents):
        found: Dict[int, int] = {}
        for feature in analyse(document):
            column = vocabulary.get(feature)
            if column is not None:
                found[column] = found.get(column, 0) + 1
        for column in sorted(found):
            rows.append(row)
            columns.append(column)
            counts.append(1 if vectoriser.binary else found[column])
    return sparse.coo_matrix(
        (
            np.array(counts, dtype=vectoriser.dtype),
            (np.array(rows, dtype=np.int32), np.array(columns, dtype=np.int32)),
        ),
        shape=(len(documents), len(vocabulary)),
    )


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER, is_trainable=True)
class QuickCountVectorsFeaturizer(RasaCountVectorsFeaturizer):
    """Rasa's CountVectorsFeaturizer with the counting above."""

    def _create_features(
        self, attribute: str, all_tokens: List[List[str]]
    ) -> Tuple[List[sparse.spmatrix | None], List[sparse.spmatrix | None]]:
        # Rasa 3.6's CountVectorsFeaturizer._create_features with the transforms above.
        vectoriser = self.vectorizers.get(attribute)
        if not vectoriser:
            return [None], [None]
        if not getattr(vectoriser, "vocabulary_", None) or len(vectoriser.vocabulary_) >= np.iinfo(np.int32).max:
            return super()._create_features(attribute, all_tokens)
        sequence_features: List[sparse.spmatrix | None] = []
        sentence_features: List[sparse.spmatrix | None] = []
        for tokens in all_tokens:
            if not tokens:
                sequence_features.append(None)
                sentence_features.append(None)
                continue
            sequence_features.append(count_matrix(vectoriser, tokens))
            if attribute in DENSE_FEATURIZABLE_ATTRIBUTES:
                sentence_features.append(count_matrix(vectoriser, [" ".join(tokens)]))
            else:
                sentence_features.append(None)
        return sequence_features, sentence_features
