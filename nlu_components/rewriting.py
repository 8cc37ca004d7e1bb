"""What the NLU components that rewrite the classifier's intent have in common.

ScopeGuard and SafetyOverride run after the classifiers and may put another intent on top
(`out_of_scope`, `report_red_flag`) or take one away; the next intent then takes over, or the
fallback when it is below the FallbackClassifier's threshold.
"""

from __future__ import annotations

from typing import Any, Collection, Dict

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY
from rasa.shared.nlu.training_data.message import Message

FALLBACK = "nlu_fallback"


class IntentRewriter(GraphComponent):
    # Keep it at the FallbackClassifier's threshold (config.yml).
    DEFAULT_THRESHOLD = 0.3

    @classmethod
    def get_default_config(cls) -> Dict[str, Any]:
        return {"threshold": cls.DEFAULT_THRESHOLD}

    def __init__(self, config: Dict[str, Any]) -> None:
        self.threshold = float(config.get("threshold", self.DEFAULT_THRESHOLD))

    @classmethod
    def create(
        cls,
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> IntentRewriter:
        return cls(config)

    @staticmethod
    def put_on_top(message: Message, intent: str) -> None:
        """`intent` becomes the message's intent, with full confidence."""
        ranking = [r for r in message.get(INTENT_RANKING_KEY) or [] if r.get("name") != intent]
        top = {"name": intent, "confidence": 1.0}
        message.set(INTENT, top, add_to_output=True)
        message.set(INTENT_RANKING_KEY, [top, *ranking], add_to_output=True)

    def take_away(self, message: Message, intents: Collection[str]) -> None:
        """The next intent that is not one of `intents` takes over, or the fallback below the threshold."""
        ranking = [r for r in message.get(INTENT_RANKING_KEY) or [] if r.get("name") not in intents]
        top = ranking[0] if ranking else {"name": FALLBACK, "confidence": 0.0}
        confidence = float(top.get("confidence") or 0.0)
        if confidence < self.threshold:
            top = {"name": FALLBACK, "confidence": 1.0 - confidence}
        message.set(INTENT, top, add_to_output=True)
        message.set(INTENT_RANKING_KEY, ranking, add_to_output=True)
