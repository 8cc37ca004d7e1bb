"""DIET whose intent scores for one message need no TensorFlow call where DIET is linear.

config.yml names it (`nlu_components.linear_diet.LinearDIETClassifier`): it trains, saves and
loads as Rasa's DIETClassifier, and only its prediction of a message's intents differs.

With no transformer layers and no hidden layers (config.yml), DIET scores a message's intents
from its sentence-level sparse features alone: one dense layer for sparse input, the text
embedding layer, the inner product with each intent's embedding, and softmax.
TensorFlow spends about a millisecond of dispatch on this per message, and its thread pool
wakes for it; the same arithmetic in NumPy float32 takes some tens of microseconds. Any model
or message outside that shape (hidden layers, a transformer, entity recognition, dense
features, diagnostic data for `rasa test`) goes through DIET's own code.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Dict

import numpy as np
import tensorflow as tf
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.nlu.classifiers.diet_classifier import DIET, DIETClassifier
from rasa.nlu.constants import TOKENS_NAMES
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.utils.tensorflow.constants import (
    ENTITY_RECOGNITION,
    FEATURIZERS,
    INNER,
    INTENT_CLASSIFICATION,
    SOFTMAX,
)
from rasa.utils.tensorflow.layers import DenseForSparse
from scipy import sparse

_SCORER = "_ryggvett_linear_intents"


@dataclass(frozen=True)
class LinearIntentScorer:
    """The weights DIET uses to score intents from a message's sentence features."""

    sentence_kernel: np.ndarray  # features x units
    sentence_bias: np.ndarray
    embed_kernel: np.ndarray  # units x embedding
    embed_bias: np.ndarray
    labels_embed: np.ndarray  # intents x embedding

    @classmethod
    def of(cls, model: Any) -> LinearIntentScorer | None:
        """The scorer for a trained DIET model, or None where its intents are not linear."""
        if not isinstance(model, DIET) or model.all_labels_embed is None:
            return None
        config = model.config
        if not config[INTENT_CLASSIFICATION] or config[ENTITY_RECOGNITION]:
            return None
        layers = model._tf_layers
        sequence_layer = layers.get(f"sequence_layer.{TEXT}")
        if sequence_layer is None or sequence_layer._has_transformer:
            return None
        if sequence_layer._tf_layers["ffnn"]._ffn_layers:
            return None
        combining = sequence_layer._tf_layers["feature_combining"]
        sentence = combining._tf_layers.get("sparse_dense.sentence")
        if sentence is None or any(name.startswith("unify_dims") for name in combining._tf_layers):
            return None
        dense_for_sparse = sentence._tf_layers.get(sentence.SPARSE_TO_DENSE)
        if not isinstance(dense_for_sparse, DenseForSparse) or not _is_linear(dense_for_sparse.activation):
            return None
        embed = layers[f"embed.{TEXT}"]._dense
        loss = layers["loss.label"]
        if not _is_linear(embed.activation) or loss.model_confidence != SOFTMAX:
            return None
        if loss.similarity_type != INNER or not (dense_for_sparse.use_bias and embed.use_bias):
            return None
        return cls(
            sentence_kernel=dense_for_sparse.kernel.numpy(),
            sentence_bias=dense_for_sparse.bias.numpy(),
            embed_kernel=embed.kernel.numpy(),
            embed_bias=embed.bias.numpy(),
            labels_embed=model.all_labels_embed.numpy(),
        )

    def scores(self, features: SentenceFeatures) -> np.ndarray:
        """Softmax confidences over the intents, shaped (1, intents) as DIET's `i_scores`."""
        # Products summed element-wise rather than with `@`: OpenBLAS splits even these small
        # products over both cores and then spin-waits, which raised the server's CPU per message
        # by half under load (measured with make bench).
        units = (self.sentence_kernel[features.columns] * features.values[:, np.newaxis]).sum(axis=0)
        units += self.sentence_bias
        embedded = (units[:, np.newaxis] * self.embed_kernel).sum(axis=0) + self.embed_bias
        similarities = (self.labels_embed * embedded).sum(axis=1)
        shifted = np.exp(similarities - similarities.max())
        return (shifted / shifted.sum())[np.newaxis, :]

    def accepts(self, features: SentenceFeatures) -> bool:
        """Whether the features have the width this model was trained on."""
        return features.width == self.sentence_kernel.shape[0]


@dataclass(frozen=True)
class SentenceFeatures:
    """One message's sentence-level sparse features, side by side as DIET combines them."""

    columns: np.ndarray
    values: np.ndarray  # float32, as DIET's model data
    width: int

    @classmethod
    def of(cls, message: Message, featurizers: list[str]) -> SentenceFeatures | None:
        """None where DIET would see something else: dense features, no tokens, no sentence."""
        sequence_dense, sentence_dense = message._filter_dense_features(TEXT, featurizers)
        if sequence_dense or sentence_dense or not message.get(TOKENS_NAMES[TEXT]):
            return None
        _, blocks = message._filter_sparse_features(TEXT, featurizers)
        matrices = [block.features for block in blocks]
        if not matrices or any(not isinstance(m, sparse.coo_matrix) or m.shape[0] != 1 for m in matrices):
            return None
        offsets = np.cumsum([0, *(m.shape[1] for m in matrices)])
        columns = np.concatenate([m.col + offset for m, offset in zip(matrices, offsets[:-1], strict=True)])
        values = np.concatenate([m.data for m in matrices]).astype(np.float32)
        return cls(columns=columns, values=values, width=int(offsets[-1]))


def _is_linear(activation: Any) -> bool:
    return activation is None or activation is tf.keras.activations.linear


def scorer_for(classifier: DIETClassifier) -> LinearIntentScorer | None:
    """The scorer for this classifier's current model, built once per model."""
    model = classifier.model
    cached = classifier.__dict__.get(_SCORER)
    if cached is not None and cached[0] is model:
        return cached[1]
    if model is None or getattr(model, "all_labels_embed", None) is None:
        return None  # DIET prepares the intents' embeddings at its first prediction
    scorer = LinearIntentScorer.of(model)
    classifier.__dict__[_SCORER] = (model, scorer)
    return scorer


@DefaultV1Recipe.register(
    [DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR],
    is_trainable=True,
)
class LinearDIETClassifier(DIETClassifier):
    """Rasa's DIETClassifier; a linear model's intents are scored in NumPy, everything else by DIET."""

    def _predict(self, message: Message) -> Dict[str, Any] | None:
        scorer = scorer_for(self)
        if scorer is None or self._execution_context.should_add_diagnostic_data:
            return super()._predict(message)
        features = SentenceFeatures.of(message, self.component_config[FEATURIZERS])
        if features is None or not scorer.accepts(features):
            return super()._predict(message)
        return {"i_scores": scorer.scores(features)}
