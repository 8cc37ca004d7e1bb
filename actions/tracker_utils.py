"""Small readers of Rasa tracker data shared by the actions."""

from __future__ import annotations

from rasa_sdk import Tracker

from ryggvett import settings
from ryggvett.answers import Mention
from ryggvett.privacy import stored_conversation_id


def language_of(tracker: Tracker) -> str:
    return tracker.get_slot("language") or settings.default_language()


def latest_intent(tracker: Tracker) -> str | None:
    return (tracker.latest_message.get("intent") or {}).get("name")


def latest_mentions(tracker: Tracker) -> list[Mention]:
    return [
        Mention(entity=e["entity"], value=str(e.get("value", "")).lower(), start=int(e.get("start") or 0))
        for e in tracker.latest_message.get("entities") or ()
        if e.get("entity")
    ]


def conversation_key(tracker: Tracker) -> str:
    """The id the project's tables keep this conversation under: as the conversation log stores it."""
    return stored_conversation_id(tracker.sender_id)
