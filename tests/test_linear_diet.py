"""DIET's intent scores computed in NumPy equal TensorFlow's, and only where DIET is linear."""

from __future__ import annotations

import asyncio
import copy
import dataclasses
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.nlu.classifiers.diet_classifier import DIETClassifier
from rasa.nlu.featurizers.sparse_featurizer.count_vectors_featurizer import CountVectorsFeaturizer
from rasa.nlu.tokenizers.whitespace_tokenizer import WhitespaceTokenizer
from rasa.shared.constants import DIAGNOSTIC_DATA
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from evaluation.data import load_examples
from evaluation.run import HELD_OUT, LONG_MESSAGES
from nlu_components.linear_diet import LinearDIETClassifier, scorer_for

# Float32 sums in another order than TensorFlow's sparse product.
TOLERANCE = 1e-5
ODD_TEXTS = ["", "   ", "😀😀", "<script>alert(1)</script>", "Paracet " * 400, "'; DROP TABLE events; --"]


def _same_scores(classifier: DIETClassifier, messages: list[Message]) -> int:
    """Compares every message's scores with DIET's own; returns how many it scored."""
    scored = 0
    for message in messages:
        ours, theirs = classifier._predict(message), DIETClassifier._predict(classifier, message)
        if theirs is None:
            assert ours is None
            continue
        expected = np.asarray(theirs["i_scores"])
        assert ours["i_scores"].shape == expected.shape and ours["i_scores"].dtype == expected.dtype
        assert np.abs(ours["i_scores"] - expected).max() < TOLERANCE
        assert ours["i_scores"].argmax() == expected.argmax()
        scored += 1
    return scored


def _diet_node(agent: Any) -> Any:
    nodes = agent.processor.graph_runner._instantiated_nodes
    return next(node for node in nodes.values() if isinstance(getattr(node, "_component", None), DIETClassifier))


def _messages_reaching_diet(agent: Any, texts: list[str]) -> list[Message]:
    """The featurised messages DIET receives while the assistant parses these texts."""
    node, seen = _diet_node(agent), []
    run = node._fn

    def recording(component: Any, messages: list[Message]) -> list[Message]:
        seen.extend(copy.deepcopy(messages))
        return run(component, messages)

    node._fn = recording
    try:
        for text in texts:
            asyncio.run(agent.parse_message(text))
    finally:
        node._fn = run
    return seen


@pytest.mark.assistant
def test_the_assistants_diet_scores_as_tensorflow_does(agent):
    classifier = _diet_node(agent)._component
    assert isinstance(classifier, LinearDIETClassifier), "config.yml names the linear DIET"
    assert scorer_for(classifier) is not None, "config.yml's DIET is linear; the NumPy path must serve it"
    texts = [example.text for path in HELD_OUT for example in load_examples(path)][:300]
    texts += [example.text for example in load_examples(LONG_MESSAGES)] + ODD_TEXTS
    messages = _messages_reaching_diet(agent, texts)
    assert _same_scores(classifier, messages) >= len(texts) - 2  # the empty and blank ones get no features


@pytest.mark.assistant
def test_diagnostic_data_still_comes_from_tensorflow(agent):
    classifier = _diet_node(agent)._component
    [message] = _messages_reaching_diet(agent, ["Er det farlig å løfte?"])
    context = classifier._execution_context
    classifier._execution_context = dataclasses.replace(context, should_add_diagnostic_data=True)
    try:
        classifier.process([message])
    finally:
        classifier._execution_context = context
    assert "text_transformed" in message.get(DIAGNOSTIC_DATA)[context.node_name]


TRAINING = {
    "greet": ["hei", "hallo der", "god morgen", "hei hei", "heisann"],
    "ask_medication": ["kan jeg ta paracet", "hjelper ibux", "hvor mye paracet", "er ibux farlig", "paracet og ibux"],
    "ask_exercise": ["hvilke øvelser", "gi meg en øvelse", "trening for ryggen", "øvelser i dag", "kan jeg trene"],
}
PROBES = ["hei", "paracet", "øvelser for ryggen", "ibux i dag hei", "ukjent ord", "trene med paracet"]


def _medications(text: str) -> list[dict[str, Any]]:
    return [
        {"start": text.index(name), "end": text.index(name) + len(name), "value": name, "entity": "medication"}
        for name in ("paracet", "ibux")
        if name in text
    ]


def _train_tiny_diet(tmp_path: Path, **config: Any) -> tuple[LinearDIETClassifier, list[Message]]:
    storage = LocalModelStorage(tmp_path)
    context = ExecutionContext(GraphSchema({}), "tiny")
    tokenizer = WhitespaceTokenizer(WhitespaceTokenizer.get_default_config())
    words = CountVectorsFeaturizer.create(
        CountVectorsFeaturizer.get_default_config(), storage, Resource("words"), context
    )
    chars = CountVectorsFeaturizer.create(
        {**CountVectorsFeaturizer.get_default_config(), "analyzer": "char_wb", "min_ngram": 2, "max_ngram": 4},
        storage,
        Resource("chars"),
        context,
    )
    data = TrainingData(
        [
            Message(data={"text": text, "intent": intent, "entities": _medications(text)})
            for intent, texts in TRAINING.items()
            for text in texts
        ]
    )
    tokenizer.process_training_data(data)
    for featurizer in (words, chars):
        featurizer.train(data)
        featurizer.process_training_data(data)
    diet_config = {**DIETClassifier.get_default_config(), "epochs": 3, "random_seed": 1, **config}
    classifier = LinearDIETClassifier.create(diet_config, storage, Resource("diet"), context)
    classifier.train(data)
    probes = [Message(data={"text": text}) for text in PROBES]
    tokenizer.process(probes)
    for featurizer in (words, chars):
        featurizer.process(probes)
    return classifier, probes


def test_a_linear_diet_scores_as_tensorflow_does(tmp_path):
    classifier, probes = _train_tiny_diet(tmp_path, number_of_transformer_layers=0, entity_recognition=False)
    assert scorer_for(classifier) is None  # until DIET's first prediction embeds the intents
    classifier._predict(probes[0])
    assert scorer_for(classifier) is not None
    assert _same_scores(classifier, probes) == len(PROBES)


@pytest.mark.parametrize(
    "config",
    [
        {
            "number_of_transformer_layers": 0,
            "entity_recognition": False,
            "hidden_layers_sizes": {"text": [8], "label": []},
        },
        {"number_of_transformer_layers": 1, "transformer_size": 8, "entity_recognition": False},
        {"number_of_transformer_layers": 0, "entity_recognition": True},
    ],
    ids=["hidden layer", "transformer", "entities"],
)
def test_any_other_diet_keeps_tensorflow(tmp_path, config):
    classifier, probes = _train_tiny_diet(tmp_path, **config)
    classifier._predict(probes[0])
    assert scorer_for(classifier) is None
    assert DIAGNOSTIC_DATA in classifier._predict(probes[1])  # DIET's own output, not the NumPy one
