"""Shared fixtures: the real content, a loaded reference base, trackers and the domain."""

from __future__ import annotations

import os
import shutil
import socket
from typing import Any

import pytest
import yaml
from rasa_sdk import Tracker

# The actions are imported here, not served: no warm-up thread (tests/servers.py turns it on).
os.environ.setdefault("RYGGVETT_WARM_UP", "false")

from ryggvett.reference.content import Content, read_content
from ryggvett.reference.loader import load_content
from ryggvett.reference.repository import ReferenceBase
from ryggvett.settings import PROJECT_ROOT

CONTENT_DIR = PROJECT_ROOT / "content"
MODEL = PROJECT_ROOT / "models" / "ryggvett.tar.gz"


@pytest.fixture(scope="session")
def content() -> Content:
    return read_content(CONTENT_DIR)


@pytest.fixture(scope="session")
def domain() -> dict[str, Any]:
    """The domain as the action server receives it (responses, slots, ...)."""
    return yaml.safe_load((PROJECT_ROOT / "domain.yml").read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def loaded_db_url(tmp_path_factory: pytest.TempPathFactory, content: Content) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'ryggvett.db'}"
    load_content(content, url)
    return url


@pytest.fixture(scope="session")
def base(loaded_db_url: str) -> ReferenceBase:
    return ReferenceBase.from_url(loaded_db_url)


@pytest.fixture()
def actions_use_test_db(monkeypatch: pytest.MonkeyPatch, loaded_db_url: str) -> None:
    """Point the actions' cached reference base at the test database."""
    from actions.reference import card_ranker, reference_base

    monkeypatch.setenv("RYGGVETT_DB_URL", loaded_db_url)
    reference_base.cache_clear()
    card_ranker.cache_clear()
    yield
    reference_base.cache_clear()
    card_ranker.cache_clear()


def make_tracker(
    text: str = "",
    intent: str | None = None,
    entities: list[dict[str, Any]] | None = None,
    slots: dict[str, Any] | None = None,
    confidence: float = 0.95,
    intent_ranking: list[dict[str, Any]] | None = None,
    sender_id: str = "test-user",
    parsed: dict[str, Any] | None = None,
) -> Tracker:
    """A tracker whose latest message is `text`, as Rasa sends it to the action server.

    `parsed`: further keys of the parse data, as the project's NLU components add them (safety, scope).
    """
    all_slots = {
        "language": "nb",
        "language_pinned": False,
        "disclaimer_shown": True,
        "last_card": None,
        "last_source": None,
        "red_flag_raised": False,
        "crisis_raised": False,
    }
    all_slots.update(slots or {})
    latest = {
        "text": text,
        "intent": {"name": intent, "confidence": confidence} if intent else {},
        "entities": entities or [],
        "intent_ranking": intent_ranking or ([{"name": intent, "confidence": confidence}] if intent else []),
        **(parsed or {}),
    }
    return Tracker(
        sender_id=sender_id,
        slots=all_slots,
        latest_message=latest,
        events=[{"event": "user", "text": text, "parse_data": latest}],
        paused=False,
        followup_action=None,
        active_loop={},
        latest_action_name="action_listen",
    )


@pytest.fixture()
def tracker_factory():
    return make_tracker


@pytest.fixture(scope="session")
def postgres_url() -> str:
    """The PostgreSQL server `make test` starts (scripts/test-postgres.sh), emptied."""

    import sqlalchemy as sa

    url = os.environ.get("RYGGVETT_TEST_PG_URL")
    if not url:
        if os.environ.get("RYGGVETT_REQUIRE_SERVICES"):
            pytest.fail("RYGGVETT_TEST_PG_URL is not set; run the tests with `make test`")
        pytest.skip("no PostgreSQL server: run `make test`, or set RYGGVETT_TEST_PG_URL")
    engine = sa.create_engine(url)
    with engine.begin() as connection:
        connection.execute(sa.text("drop schema public cascade; create schema public"))
    engine.dispose()
    return url


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def web_port() -> int:
    """The port the browser tests serve the demo page on; the actions link illustrations to it."""
    return _free_port()


@pytest.fixture(scope="session")
def action_server(loaded_db_url, tmp_path_factory, web_port):
    from tests.servers import start_action_server

    try:
        server = start_action_server(loaded_db_url, f"http://127.0.0.1:{web_port}", tmp_path_factory.mktemp("logs"))
    except RuntimeError as error:
        pytest.fail(f"action server did not start: {error}")
    yield server.webhook
    server.stop()


@pytest.fixture(scope="session")
def agent(action_server):
    if not MODEL.exists():
        pytest.fail(f"{MODEL} is missing: run `make train` (make test trains it)")
    from rasa.core.agent import Agent
    from rasa.utils.endpoints import EndpointConfig

    import rasa_extensions

    rasa_extensions.install()  # as in `rasa run` (its tracker store and channels install it)
    from rasa_extensions.action_server_guard import SECRET_HEADER
    from tests.servers import ACTION_SECRET

    endpoint = EndpointConfig(action_server, enable_selective_domain=True, headers={SECRET_HEADER: ACTION_SECRET})
    return Agent.load(str(MODEL), action_endpoint=endpoint)


@pytest.fixture()
def chat(agent):
    from tests.chat import Chat

    return Chat(agent)


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    from tests.chat import REPORT_LINES

    if REPORT_LINES:
        terminalreporter.section("Ryggvett figures")
        for line in REPORT_LINES:
            terminalreporter.write_line(line)


@pytest.fixture(scope="session")
def callback_receiver():
    from tests.servers import CallbackReceiver

    with CallbackReceiver() as receiver:
        yield receiver


@pytest.fixture(scope="session")
def rasa_server(action_server, callback_receiver, tmp_path_factory, web_port):
    """The assistant as `make run` serves it: `rasa run` with credentials.yml and endpoints.yml.

    Only the demo page the browser tests serve (on `web_port`) may open the web chat.
    """
    from tests.servers import start_rasa

    if not MODEL.exists():
        pytest.fail(f"{MODEL} is missing: run `make train` (make test trains it)")
    try:
        server = start_rasa(
            MODEL, action_server, callback_receiver.url, tmp_path_factory.mktemp("rasa"),
            allowed_origins=f"http://127.0.0.1:{web_port}",
        )  # fmt: skip
    except RuntimeError as error:
        pytest.fail(str(error))
    yield server
    server.stop()


@pytest.fixture(scope="session")
def seeded_sqlite(rasa_server, loaded_db_url):
    """Real conversations in the SQLite tracker store of `rasa_server`; project tables in `loaded_db_url`."""
    from tests.seeding import seed

    return seed(rasa_server.url, f"sqlite:///{rasa_server.tracker_db}", loaded_db_url)


@pytest.fixture(scope="session")
def seeded_postgres(postgres_url, content, tmp_path_factory, callback_receiver, web_port):
    """The same conversations with everything on PostgreSQL: tracker store, reference base, dashboard."""
    from tests.seeding import seed
    from tests.servers import start_action_server, start_rasa

    load_content(content, postgres_url)
    workdir = tmp_path_factory.mktemp("postgres-stack")
    try:
        actions = start_action_server(postgres_url, f"http://127.0.0.1:{web_port}", workdir)
    except RuntimeError as error:
        pytest.fail(f"action server on PostgreSQL did not start: {error}")
    try:
        rasa = start_rasa(MODEL, actions.webhook, callback_receiver.url, workdir, tracker_url=postgres_url)
    except RuntimeError as error:
        actions.stop()
        pytest.fail(str(error))
    yield seed(rasa.url, postgres_url, postgres_url)
    rasa.stop()
    actions.stop()


@pytest.fixture
def shared_lock_store(tmp_path, monkeypatch):
    """A Redis lock store as the Rasa servers of a cluster share it, configured for the dashboard."""
    if not (shutil.which("redis-server") or os.path.exists("/usr/bin/redis-server")):
        if os.environ.get("RYGGVETT_REQUIRE_SERVICES"):
            pytest.fail("redis-server is missing; make test installs it")
        pytest.skip("redis-server is not installed: run `make test`")
    from tests.cluster import Redis
    from tests.servers import free_port

    server = Redis(free_port(), tmp_path)
    server.start()
    monkeypatch.setenv("RYGGVETT_REDIS_HOST", "127.0.0.1")
    monkeypatch.setenv("RYGGVETT_REDIS_PORT", str(server.port))
    monkeypatch.setenv("RYGGVETT_REDIS_PASSWORD", server.password)
    yield server
    server.stop()
