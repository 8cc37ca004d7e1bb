"""The web chat against a real `rasa run`: floods counted per session, connection and address; sessions and
metadata checked before anything is stored."""

from __future__ import annotations

import asyncio
import json
import sqlite3
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import socketio

from ryggvett.message_guard import clean_metadata, client_address, system_message, widget_session_id
from tests.conftest import MODEL
from tests.servers import RasaServer, start_rasa

pytestmark = pytest.mark.assistant

TOO_MANY = system_message("too_many_messages", "nb")
ORIGIN = "http://127.0.0.1:8000"


@pytest.fixture(scope="module")
def strict_server(action_server, callback_receiver, tmp_path_factory) -> Iterator[RasaServer]:
    """The assistant with low limits: 3 messages per session or connection, 6 per address, per minute."""
    server = start_rasa(
        MODEL, action_server, callback_receiver.url,
        tmp_path_factory.mktemp("strict"), allowed_origins=ORIGIN,
        extra_env={"RYGGVETT_RATE_LIMIT": "3/60", "RYGGVETT_ADDRESS_RATE_LIMIT": "6/60"},
    )  # fmt: skip
    yield server
    server.stop()


class Chat:
    """One browser tab: a socket.io connection, its confirmed session, the bot's texts."""

    def __init__(self, url: str, headers: dict[str, str] | None = None) -> None:
        self.url, self.headers = url, {"Origin": ORIGIN, **(headers or {})}
        self.client = socketio.AsyncClient(reconnection=False)
        self.texts: asyncio.Queue[str] = asyncio.Queue()
        self.session = ""
        self.client.on("bot_uttered", self._bot)

    async def _bot(self, data: dict[str, Any]) -> None:
        await self.texts.put(data.get("text", ""))

    async def open(self, asked: str | None) -> str:
        confirmed: asyncio.Future[str] = asyncio.get_running_loop().create_future()
        self.client.on("session_confirm", lambda session: confirmed.set_result(session))
        await self.client.connect(self.url, headers=self.headers, transports=["polling"], socketio_path="socket.io")
        await self.client.emit("session_request", {"session_id": asked})
        self.session = await asyncio.wait_for(confirmed, 30)
        return self.session

    async def say(self, text: str, session: str | None = None, metadata: Any = None) -> None:
        payload = {"message": text, "session_id": session or self.session, "metadata": metadata or {}}
        await self.client.emit("user_uttered", payload)

    async def next_text(self, seconds: float = 30) -> str:
        return await asyncio.wait_for(self.texts.get(), seconds)

    async def quiet(self, seconds: float = 3) -> bool:
        try:
            await asyncio.wait_for(self.texts.get(), seconds)
        except asyncio.TimeoutError:
            return True
        return False

    async def close(self) -> None:
        await self.client.disconnect()


def stored(server: RasaServer, session: str, wait: float = 0) -> list[dict[str, Any]]:
    """The user events stored for `session`, waiting up to `wait` seconds for the first (saved after the reply)."""
    deadline = time.monotonic() + wait
    while True:
        with sqlite3.connect(server.tracker_db) as connection:
            rows = connection.execute(
                "select data from events where sender_id = ? and type_name = 'user' order by id", (session,)
            ).fetchall()
        if rows or time.monotonic() >= deadline:
            return [json.loads(data) for (data,) in rows]
        time.sleep(0.2)


def run(coroutine: Any) -> Any:
    return asyncio.run(coroutine)


def confirmed_session(url: str, asked: Any) -> str:
    """The session id the server confirms to a connection that asked for `asked`."""

    async def scenario() -> str:
        chat = Chat(url)
        try:
            return await chat.open(asked)
        finally:
            await chat.close()

    return run(scenario())


@pytest.mark.parametrize("asked", ["../../etc", "x" * 32, "0" * 31, "A" * 32, "0" * 33, None, 42])
def test_only_the_widgets_session_format_is_kept(strict_server, asked) -> None:
    confirmed = confirmed_session(strict_server.url, asked)
    assert widget_session_id(confirmed) and confirmed != asked


def test_a_widget_session_id_is_confirmed_as_asked(strict_server) -> None:
    asked = uuid.uuid4().hex
    assert confirmed_session(strict_server.url, asked) == asked


def test_messages_for_another_session_are_dropped(strict_server) -> None:
    victim = uuid.uuid4().hex

    async def scenario() -> bool:
        chat = Chat(strict_server.url)
        try:
            await chat.open(uuid.uuid4().hex)
            await chat.say("jeg vil bli ringt opp", session=victim)
            return await chat.quiet()
        finally:
            await chat.close()

    assert run(scenario())
    assert stored(strict_server, victim) == []


def test_a_new_session_id_per_message_does_not_escape_the_limit(strict_server) -> None:
    """A script opening a fresh session (and connection) for each message is stopped per address, and a
    made-up X-Forwarded-For does not help: no proxy is trusted by default."""

    async def scenario() -> list[str]:
        replies = []
        for n in range(8):
            chat = Chat(strict_server.url, headers={"X-Forwarded-For": f"203.0.113.{n}"})
            try:
                await chat.open(uuid.uuid4().hex)
                await chat.say("hei")
                replies.append(await chat.next_text())
            finally:
                await chat.close()
        return replies

    replies = run(scenario())
    assert TOO_MANY not in replies[:6]
    assert replies[6:] == [TOO_MANY, TOO_MANY]


def test_metadata_is_checked_before_it_is_stored(rasa_server, web_port) -> None:
    secret = "Kari Nordmann 912 34 567"
    sent = {"language": "en", "note": secret, "feedback": {"rating": "up", "extra": secret}, "blob": "x" * 20_000}

    async def scenario() -> str:
        chat = Chat(rasa_server.url, headers={"Origin": f"http://127.0.0.1:{web_port}"})
        try:
            await chat.open(uuid.uuid4().hex)
            await chat.say("Is it safe to walk with back pain?", metadata=sent)
            await chat.next_text()
            return chat.session
        finally:
            await chat.close()

    session = run(scenario())
    [event] = stored(rasa_server, session, wait=20)
    added_by_rasa = {"assistant_id", "model_id"}
    kept = {key: value for key, value in event["metadata"].items() if key not in added_by_rasa}
    assert kept == {"language": "en", "feedback": {"rating": "up"}}
    assert secret not in json.dumps(event)


@pytest.mark.parametrize(
    ("peer", "forwarded", "hops", "expected"),
    [("10.0.0.5", "203.0.113.9", 0, "10.0.0.5"), ("10.0.0.5", "203.0.113.9", 1, "203.0.113.9"),
     ("10.0.0.5", "6.6.6.6, 203.0.113.9", 1, "203.0.113.9"), ("10.0.0.5", "6.6.6.6, 203.0.113.9, 10.0.0.4", 2,
     "203.0.113.9"), ("10.0.0.5", None, 1, "10.0.0.5")],
)  # fmt: skip
def test_the_client_address_comes_only_through_trusted_proxies(peer, forwarded, hops, expected) -> None:
    assert client_address(peer, forwarded, hops) == expected


def test_metadata_over_the_size_cap_keeps_only_the_language() -> None:
    big = {"language": "nb", "feedback": {"rating": "down", "rated_text": "x" * 500, "widget": "w" * 40}}
    assert len(json.dumps(clean_metadata(big))) < 2048
    assert clean_metadata('{"language": "nb", "x": 1}') == {"language": "nb"}
    assert clean_metadata("not json") == {} and clean_metadata([1]) == {}
