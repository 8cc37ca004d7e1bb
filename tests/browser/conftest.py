"""Browser tests of the web chat widget against the real stack.

The stack: `rasa run` as `make run` starts it (the `rasa_server` fixture in tests/conftest.py,
with the action server and a temporary SQLite tracker store the tests read), and
scripts/serve_web.py serving the demo page. The browser is Debian's
headless Chromium driven by Playwright (no browser download).

Without Chromium, Playwright or web/node_modules the tests are skipped, unless
RYGGVETT_REQUIRE_SERVICES=1 (as `make test` sets it): then they fail.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.chat import REPORTS
from tests.conftest import PROJECT_ROOT
from tests.servers import stop_process, wait_for_http

HERE = Path(__file__).resolve().parent
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
# Screenshots go with the other test reports, never into the working tree.
REPORTS.mkdir(parents=True, exist_ok=True)
SOCKET_IO = PROJECT_ROOT / "web" / "node_modules" / "socket.io-client" / "dist" / "socket.io.min.js"


def missing_requirement() -> str | None:
    """Why the browser tests cannot run here, or None."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "Playwright for Python is not installed (pip install -r requirements-dev.txt)"
    if not Path(CHROMIUM).is_file():
        return "Chromium is not installed (apt-get install chromium, or `make browser`)"
    if not SOCKET_IO.is_file():
        return "web/node_modules is missing: run `make web`"
    return None


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    reason = missing_requirement()
    for item in items:
        if HERE not in Path(str(item.path)).parents:
            continue
        item.add_marker(pytest.mark.browser)
        if reason and os.environ.get("RYGGVETT_REQUIRE_SERVICES") != "1":
            item.add_marker(pytest.mark.skip(reason=f"browser tests skipped: {reason}"))


@pytest.fixture(scope="session", autouse=True)
def _browser_requirements() -> None:
    reason = missing_requirement()
    if reason:  # only reached when RYGGVETT_REQUIRE_SERVICES=1; otherwise the tests are skipped
        pytest.fail(f"RYGGVETT_REQUIRE_SERVICES=1 but {reason}")


@dataclass
class Stack:
    """The running servers: the demo page, the Rasa server and its tracker store file."""

    web_url: str
    rasa_url: str
    tracker_db: Path
    logs: dict[str, Path]


@pytest.fixture(scope="session")
def stack(rasa_server: Any, web_port: int, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """scripts/serve_web.py on a free port, pointing at the `rasa_server` of tests/conftest.py."""
    rasa_url, tracker_db, rasa_log = rasa_server.url, rasa_server.tracker_db, rasa_server.log
    port = web_port
    log = tmp_path_factory.mktemp("widget-web") / "web.log"
    command = [sys.executable, "scripts/serve_web.py", "--port", str(port), "--rasa-url", rasa_url]
    with open(log, "w") as out:
        process = subprocess.Popen(command, cwd=PROJECT_ROOT, stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for_http(url + "/", process, log, 30)
    except RuntimeError as error:
        pytest.fail(f"scripts/serve_web.py: {error}")
    yield Stack(url, rasa_url, tracker_db, {"rasa": rasa_log, "web": log})
    stop_process(process)


# Module scope: Playwright's sync API keeps an event loop running while it is open,
# which would break every pytest-asyncio test collected after this directory.
@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True)
        yield browser
        browser.close()


@pytest.fixture()
def new_page(browser: Any, stack: Stack) -> Iterator[Any]:
    """A factory of pages in fresh browser contexts; each page records console errors and CSP violations."""
    contexts = []

    def make(width: int = 1280, height: int = 800, query: str = "") -> Any:
        context = browser.new_context(viewport={"width": width, "height": height}, locale="nb-NO")
        context.set_default_timeout(30_000)
        contexts.append(context)
        page = context.new_page()
        page.errors = []
        page.on("pageerror", lambda error: page.errors.append(f"page error: {error}"))
        page.on("console", lambda msg: msg.type == "error" and page.errors.append(f"console: {msg.text}"))
        page.goto(stack.web_url + "/" + query)
        return page

    yield make
    for context in contexts:
        context.close()


@pytest.fixture(autouse=True)
def _show_logs_on_failure(request: pytest.FixtureRequest) -> Iterator[None]:
    yield
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed and "stack" in request.fixturenames:
        stack = request.getfixturevalue("stack")
        for name, log in stack.logs.items():
            print(f"--- end of {name} log ({log}) ---\n{log.read_text(errors='replace')[-3000:]}")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> Iterator[None]:
    outcome = yield
    report = outcome.get_result()
    if report.when == "call":
        item.rep_call = report
