"""The dashboard app over seeded real conversations, on SQLite and on PostgreSQL."""

from __future__ import annotations

import contextlib
import re
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy.orm import Session

from dashboard.app import DashboardConfig, create_app
from ryggvett.review.accounts import AccountError, create_user
from ryggvett.review.models import review_engine

PASSWORD = "a long test passphrase"
BASE_URL = "https://dashboard.test"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def ensure_user(db_url: str, username: str, role: str) -> None:
    # The user may exist already, from an earlier test of this session.
    with Session(review_engine(db_url)) as session, session.begin(), contextlib.suppress(AccountError):
        create_user(session, username, PASSWORD, role)


@dataclass
class Browser:
    """Flask's test client over HTTPS (the cookies are Secure), logged in or not."""

    client: Any
    csrf: str = ""

    def get(self, path: str, **kwargs: Any) -> Any:
        return self.client.get(path, base_url=BASE_URL, **kwargs)

    def post(self, path: str, data: dict[str, Any] | None = None, csrf: bool = True, **kwargs: Any) -> Any:
        data = dict(data or {})
        if csrf:
            data.setdefault("csrf_token", self.csrf)
        return self.client.post(path, data=data, base_url=BASE_URL, **kwargs)

    def login(self, username: str, password: str = PASSWORD) -> Any:
        page = self.get("/login")
        response = self.post(
            "/login", {"username": username, "password": password, "csrf_token": CSRF.search(page.text)[1]}
        )
        if response.status_code == 302:
            self.csrf = CSRF.search(self.get("/conversations").text)[1]
        return response


@pytest.fixture(params=["sqlite", "postgres"])
def seeded(request):
    return request.getfixturevalue(f"seeded_{request.param}")


@pytest.fixture
def app(seeded):
    ensure_user(seeded.db_url, "admin-test", "admin")
    ensure_user(seeded.db_url, "clinician-test", "clinician")
    return create_app(DashboardConfig(tracker_url=seeded.tracker_url, db_url=seeded.db_url))


@pytest.fixture
def anonymous(app) -> Browser:
    return Browser(app.test_client())


@pytest.fixture
def clinician(app) -> Browser:
    browser = Browser(app.test_client())
    assert browser.login("clinician-test").status_code == 302
    return browser


@pytest.fixture
def admin(app) -> Browser:
    browser = Browser(app.test_client())
    assert browser.login("admin-test").status_code == 302
    return browser
