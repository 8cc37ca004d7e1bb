"""The trained assistant end to end: Rasa's Agent with the real action server."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from pathlib import Path

import pytest

from ryggvett.responses import render
from ryggvett.settings import PROJECT_ROOT

pytestmark = pytest.mark.assistant
MODEL = PROJECT_ROOT / "models" / "ryggvett.tar.gz"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def action_server(loaded_db_url, tmp_path_factory):
    port = _free_port()
    log = tmp_path_factory.mktemp("logs") / "actions.log"
    env = {**os.environ, "RYGGVETT_DB_URL": loaded_db_url, "PYTHONPATH": str(PROJECT_ROOT)}
    rasa = Path(sys.executable).with_name("rasa")
    with open(log, "w") as out:
        process = subprocess.Popen(
            [str(rasa), "run", "actions", "--actions", "actions", "--port", str(port)],
            cwd=PROJECT_ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while True:
        try:
            urllib.request.urlopen(f"{url}/health", timeout=1)
            break
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                pytest.fail(f"action server did not start:\n{log.read_text()[-3000:]}")
            time.sleep(0.3)
    yield f"{url}/webhook"
    process.terminate()
    process.wait(timeout=20)


@pytest.fixture(scope="session")
def agent(action_server):
    if not MODEL.exists():
        pytest.fail(f"{MODEL} is missing: run `make train` (make test trains it)")
    from rasa.core.agent import Agent
    from rasa.utils.endpoints import EndpointConfig

    return Agent.load(str(MODEL), action_endpoint=EndpointConfig(action_server))


class Chat:
    def __init__(self, agent):
        self.agent = agent
        self.sender = f"test-{uuid.uuid4().hex[:8]}"

    async def say(self, text: str) -> list[dict]:
        return await self.agent.handle_text(text, sender_id=self.sender)

    async def slot(self, name: str):
        tracker = await self.agent.tracker_store.get_or_create_tracker(self.sender)
        return tracker.get_slot(name)


def texts(replies: list[dict]) -> list[str]:
    return [r.get("text") for r in replies if r.get("text")]


@pytest.fixture()
def chat(agent):
    return Chat(agent)


def _card(base, intent, **entities):
    return next(
        c for c in base.cards_for(intent) if all(v in c.entities.get(k, ()) for k, v in entities.items()) and (
            entities or not c.entities
        )
    )


async def test_norwegian_conversation(chat, base, domain):
    responses = domain["responses"]
    replies = await chat.say("Hei!")
    assert texts(replies) == [
        render(responses, "utter_disclaimer", "nb")["text"],
        render(responses, "utter_greet", "nb")["text"],
    ]
    nsaid = _card(base, "ask_medication", medication="nsaid")
    replies = await chat.say("Hjelper Ibux mot vondt i ryggen?")
    assert texts(replies)[0] == nsaid.texts["nb"].short
    assert texts(replies)[1] == "Kilde: " + "; ".join(s.short for s in base.sources_of(nsaid))
    assert replies[-1]["text"] == render(responses, "utter_offer_more", "nb")["text"]
    assert [b["payload"] for b in replies[-1]["buttons"]] == ["/ask_more", "/ask_sources", "/deny"]
    assert texts(await chat.say("ja takk")) == [nsaid.texts["nb"].long]
    replies = texts(await chat.say("Hvilke kilder bygger svaret på?"))
    assert replies[0] == render(responses, "utter_sources_header", "nb")["text"]
    assert replies[1].startswith("1. ")
    assert await chat.slot("red_flag_raised") is False


async def test_english_conversation_with_the_disclaimer_first(chat, base, domain):
    responses = domain["responses"]
    replies = texts(await chat.say("Is it safe to lift things with back pain?"))
    assert replies[0] == render(responses, "utter_disclaimer", "en")["text"]
    card = base.card(await chat.slot("last_card"))
    assert card.intent == "ask_movement_safety"
    assert replies[1] == card.texts["en"].short
    assert replies[2].startswith("Source: ")
    assert await chat.slot("language") == "en"


async def test_switching_language_explicitly(chat, domain):
    responses = domain["responses"]
    await chat.say("Hello")
    replies = texts(await chat.say("Kan du svare på norsk?"))
    assert replies == [render(responses, "utter_language_changed", "nb")["text"]]
    assert await chat.slot("language") == "nb"


async def test_a_red_flag_gets_urgent_advice_and_is_marked(chat, domain):
    replies = texts(await chat.say("Jeg har mistet kontrollen over urinen og er nummen i skrittet"))
    assert replies[0] == render(domain["responses"], "utter_red_flag_urgent", "nb")["text"]
    assert await chat.slot("red_flag_raised") is True
