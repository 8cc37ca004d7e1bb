"""A base for forms whose answers are read from typed text or a button's text."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any, Callable, Dict

from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import FormValidationAction

from ryggvett.answer_parsing import is_stop_request


class AnswerReadingForm(FormValidationAction, ABC):
    """Each answer goes through a parser; «stopp» / "stop" sets `stopped_slot` and ends the questions."""

    stopped_slot: str

    def _read(
        self, slot: str, value: Any, parse: Callable[[str], Any], invalid: str, dispatcher: CollectingDispatcher
    ) -> Dict[str, Any]:
        text = str(value or "")
        if is_stop_request(text):
            return {slot: None, self.stopped_slot: True}
        parsed = parse(text)
        if parsed is None:
            # The slot stays empty, so the form asks again after this hint.
            dispatcher.utter_message(response=invalid)
        return {slot: parsed}

    @abstractmethod
    def name(self) -> str: ...
