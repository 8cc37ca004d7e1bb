"""Rasa's HTTP API as `make run` starts it (rasa_extensions/launch.py): off by default, and its token never on a
command line."""

from __future__ import annotations

import urllib.error
import urllib.request
from pathlib import Path

import pytest

from rasa_extensions.launch import api_arguments
from tests.conftest import MODEL
from tests.servers import start_rasa

pytestmark = pytest.mark.assistant
API_TOKEN = "api-token-for-this-test-only"


def status(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=30) as reply:
            return reply.status
    except urllib.error.HTTPError as error:
        return error.code


def test_the_api_is_off_without_a_token(rasa_server) -> None:
    assert status(f"{rasa_server.url}/status") == 404
    assert status(f"{rasa_server.url}/conversations/someone/tracker") == 404


def test_the_token_comes_from_the_environment_and_stays_off_the_command_line(
    action_server, callback_receiver, tmp_path
) -> None:
    server = start_rasa(
        MODEL, action_server, callback_receiver.url, tmp_path, extra_env={"RASA_API_TOKEN": API_TOKEN}
    )  # fmt: skip
    try:
        assert status(f"{server.url}/status") == 401
        assert status(f"{server.url}/status?token=wrong") == 401
        assert status(f"{server.url}/status?token={API_TOKEN}") == 200
        command_line = Path(f"/proc/{server.process.pid}/cmdline").read_bytes()
        assert b"rasa_extensions.launch" in command_line and API_TOKEN.encode() not in command_line
    finally:
        server.stop()


@pytest.mark.parametrize(
    ("environ", "expected"),
    [({}, []), ({"RASA_API_TOKEN": " "}, []), ({"RASA_API_TOKEN": "t"}, ["--enable-api", "--auth-token", "t"]),
     ({"RASA_JWT_SECRET": "j"}, ["--enable-api", "--jwt-secret", "j"])],
)  # fmt: skip
def test_api_arguments(environ: dict[str, str], expected: list[str]) -> None:
    assert api_arguments(environ) == expected
