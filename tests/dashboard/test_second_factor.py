"""The second factor: TOTP enrolment with a QR code, a code at every login, recovery codes, an admin's reset."""

from __future__ import annotations

import base64
import datetime as dt
import html
import os
import re
import subprocess
import sys

import pyotp
import pytest
import segno
import sqlalchemy as sa
from sqlalchemy.orm import Session

from dashboard.security import HEADERS, SESSION_COOKIE
from ryggvett.review import accounts
from ryggvett.review.accounts import FREE_FAILURES, enable_totp, new_totp_seed, totp_secret
from ryggvett.review.models import AuditRow, RecoveryCodeRow, UserRow, review_engine
from ryggvett.settings import PROJECT_ROOT
from tests.dashboard.conftest import CSRF, PASSWORD, Browser, current_code, ensure_user

RECOVERY_CODE = re.compile(r"<li><code>([a-z2-7]{4}(?:-[a-z2-7]{4}){3})</code></li>")


def user_row(seeded, username: str) -> UserRow:
    with Session(review_engine(seeded.db_url)) as session:
        return session.scalars(sa.select(UserRow).where(UserRow.username == username)).one()


def audit_details(seeded, action: str, username: str) -> list[str]:
    with Session(review_engine(seeded.db_url)) as session:
        query = sa.select(AuditRow.detail).where(AuditRow.action == action, AuditRow.username == username)
        return list(session.scalars(query.order_by(AuditRow.id)))


def dark_modules(svg: str) -> set[tuple[int, int]]:
    """The dark modules an inline SVG from segno draws (its one path: runs of "h" along rows)."""
    x = y = 0.0
    dark = set()
    for op, a, b in re.findall(r"([Mmh])(-?[\d.]+)(?: (-?[\d.]+))?", re.search(r' d="([^"]+)"', svg)[1]):
        if op == "M":
            x, y = float(a), float(b)
        elif op == "m":
            x, y = x + float(a), y + float(b)
        else:
            dark |= {(int(x) + i, int(y)) for i in range(int(a))}
            x += int(a)
    return dark


def qr_modules(uri: str) -> set[tuple[int, int]]:
    rows = segno.make(uri, error="m").matrix_iter(border=4)
    return {(x, y) for y, row in enumerate(rows) for x, dark in enumerate(row) if dark}


def enrol(browser: Browser, username: str) -> tuple[str, list[str], object]:
    """Password, then the enrolment page's secret and its first code: (secret, recovery codes, the response)."""
    assert browser.password(username).headers["Location"] == "/login/enrol"
    page = browser.get("/login/enrol")
    browser.csrf = CSRF.search(page.text)[1]
    secret = re.search(r'<code class="secret">([A-Z2-7]+)</code>', page.text)[1]
    done = browser.post("/login/enrol", {"code": pyotp.TOTP(secret).now()})
    browser.csrf = CSRF.search(browser.get("/", follow_redirects=True).text)[1]
    return secret, RECOVERY_CODE.findall(done.text), done


def test_a_new_account_enrols_with_a_qr_code_before_anything_else(app, seeded, admin):
    created = admin.post("/admin/users", {"username": "newcomer", "password": PASSWORD, "role": "clinician"})
    assert created.status_code == 302
    browser = Browser(app.test_client())
    assert browser.password("newcomer").headers["Location"] == "/login/enrol"
    for url in ("/", "/conversations", "/callbacks", "/admin/users", "/login/second-factor"):
        assert browser.get(url).headers["Location"] == "/login/enrol", url

    page = browser.get("/login/enrol")
    assert page.status_code == 200 and page.headers["Content-Security-Policy"] == HEADERS["Content-Security-Policy"]
    assert "<script" not in page.text and "style=" not in page.text and not re.search(r"\son[a-z]+=", page.text)
    secret = re.search(r'<code class="secret">([A-Z2-7]+)</code>', page.text)[1]
    uri = html.unescape(re.search(r'<a class="qr" href="([^"]+)"', page.text)[1])
    assert (pyotp.parse_uri(uri).secret, pyotp.parse_uri(uri).name, pyotp.parse_uri(uri).issuer) == (
        secret, "newcomer", "Ryggvett",
    )  # fmt: skip
    svg = re.search(r'<svg[^>]*class="qr".*?</svg>', page.text, re.S)[0]
    assert dark_modules(svg) == qr_modules(uri)  # the QR code is that address
    assert secret in browser.get("/login/enrol").text  # a reload keeps the code the phone has scanned

    browser.csrf = CSRF.search(page.text)[1]
    wrong = browser.post("/login/enrol", {"code": "000000"})
    assert wrong.status_code == 400 and "Koden er feil" in wrong.text
    done = browser.post("/login/enrol", {"code": pyotp.TOTP(secret).now()})
    codes = RECOVERY_CODE.findall(done.text)
    assert done.status_code == 200 and len(set(codes)) == 10
    assert done.headers["Set-Cookie"].startswith(f"{SESSION_COOKIE}=")  # a new token for the full login
    assert browser.get("/conversations").status_code == 200

    row = user_row(seeded, "newcomer")
    assert row.totp_seed and secret not in row.totp_seed
    with Session(review_engine(seeded.db_url)) as session:
        stored = list(session.scalars(sa.select(RecoveryCodeRow.code_hash).where(RecoveryCodeRow.user_id == row.id)))
    assert len(stored) == 10 and not {code.replace("-", "") for code in codes} & set(stored)
    assert audit_details(seeded, "second_factor_enrol", "newcomer")


def test_the_password_alone_opens_only_the_second_factor_step_and_only_for_minutes(app, seeded, monkeypatch):
    browser = Browser(app.test_client())
    assert browser.password("clinician-test").headers["Location"] == "/login/second-factor"
    assert browser.get("/conversations").headers["Location"] == "/login/second-factor"
    browser.csrf = CSRF.search(browser.get("/login/second-factor").text)[1]
    assert browser.post(f"/conversations/{seeded.ids['lifting']}/tags", {"tag": "half-logged-in"}).status_code == 401
    later = accounts.utcnow() + accounts.PASSWORD_STAGE_LIFETIME + dt.timedelta(seconds=1)
    monkeypatch.setattr(accounts, "utcnow", lambda: later)
    assert browser.get("/login/second-factor").headers["Location"].startswith("/login?next=")


def test_a_code_counts_once(app, seeded):
    code = current_code(seeded.db_url, "clinician-test")
    first = Browser(app.test_client())
    first.password("clinician-test")
    assert first.second_factor(code).status_code == 302
    second = Browser(app.test_client())
    second.password("clinician-test")
    refused = second.second_factor(code)
    assert refused.status_code == 401 and "allerede brukt" in refused.text
    assert second.get("/conversations").headers["Location"] == "/login/second-factor"


def test_wrong_codes_are_throttled_per_user_and_address(app, seeded):
    ensure_user(seeded.db_url, "fumbler", "clinician")
    guesser = Browser(app.test_client()).from_address("198.51.100.30")
    guesser.password("fumbler")
    statuses = [guesser.second_factor("123456").status_code for _ in range(FREE_FAILURES + 2)]
    assert statuses == [401] * FREE_FAILURES + [429, 429]
    assert guesser.second_factor(current_code(seeded.db_url, "fumbler")).status_code == 429
    user = Browser(app.test_client()).from_address("203.0.113.30")
    assert user.login("fumbler").status_code == 302


def test_each_recovery_code_works_once(app, seeded):
    ensure_user(seeded.db_url, "phone-lost", "clinician", second_factor=False)
    _, codes, _ = enrol(Browser(app.test_client()), "phone-lost")
    browser = Browser(app.test_client())
    browser.password("phone-lost")
    typed = codes[3].upper().replace("-", " ")  # as someone might type it off paper
    assert browser.second_factor(typed).status_code == 302
    assert audit_details(seeded, "login", "phone-lost")[-1].startswith("recovery code (9 left)")
    again = Browser(app.test_client())
    again.password("phone-lost")
    assert again.second_factor(codes[3]).status_code == 401
    assert again.second_factor(codes[4]).status_code == 302


def test_an_admin_resets_a_lost_second_factor_and_it_is_logged(app, seeded, admin):
    ensure_user(seeded.db_url, "reset-me", "clinician", second_factor=False)
    user = Browser(app.test_client())
    _, old_codes, _ = enrol(user, "reset-me")
    assert user.get("/conversations").status_code == 200
    row = user_row(seeded, "reset-me")
    assert "satt opp" in admin.get("/admin/users").text
    assert admin.post(f"/admin/users/{row.id}/second-factor").status_code == 302
    assert audit_details(seeded, "second_factor_reset", "admin-test")[-1].startswith("reset-me")
    assert user.get("/conversations").headers["Location"].startswith("/login?next=")  # logged out
    assert user_row(seeded, "reset-me").totp_seed is None
    fresh = Browser(app.test_client())
    _, new_codes, done = enrol(fresh, "reset-me")
    assert done.status_code == 200 and not set(old_codes) & set(new_codes)
    later = Browser(app.test_client())
    later.password("reset-me")
    assert later.second_factor(old_codes[0]).status_code == 401


def test_enrolling_never_replaces_a_second_factor(app, seeded):
    browser = Browser(app.test_client())
    browser.password("clinician-test")  # knows the password, not the phone
    assert browser.get("/login/enrol").headers["Location"] == "/login/second-factor"
    browser.csrf = CSRF.search(browser.get("/login/second-factor").text)[1]
    before = user_row(seeded, "clinician-test").totp_seed
    assert browser.post("/login/enrol", {"code": "123456"}).headers["Location"] == "/login/second-factor"
    with Session(review_engine(seeded.db_url)) as session, session.begin():
        seed = new_totp_seed()
        row = session.scalars(sa.select(UserRow).where(UserRow.username == "clinician-test")).one()
        assert enable_totp(session, row.id, seed, pyotp.TOTP(totp_secret(seed)).now()) is None
    assert user_row(seeded, "clinician-test").totp_seed == before


def test_the_totp_secret_needs_the_key_when_one_is_set(monkeypatch):
    seed = new_totp_seed()
    monkeypatch.delenv("RYGGVETT_DASHBOARD_TOTP_KEY", raising=False)
    without_key = totp_secret(seed)
    monkeypatch.setenv("RYGGVETT_DASHBOARD_TOTP_KEY", "from the secret store")
    keyed = totp_secret(seed)
    assert keyed != without_key and len(base64.b32decode(keyed)) == 20
    assert totp_secret(seed) == keyed  # stable while the key is


@pytest.mark.parametrize("command", ["create-admin", "reset-second-factor"])
def test_the_command_line_makes_admins_who_enrol_and_resets_a_lost_second_factor(app, seeded, command):
    env = {
        **os.environ, "PYTHONPATH": str(PROJECT_ROOT), "RYGGVETT_DB_URL": seeded.db_url,
        "RYGGVETT_ADMIN_PASSWORD": PASSWORD,
    }  # fmt: skip
    username = "cli-admin" if command == "create-admin" else "cli-reset"
    if command == "reset-second-factor":
        ensure_user(seeded.db_url, username, "admin")
        assert user_row(seeded, username).totp_seed is not None
    done = subprocess.run(
        [sys.executable, "-m", "dashboard", command, username],
        env=env, capture_output=True, text=True, timeout=120, cwd=PROJECT_ROOT,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert user_row(seeded, username).totp_seed is None
    assert Browser(app.test_client()).password(username).headers["Location"] == "/login/enrol"
