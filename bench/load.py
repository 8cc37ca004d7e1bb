"""Simulated patients: concurrent multi-turn conversations over the REST channel, timed message by message."""

from __future__ import annotations

import asyncio
import itertools
import statistics
import time
import uuid
from dataclasses import dataclass, field

import aiohttp

# Realistic conversations for Ryggvett, in both languages.
RYGGVETT_SCRIPTS = [
    ["Hei", "Hjelper Paracet mot vondt i ryggen?", "fortell mer", "Er det farlig å løfte?", "takk"],
    ["Hello", "Is it safe to exercise with back pain?", "yes please", "How long will it last?", "thanks, bye"],
    ["Hvorfor har jeg så vondt i korsryggen?", "Trenger jeg MR?", "kilder?", "Kan jeg jobbe som vanlig?"],
    ["My lower back hurts when I sit, is something damaged?", "tell me more", "Should I get an x-ray?", "bye"],
    ["Jeg er redd for å gjøre det verre", "Hjelper kiropraktor?", "Hva er isjias?", "ha det"],
    ["Can I keep working with back pain?", "Is ibuprofen OK?", "what are the sources?", "thank you"],
]
# Rasa's default assistant (rasa init): the mood bot.
DEFAULT_SCRIPTS = [
    ["hello", "I am sad", "yes", "bye"],
    ["hi", "great", "are you a bot?", "goodbye"],
    ["hey there", "very sad", "no", "bye"],
]


@dataclass
class LevelResult:
    concurrency: int
    messages: int = 0
    errors: int = 0
    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)
    cpu_ms: dict[str, float] = field(default_factory=dict)  # CPU per answered message, by server process

    @property
    def throughput(self) -> float:
        return self.messages / self.seconds if self.seconds else 0.0

    def percentile(self, p: float) -> float:
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]

    @property
    def median(self) -> float:
        return statistics.median(self.latencies) if self.latencies else float("nan")


async def _send(session: aiohttp.ClientSession, url: str, token: str | None, sender: str, text: str) -> bool:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    async with session.post(url, json={"sender": sender, "message": text}, headers=headers) as response:
        body = await response.json(content_type=None) if response.status == 200 else None
        return response.status == 200 and bool(body)


async def run_level(
    url: str, token: str | None, scripts: list[list[str]], concurrency: int, conversations: int
) -> LevelResult:
    """`conversations` conversations, `concurrency` at a time, each one message after the other."""
    result = LevelResult(concurrency)
    queue: asyncio.Queue[list[str]] = asyncio.Queue()
    for script in itertools.islice(itertools.cycle(scripts), conversations):
        queue.put_nowait(script)

    async def patient(session: aiohttp.ClientSession) -> None:
        while not queue.empty():
            script = queue.get_nowait()
            sender = f"bench-{uuid.uuid4().hex[:12]}"
            for text in script:
                started = time.perf_counter()
                try:
                    ok = await _send(session, url, token, sender, text)
                except (aiohttp.ClientError, asyncio.TimeoutError):
                    ok = False
                result.latencies.append(time.perf_counter() - started)
                result.messages += ok
                result.errors += not ok

    connector = aiohttp.TCPConnector(limit=concurrency + 5)
    async with aiohttp.ClientSession(connector=connector, timeout=aiohttp.ClientTimeout(total=120)) as session:
        started = time.perf_counter()
        await asyncio.gather(*(patient(session) for _ in range(concurrency)))
        result.seconds = time.perf_counter() - started
    return result
