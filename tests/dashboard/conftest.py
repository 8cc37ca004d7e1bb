"""The dashboard app over seeded real conversations, on SQLite and on PostgreSQL."""

from __future__ import annotations

import contextlib
import datetime as dt
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pyotp
import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from dashboard import DashboardConfig, create_app
from ryggvett.review import accounts
from ryggvett.review.accounts import AccountError, create_user, enable_totp, new_totp_seed, totp_secret
from ryggvett.review.models import UserRow, review_engine

PASSWORD = "a long test passphrase"
BASE_URL = "https://dashboard.test"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def ensure_user(db_url: str, username: str, role: str, second_factor: bool = True) -> None:
    """A user with PASSWORD, enrolled in TOTP unless told not to; may exist already from an earlier test."""
    with Session(review_engine(db_url)) as session, session.begin(), contextlib.suppress(AccountError):
        user = create_user(session, username, PASSWORD, role)
        if second_factor:
            seed = new_totp_seed()
            assert enable_totp(session, user.id, seed, pyotp.TOTP(totp_secret(seed)).now())


def current_code(db_url: str, username: str, at: dt.datetime | None = None) -> str:
    """The user's TOTP code now, from the stored seed; forgets the last code used, so that a test may
    log the same user in more than once within one 30-second step."""
    with Session(review_engine(db_url)) as session, session.begin():
        row = session.scalars(sa.select(UserRow).where(UserRow.username == username)).one()
        row.totp_last_step = None
        return pyotp.TOTP(totp_secret(row.totp_seed)).at(at or accounts.utcnow())


@dataclass
class Browser:
    """Flask's test client over HTTPS (the cookies are Secure), logged in or not."""

    client: Any
    csrf: str = ""

    @property
    def db_url(self) -> str:
        return self.client.application.config["DASHBOARD"].db_url

    def get(self, path: str, **kwargs: Any) -> Any:
        return self.client.get(path, base_url=BASE_URL, **kwargs)

    def post(self, path: str, data: dict[str, Any] | None = None, csrf: bool = True, **kwargs: Any) -> Any:
        data = dict(data or {})
        if csrf:
            data.setdefault("csrf_token", self.csrf)
        return self.client.post(path, data=data, base_url=BASE_URL, **kwargs)

    def from_address(self, address: str) -> Browser:
        """Requests from now on come from this socket address."""
        self.client.environ_base["REMOTE_ADDR"] = address
        return self

    def password(
        self, username: str, password: str = PASSWORD, headers: dict[str, str] | None = None, **form: str
    ) -> Any:
        """The login form: on success, a session that opens only the second-factor step."""
        token = CSRF.search(self.get("/login", headers=headers).text)[1]
        data = {"username": username, "password": password, "csrf_token": token, **form}
        return self.post("/login", data, headers=headers)

    def login(self, username: str, password: str = PASSWORD) -> Any:
        """Password, then the current TOTP code: the full login's response (or the first refusal)."""
        response = self.password(username, password)
        if response.status_code != 302 or not response.headers["Location"].startswith("/login/second-factor"):
            return response
        return self.second_factor(current_code(self.db_url, username))

    def second_factor(self, code: str, **form: str) -> Any:
        page = self.get("/login/second-factor")
        self.csrf = CSRF.search(page.text)[1]
        response = self.post("/login/second-factor", {"code": code, **form})
        if response.status_code == 302:
            self.csrf = CSRF.search(self.get("/", follow_redirects=True).text)[1]
        return response


def empty_database(request, tmp_path, name: str) -> Iterator[str]:
    """A SQLite file, or a schema of its own on the PostgreSQL test server (dropped afterwards)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / f'{name}.db'}"
        return
    base = request.getfixturevalue("postgres_url")
    schema = f"{name}_{uuid.uuid4().hex[:8]}"
    with sa.create_engine(base).begin() as connection:
        connection.execute(sa.text(f"create schema {schema}"))
    url = f"{base}{'&' if '?' in base else '?'}options=-csearch_path%3D{schema}"
    yield url
    review_engine(url).dispose()
    with sa.create_engine(base).begin() as connection:
        connection.execute(sa.text(f"drop schema {schema} cascade"))


@pytest.fixture(params=["sqlite", "postgres"])
def project_db_url(request, tmp_path) -> Iterator[str]:
    """An empty project database."""
    yield from empty_database(request, tmp_path, "project")


@pytest.fixture(params=["sqlite", "postgres"])
def seeded(request):
    return request.getfixturevalue(f"seeded_{request.param}")


@pytest.fixture
def app(seeded):
    ensure_user(seeded.db_url, "admin-test", "admin")
    ensure_user(seeded.db_url, "clinician-test", "clinician")
    ensure_user(seeded.db_url, "reception-test", "reception")
    return create_app(DashboardConfig(tracker_url=seeded.tracker_url, db_url=seeded.db_url))


@pytest.fixture
def anonymous(app) -> Browser:
    return Browser(app.test_client())


def _logged_in(app, username: str) -> Browser:
    browser = Browser(app.test_client())
    response = browser.login(username)
    assert response.status_code == 302, response.text
    return browser


@pytest.fixture
def reception(app) -> Browser:
    return _logged_in(app, "reception-test")


@pytest.fixture
def clinician(app) -> Browser:
    return _logged_in(app, "clinician-test")


@pytest.fixture
def admin(app) -> Browser:
    return _logged_in(app, "admin-test")
