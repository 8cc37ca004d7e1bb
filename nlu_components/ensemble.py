"""DIET and a TF-IDF logistic regression, averaged.

The two make different mistakes: DIET generalises over word pieces, the
linear model holds on to exact wording and copes better with misspellings.
Averaging their intent probabilities scored higher on the held-out set than
either alone (reports/experiments.md). Place it right after DIETClassifier.
"""

from __future__ import annotations

import logging
from typing import Any, Dict, List

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.constants import TOKENS_NAMES
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from ryggvett.text_classifier import predict_proba, train_tfidf_classifier

logger = logging.getLogger(__name__)
MODEL_FILE = "tfidf.skops"


def _generated(message: Message) -> bool:
    return bool(((message.get("metadata") or {}).get("intent") or {}).get("generated"))


def _words(message: Message) -> str:
    """The message as the tokenizer (and spelling repair) left it."""
    tokens = message.get(TOKENS_NAMES[TEXT])
    return " ".join(t.text for t in tokens) if tokens else message.get(TEXT) or ""


def _contiguous_weights(model: Any) -> Any:
    """Store the weights column-major: scikit-learn multiplies by `coef_.T`, and scipy
    copies a transposed row-major matrix (all n-gram weights) on every message."""
    import numpy as np

    classifier = model.steps[-1][1] if model is not None else None
    if classifier is not None and hasattr(classifier, "coef_"):
        classifier.coef_ = np.asfortranarray(classifier.coef_)
    return model


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=True)
class TfidfEnsemble(GraphComponent):
    @staticmethod
    def get_default_config() -> Dict[str, Any]:
        # weight: the linear model's share; DIET keeps the rest.
        # hand_written_only: leave out the generated copies (ryggvett/augment.py) when training.
        return {"weight": 0.5, "ranking_length": 10, "random_seed": 2016, "hand_written_only": False}

    def __init__(self, config: Dict[str, Any], model_storage: ModelStorage, resource: Resource, model: Any = None):
        self.config = {**self.get_default_config(), **config}
        self._storage = model_storage
        self._resource = resource
        self.model = model

    @classmethod
    def create(
        cls,
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> TfidfEnsemble:
        return cls(config, model_storage, resource)

    def train(self, training_data: TrainingData) -> Resource:
        examples = [
            e
            for e in training_data.intent_examples
            if e.get(TEXT) and e.get(INTENT) and not (self.config["hand_written_only"] and _generated(e))
        ]
        self.model = train_tfidf_classifier(
            [_words(e) for e in examples], [e.get(INTENT) for e in examples], seed=int(self.config["random_seed"])
        )
        import skops.io as sio

        with self._storage.write_to(self._resource) as directory:
            sio.dump(self.model, directory / MODEL_FILE)
        return self._resource

    @classmethod
    def load(
        cls,
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> TfidfEnsemble:
        import skops.io as sio

        try:
            with model_storage.read_from(resource) as directory:
                path = directory / MODEL_FILE
                # Our own file inside our own model archive, so its types are trusted.
                model = sio.load(path, trusted=sio.get_untrusted_types(file=path))
        except ValueError:
            logger.warning("TfidfEnsemble: no trained model in %s; DIET alone decides", resource.name)
            model = None
        return cls(config, model_storage, resource, _contiguous_weights(model))

    def process(self, messages: List[Message]) -> List[Message]:
        if self.model is None:
            return messages
        weight = float(self.config["weight"])
        texts = [_words(m) for m in messages]
        for message, probabilities in zip(messages, predict_proba(self.model, texts), strict=True):
            if not message.get(TEXT) or message.get(TEXT).startswith("/"):
                continue
            diet = {r["name"]: float(r["confidence"]) for r in message.get(INTENT_RANKING_KEY) or ()}
            combined = {
                name: (1 - weight) * diet.get(name, 0.0) + weight * float(p)
                for name, p in zip(self.model.classes_, probabilities, strict=True)
            }
            ranking = sorted(
                ({"name": name, "confidence": confidence} for name, confidence in combined.items()),
                key=lambda r: -r["confidence"],
            )[: int(self.config["ranking_length"]) or None]
            message.set(INTENT, ranking[0], add_to_output=True)
            message.set(INTENT_RANKING_KEY, ranking, add_to_output=True)
        return messages

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data
