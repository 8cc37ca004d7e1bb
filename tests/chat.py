"""A conversation with the trained assistant through Rasa's Agent."""

from __future__ import annotations

import os
import tempfile
import uuid
from pathlib import Path
from typing import Any

# Figures tests measure (safety recall, false alarms...), printed at the end of the run.
REPORT_LINES: list[str] = []
# Where the tests put their reports and screenshots: never the working tree (make test sets
# build/test-reports; otherwise a folder in the system's temporary directory).
REPORTS = Path(os.environ.get("RYGGVETT_TEST_REPORTS") or Path(tempfile.gettempdir()) / "ryggvett-test-reports")


def report_path(name: str) -> Path:
    """`name` (may contain folders) under REPORTS, its folder created."""
    path = REPORTS / name
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


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
