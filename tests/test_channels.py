"""Channels as other systems use them, against a real `rasa run`: protected REST, callback, masked log."""

from __future__ import annotations

import json
import sqlite3
import urllib.request
import uuid

import pytest

from tests.servers import CALLBACK_TOKEN, REST_TOKEN, post_json

pytestmark = pytest.mark.assistant


def logged_user_texts(server, sender: str) -> list[str]:
    with sqlite3.connect(server.tracker_db) as connection:
        rows = connection.execute(
            "select data from events where sender_id = ? and type_name = 'user' order by id", (sender,)
        ).fetchall()
    return [json.loads(data)["text"] for (data,) in rows]


@pytest.mark.parametrize("token", [None, "wrong-token", ""])
def test_the_rest_channel_refuses_calls_without_the_token(rasa_server, token):
    status, _ = post_json(f"{rasa_server.url}/webhooks/rest/webhook", {"sender": "x", "message": "hei"}, token)
    assert status == 401


@pytest.mark.parametrize("channel", ["rest", "callback"])
def test_a_token_in_the_url_counts_for_nothing(rasa_server, channel):
    token = REST_TOKEN if channel == "rest" else CALLBACK_TOKEN
    url = f"{rasa_server.url}/webhooks/{channel}/webhook?token={token}"
    status, _ = post_json(url, {"sender": f"url-{uuid.uuid4()}", "message": "hei"})
    assert status == 401


def test_the_rest_channel_answers_a_server_with_the_token(rasa_server):
    sender = f"rest-{uuid.uuid4()}"
    status, body = post_json(
        f"{rasa_server.url}/webhooks/rest/webhook", {"sender": sender, "message": "Hjelper Ibux mot vondt i ryggen?"},
        REST_TOKEN,
    )  # fmt: skip
    assert status == 200
    texts = [m.get("text", "") for m in json.loads(body)]
    assert any("Kilde" in t for t in texts), texts
    assert all(m["recipient_id"] == sender for m in json.loads(body))


def test_the_callback_channel_posts_the_replies_to_the_other_system(rasa_server, callback_receiver):
    sender = f"callback-{uuid.uuid4()}"
    message = {"sender": sender, "message": "Is it safe to lift with back pain?"}
    status, body = post_json(f"{rasa_server.url}/webhooks/callback/webhook", message, CALLBACK_TOKEN)
    assert (status, body) == (200, b"success")
    replies = []
    while not any("Source" in r["json"].get("text", "") for r in replies):
        replies.append(callback_receiver.received.next(timeout=60))
    for reply in replies:
        assert reply["json"]["recipient_id"] == sender
        assert reply["headers"].get("Authorization") == f"Bearer {CALLBACK_TOKEN}"


def test_the_callback_channel_refuses_calls_without_the_token(rasa_server, callback_receiver):
    status, _ = post_json(f"{rasa_server.url}/webhooks/callback/webhook", {"sender": "x", "message": "hei"}, "nope")
    assert status == 401


def test_the_http_api_is_off_without_a_token(rasa_server):
    with pytest.raises(urllib.error.HTTPError) as error:
        urllib.request.urlopen(f"{rasa_server.url}/conversations/x/tracker", timeout=10)
    assert error.value.code == 404


def test_a_phone_number_never_reaches_the_conversation_log_in_clear(rasa_server):
    sender = f"privacy-{uuid.uuid4()}"
    url = f"{rasa_server.url}/webhooks/rest/webhook"
    for message in ("Kan klinikken ringe meg?", "ja", "Kari", "912 34 567"):
        status, body = post_json(url, {"sender": sender, "message": message}, REST_TOKEN)
        assert status == 200
    assert any("Takk, Kari" in m.get("text", "") for m in json.loads(body))
    logged = logged_user_texts(rasa_server, sender)
    assert logged[:3] == ["Kan klinikken ringe meg?", "ja", "[navn]"]
    assert "912 34 567" not in logged[3] and logged[3].endswith("67")
    stored = rasa_server.tracker_db.read_bytes()
    assert b"912 34 567" not in stored and b"91234567" not in stored
