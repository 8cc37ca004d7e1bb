"""«Forget» waits for a turn in progress on the Rasa servers' shared Redis lock, and the next turn waits for it."""

from __future__ import annotations

import asyncio
import threading
import time

from rasa_extensions.conversation_lock import holding_conversation, shared_lock_store


def rasa_turn(conversation: str, seconds: float, log: list[str], started: threading.Event) -> None:
    """A Rasa server handling one message: holds the conversation's lock while it runs."""

    async def turn() -> None:
        store = shared_lock_store()
        assert store is not None
        async with store.lock(conversation, wait_time_in_seconds=0.05):
            log.append("turn starts")
            started.set()
            await asyncio.sleep(seconds)
            log.append("turn ends")

    asyncio.run(turn())


def test_forget_waits_for_the_turn_in_progress_and_the_next_turn_waits_for_forget(shared_lock_store) -> None:
    log: list[str] = []
    started = threading.Event()
    running = threading.Thread(target=rasa_turn, args=("conv-1", 1.0, log, started))
    running.start()
    assert started.wait(10)
    with holding_conversation("conv-1") as held:
        log.append("forget starts")
        following = threading.Thread(target=rasa_turn, args=("conv-1", 0.0, log, threading.Event()))
        following.start()
        time.sleep(0.5)  # the next message arrives while the deletion runs
        log.append("forget ends")
    running.join(10)
    following.join(10)
    assert held
    assert log == ["turn starts", "turn ends", "forget starts", "forget ends", "turn starts", "turn ends"]


def test_another_conversation_is_not_held_up(shared_lock_store) -> None:
    log: list[str] = []
    with holding_conversation("conv-2"):
        other = threading.Thread(target=rasa_turn, args=("conv-3", 0.0, log, threading.Event()))
        other.start()
        other.join(10)
        assert log == ["turn starts", "turn ends"]


def test_without_a_shared_lock_store_forget_says_so(monkeypatch) -> None:
    monkeypatch.delenv("RYGGVETT_REDIS_HOST", raising=False)
    with holding_conversation("conv-4") as held:
        assert held is False
