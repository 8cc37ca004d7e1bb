"""When the action server fails, the person gets a short, polite apology in their language, not silence.

Rasa 3.6 logs a failed custom action and carries on without its events, so
the person would see nothing (or a rule's next line without its answer).
`install()` wraps `RemoteAction.run`: on a connection error, timeout or 5xx
it returns the apology from content/system_messages.yml and ends the turn;
the next message tries the action server again.

It also validates the action server's answers faster, with the same outcome. Rasa 3.6 calls
`jsonschema.validate`, which checks the schema itself again on every call (40 % of a turn in
make bench), and tries each event against all 23 event schemas of a `oneOf`. Here each event
is checked against the one schema its `event` name selects (the others differ in that name,
so they cannot match); anything unusual goes through the full schema for the exact error.
"""

from __future__ import annotations

import asyncio
import logging
from functools import lru_cache
from typing import Any, List

import aiohttp
from rasa.core.actions.action import ActionExecutionRejection, RemoteAction
from rasa.shared.core.events import BotUttered, Event, FollowupAction
from rasa.shared.exceptions import RasaException
from rasa.utils.endpoints import ClientResponseError

from ryggvett.message_guard import system_message
from ryggvett.settings import default_language

logger = logging.getLogger(__name__)
FAILURES = (RasaException, ClientResponseError, aiohttp.ClientError, asyncio.TimeoutError)


def apology(language: str) -> List[Event]:
    return [
        BotUttered(system_message("technical_problem", language), metadata={"technical_problem": True}),
        FollowupAction("action_listen"),
    ]


def apology_language(tracker: Any) -> str:
    """The conversation's language, which the turn hook has already set for this message."""
    return tracker.get_slot("language") or default_language()


@lru_cache(maxsize=1)
def _response_validator() -> Any:
    from jsonschema.validators import validator_for

    schema = RemoteAction.action_response_format_spec()
    return validator_for(schema)(schema)


@lru_cache(maxsize=1)
def _event_validators() -> dict[str, Any]:
    from jsonschema.validators import validator_for
    from rasa.shared.utils.schemas.events import EVENTS_SCHEMA

    items = EVENTS_SCHEMA["items"]
    common = {key: value for key, value in items.items() if key != "oneOf"}
    validators = {}
    for branch in items["oneOf"]:
        schema = {**common, "allOf": [branch]}
        validators[branch["properties"]["event"]["const"]] = validator_for(schema)(schema)
    return validators


def _plainly_valid(result: Any) -> bool:
    if not isinstance(result, dict):
        return False
    events, responses = result.get("events", []), result.get("responses", [])
    if not isinstance(events, list) or not isinstance(responses, list):
        return False
    if not all(isinstance(response, dict) for response in responses):
        return False
    validators = _event_validators()
    for event in events:
        name = event.get("event") if isinstance(event, dict) else None
        validator = validators.get(name) if isinstance(name, str) else None
        if validator is None or not validator.is_valid(event):
            return False
    return True


def _validate_action_result(self: RemoteAction, result: dict[str, Any]) -> bool:
    from jsonschema import ValidationError

    if _plainly_valid(result):
        return True
    try:
        _response_validator().validate(result)
        return True
    except ValidationError as error:
        error.message += ". Failed to validate Action server response from API."
        raise


def install() -> None:
    RemoteAction._validate_action_result = _validate_action_result  # type: ignore[method-assign]
    if getattr(RemoteAction.run, "apologises", False):
        return
    original = RemoteAction.run

    async def run(self: RemoteAction, output_channel: Any, nlg: Any, tracker: Any, domain: Any) -> List[Event]:
        try:
            return await original(self, output_channel, nlg, tracker, domain)
        except ActionExecutionRejection:
            raise
        except FAILURES as error:
            logger.error(
                "Action server failed running %s for %s (%s): sent the technical-problem apology",
                self.name(),
                tracker.sender_id,
                error,
            )
            return apology(apology_language(tracker))

    run.apologises = True  # type: ignore[attr-defined]
    RemoteAction.run = run  # type: ignore[method-assign]
