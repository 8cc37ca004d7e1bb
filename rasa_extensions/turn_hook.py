"""Runs ryggvett/turn.py inside Rasa's slot extraction after every user message.

This used to be the action server's `action_validate_slot_mappings`: a second HTTP call per
message, with the whole conversation replayed and serialised for it (about 6 % of the Rasa
server's time, reports/profile.md). In-process the answer language and the safety slots are
also set when the action server is down, so its apology comes in the person's language.
"""

from __future__ import annotations

import logging
from typing import Any, List

from rasa.core.actions.action import ActionExtractSlots, create_bot_utterance
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import Event, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from ryggvett import settings
from ryggvett.responses import render
from ryggvett.turn import Turn, mentions_of_language, turn_slots, urgency_of

logger = logging.getLogger(__name__)


def turn_of(tracker: DialogueStateTracker) -> Turn | None:
    message = tracker.latest_message
    if not isinstance(message, UserUttered):
        return None
    return Turn(
        text=message.text or "",
        intent=(message.intent or {}).get("name"),
        language_mentions=mentions_of_language(message.entities),
        page_language=(message.metadata or {}).get("language"),
        urgency=urgency_of(message.parse_data or {}),
        language=tracker.get_slot("language"),
        language_pinned=bool(tracker.get_slot("language_pinned")),
        disclaimer_shown=bool(tracker.get_slot("disclaimer_shown")),
    )


def turn_events(tracker: DialogueStateTracker, domain: Domain) -> List[Event]:
    turn = turn_of(tracker)
    if turn is None:
        return []
    outcome = turn_slots(turn, settings.default_language())
    events: List[Event] = []
    if outcome.disclaimer_language:
        # The language slot is not applied yet when Rasa would pick a variation,
        # so the disclaimer is rendered here for the language just chosen.
        events.append(create_bot_utterance(render(domain.responses, "utter_disclaimer", outcome.disclaimer_language)))
    return events + [SlotSet(name, value) for name, value in outcome.slots.items()]


def install() -> None:
    if getattr(ActionExtractSlots.run, "runs_turn_hook", False):
        return
    original = ActionExtractSlots.run

    async def run(self: ActionExtractSlots, output_channel: Any, nlg: Any, tracker: Any, domain: Domain) -> List[Event]:
        events = await original(self, output_channel, nlg, tracker, domain)
        try:
            return events + turn_events(tracker, domain)
        except Exception:  # noqa: BLE001 - the message must still be answered, as before in the action server
            logger.exception("Turn hook failed for %s; the turn keeps the conversation's slots", tracker.sender_id)
            return events

    run.runs_turn_hook = True  # type: ignore[attr-defined]
    ActionExtractSlots.run = run  # type: ignore[method-assign]
