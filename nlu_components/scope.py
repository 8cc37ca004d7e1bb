"""Scope guard: a message about something outside low back pain becomes `out_of_scope`.

"Vondt i nakken", a prolapsed uterus, period pain or a dog's back share words with back
pain, and the classifier alone reads them as back questions. The other way round, a message
that names the back and nothing outside it («Hjälper Alvedon mot ont i ryggen?») is never
out of scope: the classifier's next intent takes over, or the fallback when it is unsure.
The words are content (content/scope.yml, read by ryggvett.scope). Runs after the
FallbackClassifier and before the safety override, so a red flag in the same message still
gets the urgent reply.
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
FALLBACK = "nlu_fallback"


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=False)
class ScopeGuard(GraphComponent):
    @staticmethod
    def get_default_config() -> Dict[str, Any]:
        # Below this, the intent taking over from out_of_scope is not trusted: keep it at the
        # FallbackClassifier's threshold.
        return {"threshold": 0.25}

    def __init__(self, config: Dict[str, Any]) -> None:
        self.threshold = float(config.get("threshold", 0.25))

    @classmethod
    def create(
        cls,
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> ScopeGuard:
        return cls(config)

    def process(self, messages: List[Message]) -> List[Message]:
        scope = default_scope()
        for message in messages:
            text: str | None = message.get(TEXT)
            if not text or text.startswith("/"):
                continue  # button payloads name their intent already
            ranking = [r for r in message.get(INTENT_RANKING_KEY) or [] if r.get("name") != OUT_OF_SCOPE]
            if scope.is_outside(text):
                top = {"name": OUT_OF_SCOPE, "confidence": 1.0}
                ranking = [top, *ranking]
            elif (message.get(INTENT) or {}).get("name") == OUT_OF_SCOPE and scope.names_the_back(text):
                top = next((r for r in ranking if r.get("name") != FALLBACK), {"name": FALLBACK, "confidence": 0.0})
                if float(top.get("confidence") or 0.0) < self.threshold:
                    top = {"name": FALLBACK, "confidence": 1.0 - float(top.get("confidence") or 0.0)}
            else:
                continue
            message.set(INTENT, top, add_to_output=True)
            message.set(INTENT_RANKING_KEY, ranking, add_to_output=True)
        return messages
