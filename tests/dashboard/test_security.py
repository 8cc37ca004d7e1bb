"""The dashboard refuses anonymous requests, clinicians on admin pages, forged posts, scripts and guessing."""

from __future__ import annotations

import datetime as dt
import html
import os
import re
import subprocess
import sys
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from dashboard import DashboardConfig, create_app
from dashboard.security import HEADERS, LOGIN_CSRF_COOKIE, SESSION_COOKIE
from ryggvett.review import accounts
from ryggvett.review.accounts import FREE_FAILURES
from ryggvett.review.models import AuditRow, ConversationTagRow, UserRow, review_engine
from ryggvett.settings import PROJECT_ROOT
from tests.dashboard.conftest import PASSWORD, Browser, current_code, ensure_user
from tests.servers import free_port, stop_process, wait_for_http

ARGUMENTS = {"conversation_id": "some-conversation", "event_id": 1, "request_id": 1, "user_id": 1, "kind": "csv"}


def routes(app, prefix: str = "", conversation_id: str = "some-conversation") -> list[tuple[str, str]]:
    """(method, url) for every route of the app except the login page and static files."""
    arguments = {**ARGUMENTS, "conversation_id": conversation_id}
    found = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint in ("auth.login", "static") or not rule.rule.startswith(prefix):
            continue
        url = rule.build({name: arguments[name] for name in rule.arguments}, append_unknown=False)[1]
        found += [(method, url) for method in sorted(rule.methods - {"HEAD", "OPTIONS"})]
    return found


def test_the_app_has_the_routes_these_tests_walk(app):
    urls = {url for _, url in routes(app)}
    assert {"/conversations", "/analytics", "/exports", "/callbacks", "/admin/users", "/admin/audit"} <= urls
    assert len(routes(app)) >= 20


def test_every_route_refuses_an_anonymous_request(app, anonymous, seeded):
    for method, url in routes(app, conversation_id=seeded.ids["medication"]):
        response = anonymous.client.open(url, method=method, base_url="https://dashboard.test")
        if method == "GET":
            assert response.status_code == 302 and response.headers["Location"].startswith("/login"), url
        else:
            assert response.status_code == 401, (method, url)
        assert "Paracet" not in response.text and "ask_medication" not in response.text


def test_a_clinician_cannot_reach_admin_pages(app, clinician):
    admin_routes = routes(app, "/admin")
    assert len(admin_routes) >= 6
    for method, url in admin_routes:
        response = (
            clinician.get(url)
            if method == "GET"
            else clinician.post(url, {"conversation_id": "x", "password": "x" * 20})
        )
        assert response.status_code == 403, (method, url)


def test_an_admin_reaches_admin_pages(admin):
    assert admin.get("/admin/users").status_code == 200
    assert "clinician-test" in admin.get("/admin/users").text


def test_a_post_without_or_with_a_wrong_csrf_token_is_refused(clinician, seeded):
    conversation_id = seeded.ids["lifting"]
    for data in ({"tag": "forged"}, {"tag": "forged", "csrf_token": "wrong"}):
        response = clinician.post(f"/conversations/{conversation_id}/tags", data, csrf=False)
        assert response.status_code == 400
    with Session(review_engine(seeded.db_url)) as session:
        assert session.scalar(sa.select(ConversationTagRow).where(ConversationTagRow.tag == "forged")) is None


def test_a_post_from_another_origin_is_refused(clinician, seeded):
    response = clinician.post(
        f"/conversations/{seeded.ids['lifting']}/tags", {"tag": "forged"}, headers={"Origin": "https://evil.example"}
    )
    assert response.status_code == 403


def test_a_login_form_without_its_csrf_token_is_refused(anonymous):
    anonymous.get("/login")
    response = anonymous.post("/login", {"username": "clinician-test", "password": PASSWORD}, csrf=False)
    assert response.status_code == 400 and SESSION_COOKIE not in response.headers.get("Set-Cookie", "")


def test_a_script_in_a_transcript_renders_as_text(clinician, seeded):
    conversation_id = seeded.ids["script"]
    for page in (clinician.get(f"/conversations/{conversation_id}").text, clinician.get("/conversations").text):
        assert "<script>alert" not in page
    page = clinician.get(f"/conversations/{conversation_id}").text
    assert "&lt;script&gt;alert(&#39;xss&#39;)&lt;/script&gt;" in page
    assert "<script>alert('xss')</script>" in html.unescape(page)


def test_sessions_use_safe_cookies_headers_and_argon2(app, seeded):
    browser = Browser(app.test_client())
    response = browser.login("clinician-test")
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith(f"{SESSION_COOKIE}=") and all(
        flag in cookie for flag in ("Secure", "HttpOnly", "SameSite=Strict")
    )
    page = browser.get("/conversations")
    for name, value in HEADERS.items():
        assert page.headers[name] == value
    with Session(review_engine(seeded.db_url)) as session:
        stored = session.scalar(sa.select(UserRow.password_hash).where(UserRow.username == "clinician-test"))
    assert stored.startswith("$argon2id$") and PASSWORD not in stored


def test_logging_out_ends_the_session(app):
    browser = Browser(app.test_client())
    token = browser.login("clinician-test").headers["Set-Cookie"].split(";")[0].split("=", 1)[1]
    assert browser.get("/conversations").status_code == 200
    assert browser.post("/logout").status_code == 302
    browser.client.set_cookie(SESSION_COOKIE, token, domain="dashboard.test")
    assert browser.get("/conversations").status_code == 302


# Each would send the browser to another site: directly, or once the browser drops tabs and
# newlines, reads a backslash as "/", or percent-decodes what reached the check undecoded.
OFF_SITE = [
    "/\t/evil.example/phish",
    "/\n/evil.example/phish",
    "/\r\n/evil.example/phish",
    "\t//evil.example",
    "/ /evil.example",
    "/\x00/evil.example",
    "/\u3000/evil.example",
    "//evil.example/x",
    "///evil.example",
    "https://evil.example",
    "HTTPS://evil.example/x",
    "http:evil.example",
    "/\\evil.example",
    "\\evil.example",
    "/\\/evil.example",
    "\\/evil.example",
    "javascript:alert(1)",
    " JaVaScRiPt:alert(1)",
    "data:text/html,phish",
    "/%09/evil.example/phish",
    "/%0d%0a/evil.example",
    "/%2F/evil.example",
    "/%5Cevil.example",
]


@pytest.mark.parametrize("target", OFF_SITE)
def test_login_never_redirects_off_site(anonymous, target):
    """Through the real login: neither the password step nor the second factor's redirect leaves the site."""
    response = anonymous.password("clinician-test", next=target)
    assert response.status_code == 302 and response.headers["Location"] == "/login/second-factor"
    code = current_code(anonymous.db_url, "clinician-test")
    finished = anonymous.second_factor(code, next=target)
    assert finished.status_code == 302 and finished.headers["Location"] == "/conversations"


@pytest.mark.parametrize("target", ["/analytics?days=7", "/conversations?tag=ny%20tag&flag=any", "/exports"])
def test_login_returns_to_the_page_asked_for(anonymous, target):
    response = anonymous.password("clinician-test", next=target)
    location = urlsplit(response.headers["Location"])
    assert (location.path, parse_qs(location.query)) == ("/login/second-factor", {"next": [target]})
    finished = anonymous.second_factor(current_code(anonymous.db_url, "clinician-test"), next=target)
    assert finished.status_code == 302 and finished.headers["Location"] == target


def test_wrong_passwords_from_one_address_do_not_stop_the_user_elsewhere(app, seeded):
    ensure_user(seeded.db_url, "flooded", "clinician")
    attacker = Browser(app.test_client()).from_address("198.51.100.7")
    statuses = [attacker.password("flooded", "wrong password!").status_code for _ in range(8)]
    user = Browser(app.test_client()).from_address("203.0.113.20")
    assert user.login("flooded").status_code == 302
    assert statuses == [401] * FREE_FAILURES + [429] * (8 - FREE_FAILURES)
    assert attacker.password("flooded").status_code == 429  # even the right password, from there, for now
    for _ in range(8):
        attacker.password("admin-test", "wrong password!")
    last_admin = Browser(app.test_client()).from_address("203.0.113.21")
    assert last_admin.login("admin-test").status_code == 302


class Clock:
    """accounts.utcnow, moved on by hand."""

    def __init__(self) -> None:
        self.now = dt.datetime.now(dt.timezone.utc)

    def __call__(self) -> dt.datetime:
        return self.now

    def wait(self, seconds: float) -> None:
        self.now += dt.timedelta(seconds=seconds)


def test_the_wait_doubles_with_each_further_failure_up_to_a_cap(app, seeded, monkeypatch):
    clock = Clock()
    monkeypatch.setattr(accounts, "utcnow", clock)
    ensure_user(seeded.db_url, "slowed", "clinician")
    browser = Browser(app.test_client()).from_address("198.51.100.8")
    for _ in range(FREE_FAILURES):
        assert browser.password("slowed", "wrong password!").status_code == 401
    waits = []
    for _ in range(9):
        refused = browser.password("slowed", "wrong password!")
        assert refused.status_code == 429 and "sekunder" in refused.text
        waits.append(int(refused.headers["Retry-After"]))
        clock.wait(waits[-1] - 1)
        assert browser.password("slowed", "wrong password!").status_code == 429  # not a second early
        clock.wait(1)
        assert browser.password("slowed", "wrong password!").status_code == 401
    assert waits == [15, 30, 60, 120, 240, 480, 900, 900, 900]
    clock.wait(900)
    assert browser.login("slowed").status_code == 302
    again = Browser(app.test_client()).from_address("198.51.100.8")
    assert again.password("slowed", "wrong password!").status_code == 401  # the count starts again


def test_parallel_guesses_cannot_slip_past_the_throttle(app, seeded):
    ensure_user(seeded.db_url, "raced", "clinician")
    browsers = [Browser(app.test_client()).from_address("198.51.100.9") for _ in range(10)]
    pages = [browser.get("/login") for browser in browsers]  # the login CSRF cookie of each
    tokens = [re.search(r'name="csrf_token" value="([^"]+)"', page.text)[1] for page in pages]

    def guess(browser: Browser, token: str) -> int:
        return browser.post(
            "/login", {"username": "raced", "password": "wrong password!", "csrf_token": token}
        ).status_code

    with ThreadPoolExecutor(max_workers=10) as pool:
        statuses = list(pool.map(guess, browsers, tokens))
    # At most the free guesses are checked; under load SQLite's lock may turn one more away (fail closed).
    assert set(statuses) <= {401, 429} and 1 <= statuses.count(401) <= FREE_FAILURES, statuses


def login_addresses(seeded, username: str) -> list[str]:
    with Session(review_engine(seeded.db_url)) as session:
        rows = session.scalars(
            sa.select(AuditRow).where(AuditRow.username == username, AuditRow.action == "login_failed")
        )
        return [row.detail.rsplit(" ", 1)[-1] for row in rows]


def test_x_forwarded_for_is_ignored_unless_a_proxy_is_trusted(app, seeded):
    ensure_user(seeded.db_url, "forwarded", "clinician")
    spoofer = Browser(app.test_client()).from_address("198.51.100.10")
    statuses = [
        spoofer.password("forwarded", "wrong password!", headers={"X-Forwarded-For": f"192.0.2.{n}"}).status_code
        for n in range(5)
    ]
    assert statuses == [401] * FREE_FAILURES + [429] * (5 - FREE_FAILURES)  # all from the socket's address
    assert set(login_addresses(seeded, "forwarded")) == {"198.51.100.10"}


def test_x_forwarded_for_is_believed_from_a_trusted_proxy(seeded):
    ensure_user(seeded.db_url, "proxied", "clinician")
    proxied = create_app(DashboardConfig(tracker_url=seeded.tracker_url, db_url=seeded.db_url, trusted_proxies=1))
    attacker = Browser(proxied.test_client()).from_address("10.0.0.2")  # the proxy
    for _ in range(6):
        attacker.password("proxied", "wrong password!", headers={"X-Forwarded-For": "198.51.100.11"})
    assert set(login_addresses(seeded, "proxied")) == {"198.51.100.11"}
    user = Browser(proxied.test_client()).from_address("10.0.0.2")
    user.client.environ_base["HTTP_X_FORWARDED_FOR"] = "203.0.113.22"
    assert user.login("proxied").status_code == 302
    # A client that puts its own X-Forwarded-For before the proxy's cannot pick its address.
    spoof = attacker.password("proxied", "wrong password!", headers={"X-Forwarded-For": "203.0.113.22, 198.51.100.11"})
    assert spoof.status_code == 429


def test_the_served_dashboard_believes_x_forwarded_for_only_when_told(seeded, tmp_path):
    """`python -m dashboard serve` as deployed: waitress must neither drop nor trust the header on its own."""
    for trusted, expected in (("0", "127.0.0.1"), ("1", "198.51.100.12")):
        username = f"served-{trusted}"
        ensure_user(seeded.db_url, username, "clinician")
        port = free_port()
        env = {
            **os.environ, "PYTHONPATH": str(PROJECT_ROOT), "RYGGVETT_DB_URL": seeded.db_url,
            "RYGGVETT_TRACKER_URL": seeded.tracker_url, "RYGGVETT_DASHBOARD_TRUSTED_PROXIES": trusted,
        }  # fmt: skip
        command = [sys.executable, "-m", "dashboard", "serve", "--host", "127.0.0.1", "--port", str(port)]
        log = tmp_path / f"serve-{trusted}.log"
        with open(log, "w") as out:
            process = subprocess.Popen(command, cwd=PROJECT_ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
        try:
            wait_for_http(f"http://127.0.0.1:{port}/login", process, log, 60)
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/login", timeout=10) as page:
                token = re.search(r'name="csrf_token" value="([^"]+)"', page.read().decode())[1]
            form = {"username": username, "password": "wrong password!", "csrf_token": token}
            headers = {"X-Forwarded-For": "198.51.100.12", "Cookie": f"{LOGIN_CSRF_COOKIE}={token}"}
            post = urllib.request.Request(f"http://127.0.0.1:{port}/login", urlencode(form).encode(), headers)
            with pytest.raises(urllib.error.HTTPError) as refused:
                urllib.request.urlopen(post, timeout=10)
            assert refused.value.code == 401
        finally:
            stop_process(process)
        assert login_addresses(seeded, username) == [expected]


def test_a_blank_origin_passes_only_with_same_origin_fetch_metadata(clinician, seeded):
    url = f"/conversations/{seeded.ids['lifting']}/tags"
    refused = clinician.post(url, {"tag": "from-nowhere"}, headers={"Origin": "null"})
    assert refused.status_code == 403
    accepted = clinician.post(url, {"tag": "same-site"}, headers={"Origin": "null", "Sec-Fetch-Site": "same-origin"})
    assert accepted.status_code == 302


def test_refusals_and_form_errors_are_explained_in_the_readers_language(clinician, admin):
    assert "Bare en administrator kan åpne denne siden." in clinician.get("/admin/users").text
    assert "Only an admin can open this page." in clinician.get("/admin/users?lang=en").text
    short = admin.post("/admin/users", {"username": "newcomer", "password": "short", "role": "clinician"})
    assert short.status_code == 400 and "Passordet må ha minst 12 tegn." in short.text
    missing = html.unescape(clinician.get("/conversations/no-such-conversation?lang=nb").text)
    assert "Samtalen finnes ikke" in missing
