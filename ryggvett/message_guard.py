"""Checks on what arrives at the public endpoints, before the dialogue sees it.

Plain Python (no web framework): payload parsing with clear errors, text
cleaning, a size limit, a per-sender rate limit, and the servers' own polite
texts from content/system_messages.yml.
"""

from __future__ import annotations

import json
import os
import re
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


def _limit(name: str, default: str) -> tuple[int, float]:
    count, _, seconds = (os.environ.get(name, "") or default).partition("/")
    return int(count), float(seconds or 60)


def rate_limit() -> tuple[int, float]:
    """Messages per sender (and per web chat connection) per window in seconds (RYGGVETT_RATE_LIMIT, "20/60")."""
    return _limit("RYGGVETT_RATE_LIMIT", "20/60")


def address_rate_limit() -> tuple[int, float]:
    """Web chat messages per client address per window (RYGGVETT_ADDRESS_RATE_LIMIT, "120/60").

    Higher than the per-sender limit: a waiting room or a workplace shares one address.
    """
    return _limit("RYGGVETT_ADDRESS_RATE_LIMIT", "120/60")


def trusted_proxy_hops() -> int:
    """Proxies in front of the servers whose X-Forwarded-For is believed (RYGGVETT_TRUSTED_PROXY_HOPS, 0)."""
    return int(os.environ.get("RYGGVETT_TRUSTED_PROXY_HOPS", "") or 0)


def client_address(peer: str, forwarded_for: str | None, hops: int) -> str:
    """The client's address: the peer itself, or the one `hops` trusted proxies say they were given.

    Each proxy appends the address it received from, so only the last `hops` entries are
    written by proxies we trust; anything left of them the client may have made up.
    """
    if hops <= 0 or not forwarded_for:
        return peer
    chain = [part.strip() for part in forwarded_for.split(",") if part.strip()]
    return chain[-hops] if len(chain) >= hops else (chain[0] if chain else peer)


# The web widget's session ids: 128 random bits as 32 lowercase hex digits (web/widget/ryggvett-chat.js).
WIDGET_SESSION_ID = re.compile(r"[0-9a-f]{32}")


def widget_session_id(value: object) -> str | None:
    """The value if it has the widget's session-id form, else None."""
    return value if isinstance(value, str) and WIDGET_SESSION_ID.fullmatch(value) else None


MAX_METADATA_BYTES = 2048
# The metadata a channel may send with a message: the page's language and the widget's rating.
CHANNEL_METADATA_KEYS = frozenset({"language", "feedback"})
LANGUAGES = frozenset({"nb", "nn", "en"})
RATINGS = frozenset({"up", "down"})


def clean_metadata(metadata: object) -> dict[str, Any]:
    """Only the metadata the widget and channels send, each checked; anything else is dropped.

    Metadata is stored with every message, so an unchecked field is a way to store anything,
    personal data included, in the conversation log.
    """
    if isinstance(metadata, str):
        try:
            metadata = json.loads(metadata)
        except ValueError:
            return {}
    if not isinstance(metadata, dict):
        return {}
    kept: dict[str, Any] = {}
    if metadata.get("language") in LANGUAGES:
        kept["language"] = metadata["language"]
    feedback = metadata.get("feedback")
    if isinstance(feedback, dict) and feedback.get("rating") in RATINGS:
        kept["feedback"] = {"rating": feedback["rating"]}
        if isinstance(feedback.get("rated_text"), str):
            kept["feedback"]["rated_text"] = clean_text(feedback["rated_text"])[:500]
        if isinstance(feedback.get("widget"), str):
            kept["feedback"]["widget"] = clean_text(feedback["widget"])[:40]
    if len(json.dumps(kept, ensure_ascii=False).encode("utf-8")) > MAX_METADATA_BYTES:
        return {"language": kept["language"]} if "language" in kept else {}
    return kept


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
    return IncomingMessage(sender, text, clean_metadata(metadata))


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
