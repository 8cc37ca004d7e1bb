"""The action server answers only the Rasa server: a shared secret on every call, loopback by default."""

from __future__ import annotations

import json
import socket
import urllib.error
import urllib.request
from collections.abc import Iterator

import pytest

from rasa_extensions.action_server_guard import SECRET_HEADER, secret_matches
from tests.servers import ACTION_SECRET, ActionServer, start_action_server

QUICK = {"RYGGVETT_WARM_UP": "false"}


def call(url: str, headers: dict[str, str] | None = None, body: dict | None = None) -> int:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json", **(headers or {})})
    try:
        with urllib.request.urlopen(request, timeout=30) as reply:
            return reply.status
    except urllib.error.HTTPError as error:
        return error.code


def other_address() -> str | None:
    """This machine's address on its network, if it has one besides loopback."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("192.0.2.254", 9))  # no packet is sent: this only picks the outgoing interface
        except OSError:
            return None
        address = probe.getsockname()[0]
    return None if address.startswith("127.") else address


def reachable(address: str, port: int) -> bool:
    try:
        with socket.create_connection((address, port), timeout=3):
            return True
    except OSError:
        return False


@pytest.fixture(scope="module")
def guarded(loaded_db_url, tmp_path_factory) -> Iterator[ActionServer]:
    workdir = tmp_path_factory.mktemp("guarded")
    server = start_action_server(loaded_db_url, "http://127.0.0.1:8000", workdir, extra_env=QUICK)
    yield server
    server.stop()


def action_call(sender: str) -> dict:
    """What Rasa posts to run an action that reads a person's stored history."""
    return {
        "next_action": "action_week_plan",
        "sender_id": sender,
        "tracker": {"sender_id": sender, "slots": {}, "latest_message": {}, "events": [], "paused": False,
                    "followup_action": None, "active_loop": {}, "latest_action_name": None},
        "domain": {},
        "version": "3.6.21",
    }  # fmt: skip


@pytest.mark.parametrize(
    "headers",
    [{}, {SECRET_HEADER: "wrong"}, {SECRET_HEADER: ""}, {SECRET_HEADER: ACTION_SECRET + "x"},
     {"Authorization": f"Bearer {ACTION_SECRET}"}],
    ids=["none", "wrong", "empty", "longer", "other-header"],
)  # fmt: skip
def test_calls_without_the_secret_are_refused(guarded: ActionServer, headers: dict[str, str]) -> None:
    assert call(guarded.webhook, headers, action_call("someone-else")) == 401
    assert call(guarded.webhook.replace("/webhook", "/actions"), headers) == 401


def test_the_secret_opens_the_webhook_and_health_stays_open(guarded: ActionServer) -> None:
    assert call(guarded.webhook.replace("/webhook", "/actions"), {SECRET_HEADER: ACTION_SECRET}) == 200
    # A known action with the secret is run (400/404 would be rasa_sdk rejecting the call itself).
    assert call(guarded.webhook, {SECRET_HEADER: ACTION_SECRET}, action_call("me")) == 200
    assert call(guarded.webhook.replace("/webhook", "/health")) == 200


def test_without_a_configured_secret_every_call_is_refused(loaded_db_url, tmp_path) -> None:
    server = start_action_server(
        loaded_db_url, "http://127.0.0.1:8000", tmp_path, extra_env={**QUICK, "RYGGVETT_ACTION_SECRET": ""}
    )
    try:
        for headers in ({}, {SECRET_HEADER: ""}, {SECRET_HEADER: ACTION_SECRET}):
            assert call(server.webhook.replace("/webhook", "/actions"), headers) == 401
        assert "RYGGVETT_ACTION_SECRET is not set" in server.log.read_text()
    finally:
        server.stop()


def test_it_listens_on_loopback_unless_told_otherwise(guarded: ActionServer, loaded_db_url, tmp_path) -> None:
    address = other_address()
    if address is None:
        pytest.skip("this machine has no network address besides loopback to try")
    assert not reachable(address, int(guarded.webhook.split(":")[2].split("/")[0]))
    opened = start_action_server(
        loaded_db_url, "http://127.0.0.1:8000", tmp_path, extra_env={**QUICK, "RYGGVETT_ACTION_HOST": "0.0.0.0"}
    )
    try:
        assert reachable(address, int(opened.webhook.split(":")[2].split("/")[0]))
    finally:
        opened.stop()


@pytest.mark.parametrize(
    ("given", "expected", "matches"),
    [("s3cret", "s3cret", True), ("s3cret", "", False), (None, "s3cret", False), ("", "", False),
     ("S3CRET", "s3cret", False), ("søt", "søt", True)],
)  # fmt: skip
def test_secret_comparison(given: str | None, expected: str, matches: bool) -> None:
    assert secret_matches(given, expected) is matches
