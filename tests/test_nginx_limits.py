"""The load balancer's template (deploy/nginx.conf.template) with real nginx: floods get 429, logs keep no token."""

from __future__ import annotations

import os
import shutil
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from deploy.render_nginx import ClientLimits
from tests.cluster import Nginx
from tests.servers import free_port


class Answer(BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def backend() -> Iterator[int]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Answer)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server.server_address[1]
    server.shutdown()


def start(limits: ClientLimits, backend: int, workdir) -> Nginx:
    if not (shutil.which("nginx") or os.path.exists("/usr/sbin/nginx")):
        if os.environ.get("RYGGVETT_REQUIRE_SERVICES"):
            pytest.fail("nginx is missing; make test installs it")
        pytest.skip("nginx is not installed: run `make test`")
    nginx = Nginx(free_port(), free_port(), workdir, limits=limits)
    nginx.start([backend], [backend])
    return nginx


def get(url: str) -> tuple[int, dict[str, str]]:
    try:
        with urllib.request.urlopen(url, timeout=10) as reply:
            return reply.status, dict(reply.headers)
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers)


def test_a_flood_from_one_address_gets_429(backend, tmp_path) -> None:
    nginx = start(ClientLimits(rate="1r/s", burst=5, connections=10), backend, tmp_path)
    try:
        statuses = [get(f"{nginx.url}/webhooks/rest/")[0] for _ in range(20)]
    finally:
        nginx.stop()
    assert statuses[:6] == [200] * 6  # the burst, and the one the rate allows
    assert statuses.count(429) >= 12


def test_the_default_limits_let_a_person_chat(backend, tmp_path) -> None:
    nginx = start(ClientLimits(), backend, tmp_path)
    try:
        statuses = [get(f"{nginx.url}/socket.io/?EIO=4&transport=polling")[0] for _ in range(30)]
    finally:
        nginx.stop()
    assert statuses == [200] * 30


def test_no_upstream_header_and_no_token_in_the_log(backend, tmp_path) -> None:
    nginx = start(ClientLimits(), backend, tmp_path)
    try:
        status, headers = get(f"{nginx.url}/webhooks/rest/webhook?token=s3cret-token")
    finally:
        nginx.stop()
    assert status == 200
    assert "X-Upstream" not in headers
    log = (tmp_path / "nginx-access.log").read_text()
    assert "/webhooks/rest/webhook" in log and "s3cret-token" not in log
