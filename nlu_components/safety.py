"""Safety override: curated red-flag and crisis patterns beside the intent classifier.

Runs last in the NLU pipeline. When the patterns in `ryggvett.triage` find a
crisis or a red flag, the message's intent becomes `report_crisis` or
`report_red_flag` whatever the classifier thought, so the safety rules answer
it in any dialogue state. What the patterns found is added to the parse data
as `safety`, so the assistant can tell a call-113 sign from a see-your-GP sign.
"""

from __future__ import annotations

from typing import Any, Dict, List

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message

from ryggvett.safety import assess_message

SAFETY_KEY = "safety"


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=False)
class SafetyOverride(GraphComponent):
    @staticmethod
    def get_default_config() -> Dict[str, Any]:
        # Below this, a demoted message is treated as not understood: keep it at FallbackClassifier's threshold.
        return {"threshold": 0.3}

    def __init__(self, config: Dict[str, Any]) -> None:
        self.threshold = float(config.get("threshold", 0.3))

    @classmethod
    def create(
        cls,
        config: Dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> SafetyOverride:
        return cls(config)

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            text: str | None = message.get(TEXT)
            if not text or text.startswith("/"):
                continue  # button payloads name their intent already
            intent = message.get(INTENT) or {}
            classified = intent.get("name")
            assessment = assess_message(text, classified)
            message.set(SAFETY_KEY, {**assessment.as_dict(), "classified": dict(intent)}, add_to_output=True)
            if assessment.intent and assessment.intent != classified:
                self._override(message, assessment.intent)
            elif assessment.overruled:
                self._demote(message, self.threshold)
        return messages

    @staticmethod
    def _override(message: Message, intent: str) -> None:
        ranking = [r for r in message.get(INTENT_RANKING_KEY) or [] if r.get("name") != intent]
        top = {"name": intent, "confidence": 1.0}
        message.set(INTENT, top, add_to_output=True)
        message.set(INTENT_RANKING_KEY, [top, *ranking], add_to_output=True)

    @staticmethod
    def _demote(message: Message, threshold: float) -> None:
        """The next intent that is not an alarm takes over ("ingen feber - hvor lenge varer det?")."""
        ranking = [
            r
            for r in message.get(INTENT_RANKING_KEY) or []
            if r.get("name") not in ("report_red_flag", "report_crisis")
        ]
        top = ranking[0] if ranking else {"name": "nlu_fallback", "confidence": 0.0}
        if top.get("confidence", 0.0) < threshold:
            top = {"name": "nlu_fallback", "confidence": 1.0 - float(top.get("confidence", 0.0))}
        message.set(INTENT, top, add_to_output=True)
        message.set(INTENT_RANKING_KEY, ranking, add_to_output=True)
