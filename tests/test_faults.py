"""Failures behind the assistant: the person gets a polite apology in their language, and answers resume."""

from __future__ import annotations

import json
import uuid

import pytest

from ryggvett.message_guard import system_message
from tests.conftest import MODEL
from tests.servers import REST_TOKEN, free_port, post_json, start_action_server, start_rasa


@pytest.fixture(scope="module")
def stack_without_actions(loaded_db_url, callback_receiver, tmp_path_factory):
    """`rasa run` whose action server is not running yet; the test starts it later on the same port."""
    port = free_port()
    workdir = tmp_path_factory.mktemp("faults")
    rasa = start_rasa(MODEL, f"http://127.0.0.1:{port}/webhook", callback_receiver.url, workdir)
    yield rasa, port, workdir
    rasa.stop()


def texts(rasa, sender: str, message: str) -> list[str]:
    status, body = post_json(f"{rasa.url}/webhooks/rest/webhook", {"sender": sender, "message": message}, REST_TOKEN)
    assert status == 200, body
    return [reply.get("text", "") for reply in json.loads(body)]


def test_a_dead_action_server_gets_a_polite_apology_and_answers_resume(stack_without_actions, loaded_db_url):
    rasa, port, workdir = stack_without_actions
    norwegian, english = f"fault-nb-{uuid.uuid4().hex[:6]}", f"fault-en-{uuid.uuid4().hex[:6]}"
    assert system_message("technical_problem", "nb") in texts(rasa, norwegian, "Hjelper Ibux mot vondt i ryggen?")
    # The apology is the person's: English to an English message, and never the Norwegian one.
    english_replies = texts(rasa, english, "Hello, is it safe to lift things with back pain?")
    assert system_message("technical_problem", "en") in english_replies, english_replies
    assert system_message("technical_problem", "nb") not in english_replies, english_replies
    # Urgent advice needs no action server: it still comes first.
    urgent = texts(
        rasa, f"fault-urgent-{uuid.uuid4().hex[:6]}", "Jeg har mistet kontrollen over urinen og er nummen i skrittet"
    )
    assert "113" in urgent[0]

    actions = start_action_server(loaded_db_url, "http://127.0.0.1:8000", workdir, port=port)
    try:
        replies = texts(rasa, norwegian, "Hjelper Ibux mot vondt i ryggen?")
        assert system_message("technical_problem", "nb") not in replies
        assert any("Ibux" in reply or "betennelsesdempende" in reply.lower() for reply in replies), replies
    finally:
        actions.stop()
