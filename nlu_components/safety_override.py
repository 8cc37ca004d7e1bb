"""Safety override: curated red-flag and crisis patterns beside the intent classifier.

Runs last in the NLU pipeline. When the patterns in `ryggvett.triage` find a
crisis or a red flag, the message's intent becomes `report_crisis` or
`report_red_flag` whatever the classifier thought, so the safety rules answer
it in any dialogue state. An unsure alarm of the classifier alone on a topic question
is taken away (`unconfirmed`): the topic is answered after the red-flag checklist.
What the patterns found is added to the parse data as `safety`, so the assistant can
tell a call-113 sign from a see-your-GP sign.
"""

from __future__ import annotations

from typing import List

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message

from nlu_components.rewriting import IntentRewriter
from ryggvett.safety_verdict import assess_message

SAFETY_KEY = "safety"
ALARMS = ("report_red_flag", "report_crisis")


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=False)
class SafetyOverride(IntentRewriter):
    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            text: str | None = message.get(TEXT)
            if not text or text.startswith("/"):
                continue  # button payloads name their intent already
            intent = message.get(INTENT) or {}
            classified = intent.get("name")
            others = [r.get("name") for r in message.get(INTENT_RANKING_KEY) or [] if r.get("name") not in ALARMS]
            assessment = assess_message(
                text, classified, float(intent.get("confidence") or 0.0), others[0] if others else None
            )
            message.set(SAFETY_KEY, {**assessment.as_dict(), "classified": dict(intent)}, add_to_output=True)
            if assessment.intent and assessment.intent != classified:
                self.put_on_top(message, assessment.intent)
            elif assessment.overruled or assessment.unconfirmed:
                # The next intent that is not an alarm takes over ("ingen feber - hvor lenge varer det?").
                self.take_away(message, ALARMS)
        return messages
