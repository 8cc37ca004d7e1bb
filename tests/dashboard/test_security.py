"""The dashboard refuses anonymous requests, clinicians on admin pages, forged posts, scripts and guessing."""

from __future__ import annotations

import html
import re

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from dashboard.security import HEADERS, SESSION_COOKIE
from ryggvett.review.models import ConversationTagRow, UserRow, review_engine
from tests.dashboard.conftest import PASSWORD, Browser, ensure_user

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


def test_login_is_rate_limited(app, seeded):
    ensure_user(seeded.db_url, "rate-limited", "clinician")
    browser = Browser(app.test_client())
    statuses = [browser.login("rate-limited", "wrong password!").status_code for _ in range(5)]
    assert statuses == [401] * 5
    refused = browser.login("rate-limited", PASSWORD)  # even the right password, for a while
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) > 0


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


@pytest.mark.parametrize("target", ["//evil.example/x", "https://evil.example", "/\\evil.example"])
def test_login_never_redirects_off_site(anonymous, target):
    page = anonymous.get(f"/login?next={target}")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)[1]
    response = anonymous.post(
        "/login", {"username": "clinician-test", "password": PASSWORD, "next": target, "csrf_token": token}, csrf=False
    )
    assert response.status_code == 302 and response.headers["Location"] == "/conversations"


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
