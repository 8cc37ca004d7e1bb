"""The clinicians' dashboard in Chromium, served as in production (`python -m dashboard serve`)."""

from __future__ import annotations

import csv
import io
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyotp
import pytest
import yaml

from tests.browser.conftest import REPORTS
from tests.conftest import PROJECT_ROOT
from tests.dashboard.conftest import PASSWORD, current_code, ensure_user
from tests.servers import free_port, stop_process, wait_for_http

try:
    from playwright.sync_api import expect
except ImportError:  # conftest.py skips these tests (or fails them under RYGGVETT_REQUIRE_SERVICES=1)
    expect = None

USERNAME = "browser-clinician"
INTENT = "ask_pain_meaning"
NOTE = "spør hva smerten betyr"
XSS = "<script>alert('xss')</script> is my back broken?"


@dataclass
class Dashboard:
    """The running dashboard, its log and the seeded conversation ids."""

    url: str
    log: Path
    ids: dict[str, str]
    db_url: str


@pytest.fixture(scope="module")
def dashboard(seeded_sqlite: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Dashboard]:
    """`python -m dashboard serve` on a free port, over the seeded SQLite stores, with default cookie settings."""
    ensure_user(seeded_sqlite.db_url, USERNAME, "clinician")
    port = free_port()
    log = tmp_path_factory.mktemp("dashboard") / "dashboard.log"
    env = {
        **os.environ,
        "RYGGVETT_TRACKER_URL": seeded_sqlite.tracker_url,
        "RYGGVETT_DB_URL": seeded_sqlite.db_url,
        "PYTHONPATH": str(PROJECT_ROOT),
    }
    env.pop("RYGGVETT_DASHBOARD_SECURE_COOKIE", None)  # the default: Secure cookies
    command = [sys.executable, "-m", "dashboard", "serve", "--host", "127.0.0.1", "--port", str(port)]
    with open(log, "w") as out:
        process = subprocess.Popen(command, cwd=PROJECT_ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for_http(url + "/login", process, log, 60)
    except RuntimeError as error:
        pytest.fail(f"python -m dashboard serve: {error}")
    yield Dashboard(url, log, seeded_sqlite.ids, seeded_sqlite.db_url)
    stop_process(process)


@pytest.fixture(autouse=True)
def _dashboard_log_on_failure(request: pytest.FixtureRequest) -> Iterator[None]:
    yield
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed and "dashboard" in request.fixturenames:
        log = request.getfixturevalue("dashboard").log
        print(f"--- end of the dashboard log ({log}) ---\n{log.read_text(errors='replace')[-3000:]}")


def console_error(page: Any, message: Any) -> None:
    # Chromium asks for /favicon.ico, which the dashboard does not have (401 before login, 404 after).
    if message.type == "error" and not message.location.get("url", "").endswith("/favicon.ico"):
        page.errors.append(f"console: {message.text} ({message.location.get('url')})")


def open_page(browser: Any) -> Any:
    """A page in a fresh context that records script errors, console errors and JavaScript dialogs."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="nb-NO", accept_downloads=True)
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.errors, page.dialogs = [], []
    page.on("pageerror", lambda error: page.errors.append(f"page error: {error}"))
    page.on("console", lambda msg: console_error(page, msg))

    def on_dialog(dialog: Any) -> None:
        page.dialogs.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()

    page.on("dialog", on_dialog)
    return page


def submit(page: Any, button: str, path: str) -> None:
    """Click a form's button; the server must answer the POST with a redirect."""
    with page.expect_response(lambda r: r.request.method == "POST" and path in r.url) as posted:
        page.get_by_role("button", name=button).click()
    page.wait_for_load_state()
    response = posted.value
    assert response.status == 302, f"{path} refused ({response.status}): {page.locator('main').inner_text()}"


def log_in(page: Any, dashboard: Dashboard, username: str = USERNAME) -> None:
    """Fill in the login form, then the second factor with the current code from the stored secret."""
    page.get_by_label("Brukernavn").fill(username)
    page.get_by_label("Passord").fill(PASSWORD)
    submit(page, "Logg inn", "/login")
    expect(page.get_by_role("heading", name="Engangskode")).to_be_visible()
    page.get_by_label("Kode").fill(current_code(dashboard.db_url, username))
    submit(page, "Logg inn", "/login/second-factor")


def assert_clean(page: Any) -> None:
    """No JavaScript dialog, script error or Content-Security-Policy violation."""
    assert page.dialogs == [], page.dialogs
    assert page.errors == [], page.errors


@pytest.fixture(scope="module")
def page(browser: Any, dashboard: Dashboard) -> Iterator[Any]:
    """One logged-in page shared by the module's tests."""
    page = open_page(browser)
    page.goto(dashboard.url + "/login")
    log_in(page, dashboard)
    expect(page).to_have_url(dashboard.url + "/conversations")
    yield page
    page.context.close()


def row_of(page: Any, conversation_id: str) -> Any:
    return page.locator("table.list tbody tr").filter(has=page.locator(f'a[href="/conversations/{conversation_id}"]'))


def test_an_anonymous_visit_lands_on_the_login_page_and_logging_in_returns(browser: Any, dashboard: Dashboard) -> None:
    page = open_page(browser)
    try:
        page.goto(dashboard.url + "/analytics")
        expect(page).to_have_url(re.compile(re.escape(dashboard.url) + r"/login\?next=/analytics$"))
        expect(page.get_by_role("heading", name="Logg inn")).to_be_visible()
        expect(page.get_by_role("navigation", name="Hovedmeny")).to_have_count(0)
        log_in(page, dashboard)
        expect(page).to_have_url(dashboard.url + "/analytics")
        expect(page.locator("header.top .logout")).to_contain_text(f"{USERNAME} (clinician)")
        [cookie] = [c for c in page.context.cookies() if c["name"] == "ryggvett_dashboard"]
        assert cookie["secure"] and cookie["httpOnly"] and cookie["sameSite"] == "Strict", cookie
        assert_clean(page)
    finally:
        page.context.close()


def test_the_red_flag_filter_lists_the_urgent_conversations(page: Any, dashboard: Dashboard) -> None:
    ids = dashboard.ids
    page.goto(dashboard.url + "/conversations")
    page.locator("select[name=flag]").select_option("any")
    page.get_by_role("button", name="Filtrer").click()
    expect(page).to_have_url(re.compile(r"[?&]flag=any(&|$)"))
    expect(row_of(page, ids["red_flag"])).to_have_class("red-flag")
    expect(row_of(page, ids["crisis"])).to_have_class("crisis")
    expect(row_of(page, ids["medication"])).to_have_count(0)
    expect(page.locator("select[name=flag]")).to_have_value("any")
    page.screenshot(path=str(REPORTS / "dashboard-list.png"), full_page=True)
    assert_clean(page)


def test_the_red_flag_transcript_shows_the_alert(page: Any, dashboard: Dashboard) -> None:
    conversation_id = dashboard.ids["red_flag"]
    page.goto(dashboard.url + "/conversations?flag=red_flag")
    row_of(page, conversation_id).get_by_role("link").click()
    expect(page).to_have_url(f"{dashboard.url}/conversations/{conversation_id}")
    expect(page.locator(".alert.red-flag")).to_be_visible()
    expect(page.locator(".alert.red-flag")).to_contain_text("Rødt flagg")
    expect(page.locator("li.turn.red-flag").first).to_be_visible()
    page.screenshot(path=str(REPORTS / "dashboard-transcript.png"), full_page=True)
    assert_clean(page)


def test_a_corrected_intent_is_saved_and_exported(page: Any, dashboard: Dashboard) -> None:
    conversation_id = dashboard.ids["fallback"]
    page.goto(f"{dashboard.url}/conversations/{conversation_id}")
    turn = page.locator("li.turn").filter(has=page.locator("form.annotate")).first
    event_id = int(turn.get_attribute("id").removeprefix("turn-"))
    form = turn.locator("form.annotate")
    form.locator("input[name=verdict][value=wrong]").check()
    form.locator("select[name=intent]").select_option(INTENT)
    form.locator("input[name=note]").fill(NOTE)
    form.get_by_role("button", name="Lagre").click()
    expect(page).to_have_url(f"{dashboard.url}/conversations/{conversation_id}#turn-{event_id}")

    page.reload()
    saved = page.locator(f"#turn-{event_id} p.current")
    expect(saved).to_contain_text(f"Feil → {INTENT}: «{NOTE}»")
    expect(saved.locator("strong")).to_have_text(INTENT)
    expect(page.locator(f"#turn-{event_id} input[name=verdict][value=wrong]")).to_be_checked()

    with page.expect_download() as download:
        page.get_by_role("link", name="Eksporter som teststory").click()
    assert download.value.suggested_filename.endswith(".yml"), download.value.suggested_filename
    story_text = Path(download.value.path()).read_text(encoding="utf-8")
    story = yaml.safe_load(story_text)
    assert "stories:" in story_text and f"intent: {INTENT}" in story_text, story_text
    assert [step for step in story["stories"][0]["steps"] if step.get("intent") == INTENT], story_text

    page.goto(dashboard.url + "/exports")
    with page.expect_download() as download:
        page.get_by_role("link", name="Alle vurderte meldinger (CSV)").click()
    assert download.value.suggested_filename == "corrections.csv"
    rows = list(csv.DictReader(io.StringIO(Path(download.value.path()).read_text(encoding="utf-8"))))
    mine = [row for row in rows if (row["conversation_id"], row["event_id"]) == (conversation_id, str(event_id))]
    assert mine, rows
    assert [mine[-1][key] for key in ("verdict", "intent", "note", "reviewer")] == ["wrong", INTENT, NOTE, USERNAME]
    assert_clean(page)


def test_analytics_draws_the_charts(page: Any, dashboard: Dashboard) -> None:
    page.goto(dashboard.url + "/analytics")
    charts = page.locator("svg.chart")
    expect(charts.first).to_be_visible()
    assert charts.count() >= 4
    for index in range(charts.count()):
        box = charts.nth(index).bounding_box()
        assert box and box["width"] > 300 and box["height"] > 20, (index, box)
    expect(page.locator("svg.chart rect").first).to_be_attached()
    page.screenshot(path=str(REPORTS / "dashboard-analytics.png"), full_page=True)
    assert_clean(page)


def test_a_script_in_a_message_is_shown_as_text(page: Any, dashboard: Dashboard) -> None:
    conversation_id = dashboard.ids["script"]
    page.goto(dashboard.url + "/conversations?language=en")
    expect(row_of(page, conversation_id).get_by_role("link")).to_have_text(XSS)
    page.goto(f"{dashboard.url}/conversations/{conversation_id}")
    expect(page.locator(".person .text").first).to_have_text(XSS)
    assert page.locator("script").count() == 0
    assert_clean(page)


def test_enrolment_shows_the_qr_code_under_the_strict_csp(browser: Any, dashboard: Dashboard) -> None:
    ensure_user(dashboard.db_url, "browser-newcomer", "clinician", second_factor=False)
    page = open_page(browser)
    try:
        page.goto(dashboard.url + "/login")
        page.get_by_label("Brukernavn").fill("browser-newcomer")
        page.get_by_label("Passord").fill(PASSWORD)
        submit(page, "Logg inn", "/login")
        expect(page).to_have_url(dashboard.url + "/login/enrol")
        page.screenshot(path=str(REPORTS / "dashboard-enrol.png"), full_page=True)
        box = page.locator("svg.qr").bounding_box()
        assert box and box["width"] >= 150 and box["height"] >= 150, box
        secret = page.locator("code.secret").inner_text()
        page.get_by_label("Koden appen viser nå").fill(pyotp.TOTP(secret).now())
        page.get_by_role("button", name="Bekreft").click()
        expect(page.locator("ol.recovery-codes li")).to_have_count(10)
        page.screenshot(path=str(REPORTS / "dashboard-recovery-codes.png"), full_page=True)
        page.get_by_role("link", name="Jeg har tatt vare på kodene – fortsett").click()
        expect(page).to_have_url(dashboard.url + "/conversations")
        assert_clean(page)
    finally:
        page.context.close()
