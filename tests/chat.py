"""A conversation with the trained assistant through Rasa's Agent."""

from __future__ import annotations

import uuid
from typing import Any

# Figures tests measure (safety recall, false alarms...), printed at the end of the run.
REPORT_LINES: list[str] = []


class Chat:
    def __init__(self, agent: Any, sender: str | None = None):
        self.agent = agent
        self.sender = sender or f"test-{uuid.uuid4().hex[:10]}"

    async def say(self, text: str) -> list[dict]:
        return await self.agent.handle_text(text, sender_id=self.sender)

    async def slot(self, name: str) -> Any:
        tracker = await self.agent.tracker_store.get_or_create_tracker(self.sender)
        return tracker.get_slot(name)


def texts(replies: list[dict]) -> list[str]:
    return [r.get("text") for r in replies if r.get("text")]
