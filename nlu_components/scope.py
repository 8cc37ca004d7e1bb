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

from typing import List

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.shared.nlu.constants import INTENT, TEXT
from rasa.shared.nlu.training_data.message import Message

from nlu_components.rewriting import IntentRewriter
from ryggvett.scope import default_scope

OUT_OF_SCOPE = "out_of_scope"
SCOPE_KEY = "scope"


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=False)
class ScopeGuard(IntentRewriter):
    DEFAULT_THRESHOLD = 0.25

    def process(self, messages: List[Message]) -> List[Message]:
        scope = default_scope()
        for message in messages:
            text: str | None = message.get(TEXT)
            if not text or text.startswith("/"):
                continue  # button payloads name their intent already
            outside = scope.is_outside(text)
            # The assistant answers a strongly fitting card only when no outside word was named.
            message.set(SCOPE_KEY, {"outside": outside}, add_to_output=True)
            if outside:
                self.put_on_top(message, OUT_OF_SCOPE)
            elif (message.get(INTENT) or {}).get("name") == OUT_OF_SCOPE and scope.names_the_back(text):
                self.take_away(message, (OUT_OF_SCOPE,))
        return messages
