"""Reception's messaging system hears of each new callback request, without the patient's contact details."""

from __future__ import annotations

import queue
import uuid

import pytest
from rasa_sdk.executor import CollectingDispatcher

from actions.actions_callback import ActionFinishCallback, ValidateCallbackForm
from tests.servers import free_port

pytestmark = pytest.mark.usefixtures("actions_use_test_db")


def next_notice(receiver, request_ids: set[int], timeout: float = 10) -> dict:
    """The first notice for one of `request_ids` (the stand-in system also gets the callback channel's replies)."""
    while True:
        message = receiver.received.next(timeout=timeout)
        if message["json"].get("request_id") in request_ids:
            return message


async def request_callback(domain, tracker_factory, sender: str) -> list[dict]:
    slots = {"callback_consent": True, "callback_name": "Kari"}
    tracker = tracker_factory("912 34 567", "inform", slots=slots, sender_id=sender)
    masked = ValidateCallbackForm().validate_callback_phone("912 34 567", CollectingDispatcher(), tracker, domain)
    dispatcher = CollectingDispatcher()
    finished = tracker_factory("", slots={**slots, **masked}, sender_id=sender)
    await ActionFinishCallback().run(dispatcher, finished, domain)
    return dispatcher.messages


async def test_reception_gets_a_notice_with_the_worklist_link_and_no_contact_details(
    domain, tracker_factory, callback_receiver, monkeypatch, loaded_db_url
):
    from ryggvett.callbacks import latest_request_id

    monkeypatch.setenv("RYGGVETT_RECEPTION_WEBHOOK_URL", callback_receiver.url)
    monkeypatch.setenv("RYGGVETT_RECEPTION_WEBHOOK_TOKEN", "reception-token")
    monkeypatch.setenv("RYGGVETT_DASHBOARD_URL", "https://dashboard.klinikk.example")
    sender = f"reception-{uuid.uuid4().hex[:8]}"
    replies = await request_callback(domain, tracker_factory, sender)
    assert [m["response"] for m in replies] == ["utter_callback_confirmed"]
    request_id = latest_request_id(loaded_db_url, sender)
    message = next_notice(callback_receiver, {request_id})
    assert message["headers"]["Authorization"] == "Bearer reception-token"
    assert message["json"]["worklist_url"] == "https://dashboard.klinikk.example/callbacks"
    assert f"nr. {request_id}" in message["json"]["text"]
    for secret in ("Kari", "912", "91234567", "567"):
        assert secret not in str(message["json"]), secret


async def test_an_unreachable_reception_system_does_not_hold_up_the_patients_confirmation(
    domain, tracker_factory, callback_receiver, monkeypatch
):
    monkeypatch.setenv("RYGGVETT_RECEPTION_WEBHOOK_URL", f"http://127.0.0.1:{free_port()}/nobody")
    replies = await request_callback(domain, tracker_factory, f"reception-{uuid.uuid4().hex[:8]}")
    assert [m["response"] for m in replies] == ["utter_callback_confirmed"]


async def test_without_a_webhook_nothing_is_sent(
    domain, tracker_factory, callback_receiver, monkeypatch, loaded_db_url
):
    from ryggvett.callbacks import latest_request_id

    monkeypatch.delenv("RYGGVETT_RECEPTION_WEBHOOK_URL", raising=False)
    sender = f"reception-{uuid.uuid4().hex[:8]}"
    await request_callback(domain, tracker_factory, sender)
    with pytest.raises(queue.Empty):
        next_notice(callback_receiver, {latest_request_id(loaded_db_url, sender)}, timeout=2)
