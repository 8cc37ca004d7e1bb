"""Rasa adapter for `ryggvett.spelling_repair`: repairs tokens before the featurizers see them.

Place right after the tokenizer. The vocabulary is learned from the training
examples and saved with the model.
"""

from __future__ import annotations

import json
from typing import Any, Dict, List

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.constants import TOKENS_NAMES
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from ryggvett.spelling_repair import Vocabulary

VOCABULARY_FILE = "vocabulary.json"
TOKENS = TOKENS_NAMES[TEXT]


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.MESSAGE_TOKENIZER], is_trainable=True)
class SpellingRepair(GraphComponent):
    def __init__(self, model_storage: ModelStorage, resource: Resource, vocabulary: Vocabulary | None = None):
        self._storage = model_storage
        self._resource = resource
        self.vocabulary = vocabulary or Vocabulary()

    @classmethod
    def create(
        cls,
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> SpellingRepair:
        return cls(model_storage, resource)

    def train(self, training_data: TrainingData) -> Resource:
        words = (token.text for message in training_data.training_examples for token in message.get(TOKENS) or ())
        self.vocabulary = Vocabulary.from_words(words)
        with self._storage.write_to(self._resource) as directory:
            (directory / VOCABULARY_FILE).write_text(json.dumps(self.vocabulary.as_dict()), encoding="utf-8")
        return self._resource

    @classmethod
    def load(
        cls,
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> SpellingRepair:
        try:
            with model_storage.read_from(resource) as directory:
                counts = json.loads((directory / VOCABULARY_FILE).read_text(encoding="utf-8"))
        except ValueError:
            counts = {}
        return cls(model_storage, resource, Vocabulary.from_counts(counts))

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            for token in message.get(TOKENS) or ():
                repaired = self.vocabulary.correct(token.text)
                if repaired != token.text:
                    token.text = token.lemma = repaired
        return messages

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        self.process(training_data.training_examples)
        return training_data
