"""A conversation as a clinician reads it: turns built from Rasa's stored events, personal data masked."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from ryggvett.contract import TOPIC_INTENTS
from ryggvett.privacy import NAME_MASK, mask_for_review
from ryggvett.review.events import StoredEvent

FALLBACK_ACTIONS = frozenset({"action_clarify_options", "action_default_fallback", "action_two_stage_fallback"})
FALLBACK_INTENTS = frozenset({"nlu_fallback"})
FEEDBACK = {"feedback_positive": "up", "feedback_negative": "down"}
# What someone types while the callback form asks for it is personal data as a whole.
MASKED_ANSWERS = {"callback_name": NAME_MASK, "callback_phone": "[telefon]"}
HIDDEN_ACTIONS = frozenset({"action_listen", "action_session_start"})


def _time(timestamp: float) -> dt.datetime:
    return dt.datetime.fromtimestamp(timestamp, dt.timezone.utc)


@dataclass
class Reply:
    text: str
    buttons: list[str] = field(default_factory=list)
    image: str | None = None
    has_chart: bool = False


@dataclass
class Turn:
    """One message from the person and everything the assistant did in answer."""

    event_id: int  # the user event's id; 0 for what the assistant said before the first message
    at: dt.datetime
    text: str | None = None
    intent: str | None = None
    confidence: float | None = None
    entities: list[tuple[str, str]] = field(default_factory=list)
    channel: str | None = None
    replies: list[Reply] = field(default_factory=list)
    actions: list[str] = field(default_factory=list)
    card: str | None = None
    exercises: list[str] = field(default_factory=list)
    red_flag: bool = False
    crisis: bool = False
    fallback: bool = False
    feedback: str | None = None  # "up" | "down", given on this answer by a later message

    @property
    def is_button(self) -> bool:
        return bool(self.text and self.text.startswith("/"))

    @property
    def is_feedback(self) -> bool:
        return self.intent in FEEDBACK

    def low_confidence(self, threshold: float) -> bool:
        return self.text is not None and not self.is_button and (self.confidence or 0.0) < threshold


@dataclass
class Conversation:
    id: str
    turns: list[Turn]
    language: str
    sessions: int

    @property
    def messages(self) -> list[Turn]:
        return [turn for turn in self.turns if turn.text is not None]

    @property
    def started_at(self) -> dt.datetime | None:
        return self.turns[0].at if self.turns else None

    @property
    def last_at(self) -> dt.datetime | None:
        return self.turns[-1].at if self.turns else None

    @property
    def channels(self) -> list[str]:
        return sorted({turn.channel for turn in self.messages if turn.channel})

    @property
    def red_flag(self) -> bool:
        return any(turn.red_flag for turn in self.turns)

    @property
    def crisis(self) -> bool:
        return any(turn.crisis for turn in self.turns)

    @property
    def fallbacks(self) -> int:
        return sum(turn.fallback for turn in self.turns)

    def feedback_count(self, rating: str) -> int:
        return sum(turn.feedback == rating for turn in self.turns)

    def low_confidence_turns(self, threshold: float) -> int:
        return sum(turn.low_confidence(threshold) for turn in self.turns)

    @property
    def topics(self) -> Counter[str]:
        return Counter(turn.intent for turn in self.messages if turn.intent in TOPIC_INTENTS)


def _reply(data: dict[str, Any]) -> Reply:
    extra = data.get("data") or {}
    buttons = [str(button.get("title", "")) for button in extra.get("buttons") or [] if isinstance(button, dict)]
    custom = extra.get("custom") or {}
    has_chart = isinstance(custom, dict) and "chart" in (custom.get("data") or {})
    return Reply(text=str(data.get("text") or ""), buttons=buttons, image=extra.get("image"), has_chart=has_chart)


def _user_turn(event: StoredEvent, requested_slot: str | None) -> Turn:
    data = event.data
    parse = data.get("parse_data") or {}
    intent = parse.get("intent") or {}
    text = str(data.get("text") or "")
    if requested_slot in MASKED_ANSWERS and not text.startswith("/"):
        text = MASKED_ANSWERS[requested_slot]
    return Turn(
        event_id=event.id,
        at=_time(event.timestamp),
        text=text,
        intent=intent.get("name"),
        confidence=intent.get("confidence"),
        entities=[(str(e.get("entity")), str(e.get("value"))) for e in parse.get("entities") or []],
        channel=data.get("input_channel"),
    )


def build_conversation(conversation_id: str, events: list[StoredEvent]) -> Conversation:
    """Turns from the stored events, with contact details, ID numbers and names masked."""
    turns: list[Turn] = []
    names: set[str] = set()
    requested_slot: str | None = None
    language = "nb"
    sessions = 0

    def current(event: StoredEvent) -> Turn:
        if not turns:
            turns.append(Turn(event_id=0, at=_time(event.timestamp)))
        return turns[-1]

    for event in events:
        data = event.data
        if event.type_name == "user":
            turn = _user_turn(event, requested_slot)
            if turn.intent in FEEDBACK:
                rated = next((t for t in reversed(turns) if t.replies and not t.is_feedback), None)
                if rated is not None:
                    rated.feedback = FEEDBACK[turn.intent]
            turn.fallback = turn.intent in FALLBACK_INTENTS
            turns.append(turn)
        elif event.type_name == "bot":
            current(event).replies.append(_reply(data))
        elif event.type_name == "action":
            name = str(data.get("name") or "")
            if name and name not in HIDDEN_ACTIONS:
                turn = current(event)
                turn.actions.append(name)
                turn.fallback = turn.fallback or name in FALLBACK_ACTIONS
        elif event.type_name == "session_started":
            sessions += 1
        elif event.type_name == "slot":
            name, value = data.get("name"), data.get("value")
            if name == "requested_slot":
                requested_slot = value
            elif name == "callback_name" and isinstance(value, str):
                names.add(value)
            elif name == "language" and value in ("nb", "en"):
                language = value
            elif name == "last_card" and value:
                current(event).card = str(value)
            elif name == "exercise_set" and isinstance(value, list):
                current(event).exercises = [str(key) for key in value]
            elif name == "red_flag_raised" and value is True:
                current(event).red_flag = True
            elif name == "crisis_raised" and value is True:
                current(event).crisis = True
        elif event.type_name == "active_loop" and data.get("name") is None:
            requested_slot = None

    for turn in turns:
        if turn.text is not None:
            turn.text = mask_for_review(turn.text, names)
        for reply in turn.replies:
            reply.text = mask_for_review(reply.text, names)
    return Conversation(id=conversation_id, turns=turns, language=language, sessions=max(sessions, 1))
