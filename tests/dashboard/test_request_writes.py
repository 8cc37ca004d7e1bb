"""What a request leaves in the project database: nothing, if it fails after writing; and on a GET, only what
security needs (the login's last-seen time, and the audit records of who viewed or exported personal data).

Every table is compared, row by row, before and after.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pyotp
import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session
from werkzeug.exceptions import Conflict

from dashboard import DashboardConfig, create_app
from ryggvett.reference.models import make_engine
from ryggvett.review import audit
from ryggvett.review.conversations import refresh_index
from ryggvett.review.models import review_engine
from tests.dashboard.conftest import CSRF, Browser, empty_database, ensure_user

Snapshot = dict[str, list[dict[str, Any]]]
# Written on every request with a session cookie, GET or not: the idle timeout counts from it.
SESSION_TOUCH = {("dashboard_sessions", "last_seen_at")}
# The audit chain's row follows each new audit record; the records themselves are checked one by one.
CHAIN_HEAD = {("audit_chain", "head_id"), ("audit_chain", "head_hash"), ("audit_chain", "start_id")}


def snapshot(db_url: str) -> Snapshot:
    """Every row of every table of the database."""
    engine = make_engine(db_url)
    with engine.connect() as connection:
        metadata = sa.MetaData()
        metadata.reflect(connection)
        return {
            name: [dict(row._mapping) for row in connection.execute(sa.select(table))]
            for name, table in metadata.tables.items()
        }


def last_audit_id(tables: Snapshot) -> int:
    return max((row["id"] for row in tables.get("audit_log", [])), default=0)


def comparable(tables: Snapshot, audit_upto: int, ignored: set[tuple[str, str]]) -> dict[str, list[tuple]]:
    """The rows as sorted tuples, without the ignored columns and the audit records after `audit_upto`."""
    return {
        name: sorted(
            tuple(sorted((column, repr(value)) for column, value in row.items() if (name, column) not in ignored))
            for row in rows
            if not (name == "audit_log" and row["id"] > audit_upto)
        )
        for name, rows in tables.items()
    }


def changes(before: Snapshot, after: Snapshot, ignored: set[tuple[str, str]]) -> tuple[list[str], list[tuple]]:
    """The tables that changed (besides the ignored columns and new audit records), and the new audit records."""
    upto = last_audit_id(before)
    old, new = comparable(before, upto, ignored), comparable(after, upto, ignored)
    changed = sorted(name for name in old.keys() | new.keys() if old.get(name) != new.get(name))
    records = [
        (row["username"], row["action"], row["conversation_id"])
        for row in sorted(after.get("audit_log", []), key=lambda row: row["id"])
        if row["id"] > upto
    ]
    return changed, records


def assert_chain_verifies(db_url: str) -> None:
    with Session(review_engine(db_url)) as session:
        check = audit.verify(session)
    assert check.ok, check.message


# (a) A request that fails after writing commits nothing.


# An abort (an HTTPException, which the error page answers) or a crash (answered with a 500).
@pytest.mark.parametrize("failure", [Conflict, RuntimeError], ids=["aborted", "crashed"])
def test_a_request_that_fails_after_writing_commits_nothing(clinician, seeded, monkeypatch, failure):
    conversation_id = seeded.ids["lifting"]
    real_record = audit.record

    def record_then_fail(*args: Any, **kwargs: Any) -> None:
        # The review mark is written already, and now the audit record too: then the request fails.
        real_record(*args, **kwargs)
        raise failure("failed after writing")

    before = snapshot(seeded.db_url)
    monkeypatch.setattr(audit, "record", record_then_fail)
    response = clinician.post(f"/conversations/{conversation_id}/review", {"reviewed": "1"})
    monkeypatch.undo()

    assert response.status_code == (409 if failure is Conflict else 500)
    assert changes(before, snapshot(seeded.db_url), SESSION_TOUCH) == ([], [])
    assert_chain_verifies(seeded.db_url)
    # The same request without the failure is committed: the view commits its own writes.
    assert clinician.post(f"/conversations/{conversation_id}/review", {"reviewed": "1"}).status_code == 302
    changed, records = changes(before, snapshot(seeded.db_url), SESSION_TOUCH | CHAIN_HEAD)
    assert changed == ["review_conversation_reviews"]
    assert records == [("clinician-test", "reviewed", conversation_id)]


# (b) A GET writes nothing but what security needs.

PER_CONVERSATION = ("view", "export_story")  # the audit records that name the conversation


def get_urls(app, seeded) -> dict[str, list[str]]:
    """Each GET route's URLs (real pages, some with filters) and the audit records each must write, in order."""
    conversation = seeded.ids["medication"]
    urls = {
        "/login": [],
        "/static/<path:filename>": {"/static/dashboard.css": []},
        "/": [],
        "/login/second-factor": [],
        "/login/enrol": [],
        "/conversations": {"/conversations": ["view_list"], "/conversations?flag=any&page=2": ["view_list"]},
        "/conversations/<path:conversation_id>": {
            f"/conversations/{conversation}": ["view"],
            "/conversations/no-such-conversation": [],
        },
        "/conversations/<path:conversation_id>/story.yml": {
            f"/conversations/{conversation}/story.yml": ["export_story"],
        },
        "/analytics": {"/analytics": ["view_list"], "/analytics?days=7&lang=en": ["view_list"]},
        "/exports": ["view_list"],
        "/exports/corrections.<kind>": {
            "/exports/corrections.csv": ["export_csv"],
            "/exports/corrections.yml?all=1": ["export_yml"],
        },
        "/callbacks": {"/callbacks": ["view_list"], "/callbacks?done=1": ["view_list"]},
        "/admin/users": ["view_list"],
        "/admin/audit": {"/admin/audit?user=admin-test": ["view_list"]},
        "/admin/privacy": [],
    }
    rules = sorted(rule.rule for rule in app.url_map.iter_rules() if "GET" in rule.methods)
    assert rules == sorted(urls), "a GET route is new or gone: say here what it may write"
    found = {"/no-such-page": []}
    for rule, pages in urls.items():
        found.update(pages if isinstance(pages, dict) else {rule: pages})
    return found


def assert_gets_write_nothing_but_security_records(app, admin: Browser, seeded, db_url: str) -> None:
    # The conversation index is a cache of the tracker store that the list refreshes when conversations came or
    # went (dashboard.db.refresh_conversation_index); it is brought up to date here, so that no GET below
    # has reason to change it.
    refresh_index(make_engine(seeded.tracker_url), review_engine(db_url), app.config["DASHBOARD"].low_confidence)
    conversation = seeded.ids["medication"]
    wrote = {}
    for url, actions in get_urls(app, seeded).items():
        before = snapshot(db_url)
        response = admin.get(url)
        assert response.status_code in ((404,) if "no-such" in url else (200, 302)), (url, response.status)
        changed, records = changes(before, snapshot(db_url), SESSION_TOUCH | CHAIN_HEAD)
        expected = [("admin-test", action, conversation if action in PER_CONVERSATION else None) for action in actions]
        if changed or records != expected:
            wrote[url] = (changed, records)
    assert wrote == {}  # url: (the tables it changed, the audit records it wrote) where not as expected
    assert_chain_verifies(db_url)


def test_a_get_writes_nothing_but_security_records(app, admin, seeded):
    assert_gets_write_nothing_but_security_records(app, admin, seeded, seeded.db_url)


@dataclass
class Fresh:
    """A dashboard over the seeded conversations and an empty project database of its own."""

    app: Any
    seeded: Any
    db_url: str


@pytest.fixture(params=["sqlite", "postgres"])
def fresh(request, tmp_path) -> Iterator[Fresh]:
    seeded = request.getfixturevalue(f"seeded_{request.param}")
    for db_url in empty_database(request, tmp_path, "fresh"):
        ensure_user(db_url, "admin-test", "admin")
        ensure_user(db_url, "newcomer", "clinician", second_factor=False)
        yield Fresh(create_app(DashboardConfig(tracker_url=seeded.tracker_url, db_url=db_url)), seeded, db_url)


def test_a_get_writes_nothing_but_security_records_on_a_new_database(fresh):
    # The tables the pages read that the dashboard did not make (callbacks, check-ins) are made by create_app.
    admin = Browser(fresh.app.test_client())
    assert admin.login("admin-test").status_code == 302
    assert_gets_write_nothing_but_security_records(fresh.app, admin, fresh.seeded, fresh.db_url)


def test_the_enrolment_page_writes_nothing_but_the_session_touch(fresh):
    newcomer = Browser(fresh.app.test_client())
    assert newcomer.password("newcomer").headers["Location"] == "/login/enrol"
    before = snapshot(fresh.db_url)
    first = newcomer.get("/login/enrol")
    assert first.status_code == 200 and newcomer.get("/login/enrol").text == first.text  # the same code twice
    assert newcomer.get("/login/second-factor").headers["Location"] == "/login/enrol"
    assert changes(before, snapshot(fresh.db_url), SESSION_TOUCH) == ([], [])
    # The code the page showed (its seed made at the password step) enrols.
    newcomer.csrf = CSRF.search(first.text)[1]
    secret = re.search(r'<code class="secret">([A-Z2-7]+)</code>', first.text)[1]
    done = newcomer.post("/login/enrol", {"code": pyotp.TOTP(secret).now()})
    assert done.status_code == 200 and newcomer.get("/conversations").status_code == 200
