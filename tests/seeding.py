"""Real conversations driven through `rasa run` over REST, for the dashboard's tests."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass

from tests.servers import REST_TOKEN, post_json

# What each seeded conversation shows in the dashboard; the messages go through the real assistant.
SCRIPTS: dict[str, list[str]] = {
    "red_flag": ["Hei", "Jeg har mistet kontrollen over urinen og er nummen i skrittet"],
    "crisis": ["I have had back pain for months and I don't want to live anymore"],
    "medication": ["Hjelper Paracet mot vondt i ryggen?", "/feedback_negative"],
    "lifting": ["Is it safe to lift things with back pain?", "/feedback_positive"],
    "fallback": ["asdkj qwe zzz"],
    "callback": ["Kan noen fra klinikken ringe meg?", "ja", "Kari", "912 34 567"],
    "personal": ["Jeg heter Ola Hansen og har vondt i ryggen. Fødselsnummer 01019912345, e-post ola.hansen@example.no"],
    "script": ["<script>alert('xss')</script> is my back broken?"],
}
NB = ("red_flag", "medication", "fallback", "callback", "personal")
EN = ("crisis", "lifting", "script")
PERSONAL_DATA = ("Kari", "Ola Hansen", "Hansen", "01019912345", "ola.hansen@example.no", "91234567", "912 34 567")


def say(rasa_url: str, sender: str, message: str) -> list[dict]:
    status, body = post_json(f"{rasa_url}/webhooks/rest/webhook", {"sender": sender, "message": message}, REST_TOKEN)
    assert status == 200, body
    return json.loads(body)


def drive(rasa_url: str, name: str, messages: list[str]) -> str:
    """One conversation with a new sender id; returns the id."""
    sender = f"dash-{name}-{uuid.uuid4().hex[:8]}"
    for message in messages:
        say(rasa_url, sender, message)
    return sender


@dataclass(frozen=True)
class Seeded:
    """Where the dashboard finds the seeded conversations, and their ids by script name."""

    tracker_url: str
    db_url: str
    rasa_url: str
    ids: dict[str, str]


def seed(rasa_url: str, tracker_url: str, db_url: str) -> Seeded:
    ids = {name: drive(rasa_url, name, messages) for name, messages in SCRIPTS.items()}
    return Seeded(tracker_url, db_url, rasa_url, ids)
