"""Every route of the dashboard for every role: the page, or 403; the login page for anonymous visitors.

The routes come from the app's url_map, so a new route fails here until ACCESS says who may use it.
"""

from __future__ import annotations

import pytest

from dashboard import DashboardConfig, create_app
from ryggvett.review.accounts import ADMIN, CLINICIAN, RECEPTION, ROLES
from tests.dashboard.conftest import CSRF, Browser, current_code

PUBLIC = frozenset({"anyone"})
EVERYONE = frozenset(ROLES)
STAFF = frozenset({CLINICIAN, ADMIN})  # conversations (health data), analytics, exports
WORKLIST = frozenset({RECEPTION, ADMIN})  # callback requests: names and phone numbers
ADMINS = frozenset({ADMIN})
ACCESS = {
    ("GET", "/login"): PUBLIC,
    ("POST", "/login"): PUBLIC,
    ("GET", "/static/<path:filename>"): PUBLIC,
    ("GET", "/"): EVERYONE,
    ("GET", "/login/second-factor"): EVERYONE,
    ("POST", "/login/second-factor"): EVERYONE,
    ("GET", "/login/enrol"): EVERYONE,
    ("POST", "/login/enrol"): EVERYONE,
    ("POST", "/logout"): EVERYONE,
    ("GET", "/conversations"): STAFF,
    ("GET", "/conversations/<path:conversation_id>"): STAFF,
    ("POST", "/conversations/<path:conversation_id>/turns/<int:event_id>"): STAFF,
    ("POST", "/conversations/<path:conversation_id>/tags"): STAFF,
    ("POST", "/conversations/<path:conversation_id>/review"): STAFF,
    ("GET", "/conversations/<path:conversation_id>/story.yml"): STAFF,
    ("GET", "/analytics"): STAFF,
    ("GET", "/exports"): STAFF,
    ("GET", "/exports/corrections.<kind>"): STAFF,
    ("GET", "/callbacks"): WORKLIST,
    ("POST", "/callbacks/<int:request_id>/done"): WORKLIST,
    ("GET", "/admin/users"): ADMINS,
    ("POST", "/admin/users"): ADMINS,
    ("POST", "/admin/users/<int:user_id>"): ADMINS,
    ("POST", "/admin/users/<int:user_id>/second-factor"): ADMINS,
    ("GET", "/admin/audit"): ADMINS,
    ("GET", "/admin/privacy"): ADMINS,
    ("POST", "/admin/privacy/forget"): ADMINS,
    ("POST", "/admin/privacy/retention"): ADMINS,
}
# All a session that has passed the password but not the second factor may open.
SECOND_FACTOR_STEP = {"/login/second-factor", "/login/enrol", "/logout"}


def app_routes() -> list[tuple[str, str]]:
    app = create_app(DashboardConfig(tracker_url="sqlite://", db_url="sqlite://"))
    return sorted(
        (method, rule.rule) for rule in app.url_map.iter_rules() for method in rule.methods - {"HEAD", "OPTIONS"}
    )


ROUTES = app_routes()


def test_every_route_is_in_the_table_and_the_table_has_no_stale_route():
    assert sorted(set(ROUTES) - set(ACCESS)) == [], "new routes: say in ACCESS which roles may use them"
    assert sorted(set(ACCESS) - set(ROUTES)) == []


def build_url(app, method: str, rule: str, seeded) -> str:
    """GETs open real pages; POSTs name nothing that exists and send empty forms, so they change nothing."""
    arguments = {
        "conversation_id": seeded.ids["medication"] if method == "GET" else "no-such-conversation",
        "event_id": 1,
        "request_id": 999_999,
        "user_id": 999_999,
        "kind": "csv",
        "filename": "dashboard.css",
    }
    [found] = [r for r in app.url_map.iter_rules() if r.rule == rule and method in r.methods]
    return found.build({name: arguments[name] for name in found.arguments}, append_unknown=False)[1]


def send(browser: Browser, method: str, url: str, form: dict[str, str] | None = None):
    return browser.get(url) if method == "GET" else browser.post(url, form or {})


@pytest.fixture
def halfway(app) -> Browser:
    """A clinician who has given the password but not yet the second factor."""
    browser = Browser(app.test_client())
    assert browser.password("clinician-test").headers["Location"] == "/login/second-factor"
    browser.csrf = CSRF.search(browser.get("/login/second-factor").text)[1]
    return browser


@pytest.mark.parametrize(("method", "rule"), ROUTES, ids=[f"{m} {r}" for m, r in ROUTES])
def test_each_role_gets_what_the_table_says(method, rule, app, seeded, anonymous, reception, clinician, admin, halfway):
    allowed = ACCESS.get((method, rule))
    assert allowed is not None, f"{method} {rule} is new: say in ACCESS which roles may use it"
    url = build_url(app, method, rule, seeded)
    for role, browser in ((RECEPTION, reception), (CLINICIAN, clinician), (ADMIN, admin)):
        response = send(browser, method, url)
        if role in allowed or allowed is PUBLIC:
            assert response.status_code not in (401, 403) and response.status_code < 500, (role, response.status)
            if method == "GET":
                assert response.status_code == 200 or not response.headers["Location"].startswith("/login?"), role
        else:
            assert response.status_code == 403, (role, response.status)

    response = send(anonymous, method, url)
    if allowed is PUBLIC:
        assert response.status_code not in (401, 403)
    elif method == "GET":
        assert response.status_code == 302 and response.headers["Location"].startswith("/login?next=/")
    else:
        assert response.status_code == 401

    form = {"code": current_code(halfway.db_url, "clinician-test")} if rule == "/login/second-factor" else None
    response = send(halfway, method, url, form)
    if allowed is PUBLIC or rule in SECOND_FACTOR_STEP:
        assert response.status_code not in (401, 403) and response.status_code < 500, response.status
    elif method == "GET":
        assert response.status_code == 302 and response.headers["Location"] == "/login/second-factor"
    else:
        assert response.status_code == 401
