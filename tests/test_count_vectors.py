"""Count-vector features counted directly are the ones Rasa's featuriser makes with scikit-learn."""

from __future__ import annotations

from typing import Any

import pytest
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.nlu.featurizers.sparse_featurizer.count_vectors_featurizer import CountVectorsFeaturizer
from rasa.nlu.tokenizers.whitespace_tokenizer import WhitespaceTokenizer
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from sklearn.feature_extraction.text import CountVectorizer

from evaluation.data import load_examples
from evaluation.run import HELD_OUT
from nlu_components.count_vectors import QuickCountVectorsFeaturizer, count_matrix

ODD = [
    ["😀", "😀"],
    ["<script>", "alert(1)", "</script>"],
    ["'", ";", "drop", "table"],
    ["ÆØÅ", "blåbær"],
    [""],
    ["x" * 500],
]


def _same_features(featurizer: QuickCountVectorsFeaturizer, attribute: str, all_tokens: list[list[str]]) -> None:
    ours = featurizer._create_features(attribute, all_tokens)
    theirs = CountVectorsFeaturizer._create_features(featurizer, attribute, all_tokens)
    for our_list, their_list in zip(ours, theirs, strict=True):
        assert len(our_list) == len(their_list)
        for mine, expected in zip(our_list, their_list, strict=True):
            if expected is None:
                assert mine is None
                continue
            assert mine.format == expected.format == "coo" and mine.shape == expected.shape
            for name in ("row", "col", "data"):
                assert getattr(mine, name).dtype == getattr(expected, name).dtype
                assert getattr(mine, name).tolist() == getattr(expected, name).tolist()


@pytest.mark.assistant
def test_the_assistants_featurisers_count_as_scikit_learn_does(agent):
    nodes = agent.processor.graph_runner._instantiated_nodes
    featurizers = [
        node._component
        for node in nodes.values()
        if isinstance(getattr(node, "_component", None), QuickCountVectorsFeaturizer)
    ]
    assert len(featurizers) == 2  # words, and character n-grams (config.yml)
    texts = [example.text for path in HELD_OUT for example in load_examples(path)][:200]
    all_tokens = [text.lower().split() for text in texts] + ODD
    for featurizer in featurizers:
        for tokens in all_tokens:
            _same_features(featurizer, TEXT, [tokens])
        _same_features(featurizer, TEXT, [all_tokens[0], [], all_tokens[1]])


@pytest.mark.parametrize(
    "config",
    [
        {},
        {"analyzer": "char_wb", "min_ngram": 2, "max_ngram": 5},
        {"analyzer": "char", "min_ngram": 1, "max_ngram": 3, "use_shared_vocab": True},
        {"max_ngram": 2, "lowercase": False, "strip_accents": "unicode", "stop_words": ["og", "i"]},
    ],
    ids=["words", "char_wb", "char", "word bigrams, case and stop words"],
)
def test_a_fresh_featuriser_counts_as_scikit_learn_does(tmp_path, config: dict[str, Any]):
    featurizer = QuickCountVectorsFeaturizer.create(
        {**CountVectorsFeaturizer.get_default_config(), **config},
        LocalModelStorage(tmp_path),
        Resource("counts"),
        ExecutionContext(GraphSchema({}), "counts"),
    )
    texts = ["Vondt i ryggen", "kan jeg ta Paracet", "Paracet og Ibux, paracet igjen", "øvelser i dag"]
    data = TrainingData([Message(data={TEXT: text, "intent": "x"}) for text in texts])
    WhitespaceTokenizer(WhitespaceTokenizer.get_default_config()).process_training_data(data)
    featurizer.train(data)
    for text in [*texts, "helt ukjent", "PARACET paracet Paracet"]:
        _same_features(featurizer, TEXT, [text.split()])


def test_binary_counts_as_scikit_learn_gives_them():
    vectoriser = CountVectorizer(binary=True, ngram_range=(1, 2)).fit(["vondt vondt i ryggen", "ta paracet"])
    documents = ["vondt vondt vondt", "ryggen ta paracet paracet", "ukjent", ""]
    expected = vectoriser.transform(documents)
    expected.sort_indices()
    expected = expected.tocoo()
    mine = count_matrix(vectoriser, documents)
    for name in ("row", "col", "data"):
        assert getattr(mine, name).tolist() == getattr(expected, name).tolist()
        assert getattr(mine, name).dtype == getattr(expected, name).dtype
    assert set(mine.data.tolist()) == {1}
