"""Scope guard: a message about something outside low back pain becomes `out_of_scope`.

"Vondt i nakken", a prolapsed uterus, period pain or a dog's back share words with back
pain, and the classifier alone reads them as back questions. The words are content
(content/scope.yml, read by ryggvett.scope). Runs before the safety override, so a red flag
in the same message still gets the urgent reply.
"""

from __future__ import annotations

from typing import Any, Dict, List

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message

from ryggvett.scope import default_scope

OUT_OF_SCOPE = "out_of_scope"


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=False)
class ScopeGuard(GraphComponent):
    @classmethod
    def create(
        cls,
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> ScopeGuard:
        return cls()

    def process(self, messages: List[Message]) -> List[Message]:
        scope = default_scope()
        for message in messages:
            text: str | None = message.get(TEXT)
            if not text or text.startswith("/") or not scope.is_outside(text):
                continue  # button payloads name their intent already
            ranking = [r for r in message.get(INTENT_RANKING_KEY) or [] if r.get("name") != OUT_OF_SCOPE]
            top = {"name": OUT_OF_SCOPE, "confidence": 1.0}
            message.set(INTENT, top, add_to_output=True)
            message.set(INTENT_RANKING_KEY, [top, *ranking], add_to_output=True)
        return messages
