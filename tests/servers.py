"""Real servers for end-to-end tests: `rasa run` with our credentials, and a stand-in messaging system."""

from __future__ import annotations

import json
import os
import queue
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from ryggvett.settings import PROJECT_ROOT

REST_TOKEN = "test-rest-token"
CALLBACK_TOKEN = "test-callback-token"
# What Rasa sends the action server (endpoints.yml) and the action server requires.
ACTION_SECRET = "test-action-secret"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_http(url: str, process: subprocess.Popen, log: Path, seconds: float = 180) -> None:
    deadline = time.monotonic() + seconds
    while True:
        try:
            urllib.request.urlopen(url, timeout=2)
            return
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                raise RuntimeError(f"{url} did not answer:\n{log.read_text()[-4000:]}") from None
            time.sleep(0.5)


def stop_process(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)


@dataclass
class Received:
    """What the stand-in messaging system got from the bot's callback channel."""

    messages: queue.Queue = field(default_factory=queue.Queue)

    def next(self, timeout: float = 60) -> dict[str, Any]:
        return self.messages.get(timeout=timeout)


class CallbackReceiver:
    """A small HTTP server standing in for a messaging or reception system."""

    def __init__(self) -> None:
        self.received = Received()
        received = self.received

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                received.messages.put({"headers": dict(self.headers), "json": json.loads(body or b"{}")})
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/bot"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> CallbackReceiver:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()


@dataclass
class RasaServer:
    url: str
    tracker_db: Path
    log: Path
    process: subprocess.Popen

    def stop(self) -> None:
        stop_process(self.process)


@dataclass
class ActionServer:
    webhook: str
    log: Path
    process: subprocess.Popen

    def stop(self) -> None:
        stop_process(self.process)


def start_action_server(
    db_url: str, public_url: str, workdir: Path, port: int | None = None, extra_env: dict[str, str] | None = None
) -> ActionServer:
    """`rasa run actions` on `port` (a free one by default), with the project's tables at `db_url`."""
    port = port or free_port()
    log = workdir / "actions.log"
    env = {**os.environ, "RYGGVETT_DB_URL": db_url, "RYGGVETT_PUBLIC_URL": public_url, "PYTHONPATH": str(PROJECT_ROOT)}
    env["RYGGVETT_WARM_UP"] = "true"
    env["RYGGVETT_ACTION_SECRET"] = ACTION_SECRET
    env.update(extra_env or {})
    env.pop("SANIC_REQUEST_MAX_SIZE", None)  # the Rasa server's limit; Rasa sends whole conversations here
    rasa = Path(sys.executable).with_name("rasa")
    with open(log, "w") as out:
        process = subprocess.Popen(
            [str(rasa), "run", "actions", "--actions", "actions", "--port", str(port)],
            cwd=PROJECT_ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    wait_for_http(f"{url}/health", process, log, seconds=120)
    return ActionServer(f"{url}/webhook", log, process)


def start_rasa(
    model: Path,
    action_endpoint: str,
    callback_url: str,
    workdir: Path,
    tracker_url: str | None = None,
    allowed_origins: str = "*",
    extra_env: dict[str, str] | None = None,
    endpoints: str = "endpoints.yml",
) -> RasaServer:
    """`rasa run` as `make run` starts it (credentials.yml, endpoints.yml), on a free port.

    The tracker store is a SQLite file in `workdir` unless `tracker_url` names another database.
    """
    port = free_port()
    tracker_db = workdir / "tracker.db"
    log = workdir / "rasa.log"
    env = {
        **os.environ,
        "PYTHONPATH": str(PROJECT_ROOT),
        "RASA_TELEMETRY_ENABLED": "false",
        "RYGGVETT_ACTION_ENDPOINT": action_endpoint,
        "RYGGVETT_ACTION_SECRET": ACTION_SECRET,
        "RYGGVETT_TRACKER_URL": tracker_url or f"sqlite:///{tracker_db}",
        "RYGGVETT_REST_TOKEN": REST_TOKEN,
        "RYGGVETT_CALLBACK_TOKEN": CALLBACK_TOKEN,
        "RYGGVETT_CALLBACK_URL": callback_url,
        "RYGGVETT_CORS": allowed_origins,
        "SANIC_REQUEST_MAX_SIZE": "65536",
        # Every test's browser and client comes from 127.0.0.1; tests/test_web_chat_guard.py sets its own.
        "RYGGVETT_ADDRESS_RATE_LIMIT": "100000/60",
        **(extra_env or {}),
    }
    with open(log, "w") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "rasa_extensions.launch", "run", "--model", str(model), "--port", str(port),
             "--credentials", "credentials.yml", "--endpoints", endpoints, "--cors", allowed_origins],
            cwd=PROJECT_ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    wait_for_http(url + "/", process, log)
    return RasaServer(url, tracker_db, log, process)


def post_json(url: str, payload: dict[str, Any], token: str | None = None) -> tuple[int, bytes]:
    headers = {"Content-Type": "application/json"}
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    request = urllib.request.Request(url, data=json.dumps(payload).encode(), headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=120) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()
