"""Checks on what arrives at the public endpoints, before the dialogue sees it.

Plain Python (no web framework): payload parsing with clear errors, text
cleaning, a size limit, a per-sender rate limit, and the servers' own polite
texts from content/system_messages.yml.
"""

from __future__ import annotations

import json
import os
import threading
import time
import unicodedata
from collections import deque
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Callable

import yaml

from ryggvett.language import detect
from ryggvett.settings import content_dir, default_language

MAX_SENDER_LENGTH = 128
# Control characters except tab and newline; they carry no meaning in a chat message.
_KEEP = {"\t", "\n"}


def max_message_chars() -> int:
    """Longer messages get a polite request for a shorter one (RYGGVETT_MAX_MESSAGE_CHARS)."""
    return int(os.environ.get("RYGGVETT_MAX_MESSAGE_CHARS", "") or 2000)


def rate_limit() -> tuple[int, float]:
    """Messages per sender per window in seconds (RYGGVETT_RATE_LIMIT, "20/60" by default)."""
    count, _, seconds = (os.environ.get("RYGGVETT_RATE_LIMIT", "") or "20/60").partition("/")
    return int(count), float(seconds or 60)


class BadRequest(ValueError):
    """A payload the endpoint refuses with HTTP 400, and the reason it gives."""


@dataclass(frozen=True)
class IncomingMessage:
    sender: str
    text: str
    metadata: dict[str, Any]


def clean_text(text: str) -> str:
    """NFC-normalised, without control characters, surrounding whitespace trimmed."""
    text = unicodedata.normalize("NFC", text)
    text = "".join(c for c in text if c in _KEEP or unicodedata.category(c) not in ("Cc", "Cf", "Cs", "Co"))
    return text.strip()


def parse_payload(body: bytes) -> IncomingMessage:
    """`{"sender": "...", "message": "...", "metadata": {...}}`, checked field by field."""
    try:
        decoded = body.decode("utf-8")
    except UnicodeDecodeError:
        raise BadRequest("the body is not valid UTF-8") from None
    try:
        payload = json.loads(decoded)
    except ValueError:
        raise BadRequest("the body is not valid JSON") from None
    if not isinstance(payload, dict):
        raise BadRequest('the body must be a JSON object: {"sender": "...", "message": "..."}')
    sender, message, metadata = payload.get("sender"), payload.get("message"), payload.get("metadata")
    if isinstance(sender, int) and not isinstance(sender, bool):
        sender = str(sender)
    if not isinstance(sender, str) or not clean_text(sender):
        raise BadRequest('"sender" must be a non-empty string')
    if len(sender) > MAX_SENDER_LENGTH or clean_text(sender) != sender:
        raise BadRequest(f'"sender" must be at most {MAX_SENDER_LENGTH} printable characters')
    if not isinstance(message, str):
        raise BadRequest('"message" must be a string')
    if metadata is not None and not isinstance(metadata, dict):
        raise BadRequest('"metadata" must be a JSON object')
    text = clean_text(message)
    if not text:
        raise BadRequest('"message" is empty')
    return IncomingMessage(sender, text, metadata or {})


def too_long(text: str) -> bool:
    return len(text) > max_message_chars()


@lru_cache(maxsize=1)
def _system_messages() -> dict[str, dict[str, str]]:
    return yaml.safe_load((content_dir() / "system_messages.yml").read_text(encoding="utf-8"))


def system_message(name: str, language: str) -> str:
    texts = _system_messages()[name]
    return texts.get(language) or texts["nb"]


def language_of(text: str) -> str:
    """The language to answer a message in when the dialogue never saw it."""
    return detect(text[:500]).language or default_language()


class RateLimiter:
    """At most `limit` events per key in any `window` seconds (a sliding window, per process)."""

    def __init__(self, limit: int, window: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.limit, self.window, self.clock = limit, window, clock
        self._seen: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def retry_after(self, key: str) -> float:
        """0 if the event is allowed (and counted); otherwise seconds until it would be."""
        now = self.clock()
        with self._lock:
            seen = self._seen.setdefault(key, deque())
            while seen and now - seen[0] >= self.window:
                seen.popleft()
            if len(seen) >= self.limit:
                return self.window - (now - seen[0])
            seen.append(now)
            if len(self._seen) > 100_000:  # forget idle senders so memory stays bounded
                for idle in [k for k, times in self._seen.items() if not times or now - times[-1] >= self.window]:
                    del self._seen[idle]
            return 0.0
