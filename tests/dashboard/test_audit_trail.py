"""What the dashboard writes to the audit log: the lists people viewed with their filters, refused requests,
«forget» recorded before it deletes and done under the conversation's lock, retention runs; and never a typed
username that nobody has (it is often a password typed in the wrong field)."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as sa
from sqlalchemy.orm import Session

from dashboard import DashboardConfig, create_app
from dashboard.views import admin as admin_views
from ryggvett.callbacks import CallbackRequestRow
from ryggvett.review import audit
from ryggvett.review.accounts import FREE_FAILURES
from ryggvett.review.models import AuditRow, LoginThrottleRow, review_engine
from tests.dashboard.conftest import CSRF, Browser
from tests.seeding import SCRIPTS, drive
from tests.test_conversation_lock import rasa_turn


def last_id(seeded) -> int:
    with Session(review_engine(seeded.db_url)) as session:
        return session.scalar(sa.select(sa.func.max(AuditRow.id))) or 0


def rows_after(seeded, first: int, action: str | None = None) -> list[AuditRow]:
    with Session(review_engine(seeded.db_url)) as session:
        query = sa.select(AuditRow).where(AuditRow.id > first).order_by(AuditRow.id)
        if action:
            query = query.where(AuditRow.action == action)
        return list(session.scalars(query))


def test_list_views_are_recorded_with_their_filters(clinician, reception, admin, seeded):
    start = last_id(seeded)
    assert clinician.get("/conversations?language=nb&flag=red_flag&page=1").status_code == 200
    assert clinician.get("/analytics?days=7").status_code == 200
    assert clinician.get("/exports").status_code == 200
    assert reception.get("/callbacks?done=1").status_code == 200
    assert admin.get("/admin/users").status_code == 200
    assert admin.get("/admin/audit?user=clinician-test").status_code == 200

    lists = [(row.username, row.detail) for row in rows_after(seeded, start, "view_list")]
    assert [(username, detail.split(":")[0]) for username, detail in lists] == [
        ("clinician-test", "conversations"),
        ("clinician-test", "analytics"),
        ("clinician-test", "exports"),
        ("reception-test", "callbacks"),
        ("admin-test", "users"),
        ("admin-test", "audit"),
    ]
    details = [detail for _, detail in lists]
    assert "flag=red_flag" in details[0] and "language=nb" in details[0]
    assert "days=7" in details[1] and "done=1" in details[3] and "user=clinician-test" in details[5]
    with Session(review_engine(seeded.db_url)) as session:
        check = audit.verify(session)
    assert check.ok, check.message


def test_refused_requests_are_recorded_with_who_what_and_why(app, anonymous, clinician, seeded):
    tags = f"/conversations/{seeded.ids['lifting']}/tags"
    halfway = Browser(app.test_client())
    assert halfway.password("clinician-test").headers["Location"] == "/login/second-factor"
    halfway.csrf = CSRF.search(halfway.get("/login/second-factor").text)[1]
    start = last_id(seeded)

    assert anonymous.post("/admin/privacy/forget", {"conversation_id": "x"}, csrf=False).status_code == 401
    assert clinician.get("/admin/users").status_code == 403
    assert clinician.post(tags, {"tag": "forged", "csrf_token": "wrong"}).status_code == 400
    assert clinician.post(tags, {"tag": "forged"}, headers={"Origin": "https://evil.example"}).status_code == 403
    assert halfway.post(tags, {"tag": "early"}).status_code == 401

    refused = [(row.username, row.detail) for row in rows_after(seeded, start, "refused")]
    assert [(username, detail.split(":")[0]) for username, detail in refused] == [
        ("(anonymous)", "401 POST /admin/privacy/forget"),
        ("clinician-test", "403 GET /admin/users"),
        ("clinician-test", f"400 POST {tags}"),
        ("clinician-test", f"403 POST {tags}"),
        ("clinician-test", f"401 POST {tags}"),
    ]
    reasons = [detail.split(": ", 1)[1] for _, detail in refused]
    assert "clinician" in reasons[1] and "CSRF" in reasons[2] and "evil.example" in reasons[3]
    assert "second factor" in reasons[4]


def test_an_unknown_username_is_never_stored(anonymous, seeded):
    typed = "Vinter2024-Hemmelig"  # a password, typed in the username field
    anonymous.from_address("198.51.100.77")
    start = last_id(seeded)
    statuses = [anonymous.password(typed, "and something else").status_code for _ in range(FREE_FAILURES + 1)]
    assert statuses == [401] * FREE_FAILURES + [429]  # still throttled, as a real name would be

    recorded = rows_after(seeded, start)
    assert [(row.username, row.action) for row in recorded] == [("(unknown user)", "login_failed")] * FREE_FAILURES + [
        ("(unknown user)", "login_refused")
    ]
    with review_engine(seeded.db_url).connect() as connection:
        stored = [
            *connection.execute(sa.select(AuditRow.__table__).where(AuditRow.id > start)),
            *connection.execute(sa.select(LoginThrottleRow.__table__)),
        ]
    assert stored and not [row for row in stored if typed.lower() in repr(tuple(row)).lower()]


def test_forget_is_recorded_first_and_done_holding_the_conversation_lock(admin, seeded, monkeypatch):
    conversation_id = drive(seeded.rasa_url, "forget-locked", SCRIPTS["medication"])
    events: list[tuple[str, object]] = []

    @contextmanager
    def holding(conversation: str) -> Iterator[bool]:
        events.append(("lock", conversation))
        yield True
        events.append(("unlock", conversation))

    real_forget = admin_views.forget_conversation

    def forgetting(tracker, project, conversation: str):
        # Another connection sees only what is committed: the record must be there already.
        with Session(review_engine(seeded.db_url)) as session:
            query = sa.select(AuditRow).where(AuditRow.action == "forget", AuditRow.conversation_id == conversation)
            events.append(("delete", len(session.scalars(query).all())))
        return real_forget(tracker, project, conversation)

    monkeypatch.setattr(admin_views, "holding_conversation", holding)
    monkeypatch.setattr(admin_views, "forget_conversation", forgetting)
    response = admin.post("/admin/privacy/forget", {"conversation_id": conversation_id})

    assert response.status_code == 200
    assert events == [("lock", conversation_id), ("delete", 1), ("unlock", conversation_id)]
    with Session(review_engine(seeded.db_url)) as session:
        query = sa.select(AuditRow).where(AuditRow.conversation_id == conversation_id, AuditRow.action != "view")
        recorded = list(session.scalars(query.order_by(AuditRow.id)))
    assert [row.action for row in recorded] == ["forget", "forgotten"]
    assert "events" in recorded[1].detail


def test_forget_waits_for_the_turn_in_progress_on_the_shared_lock(admin, seeded, shared_lock_store, monkeypatch):
    conversation_id = drive(seeded.rasa_url, "forget-mid-turn", SCRIPTS["medication"])
    log: list[str] = []
    real_forget = admin_views.forget_conversation

    def forgetting(tracker, project, conversation: str):
        log.append("delete")
        return real_forget(tracker, project, conversation)

    monkeypatch.setattr(admin_views, "forget_conversation", forgetting)
    started = threading.Event()
    turn = threading.Thread(target=rasa_turn, args=(conversation_id, 1.0, log, started))
    turn.start()
    assert started.wait(10)
    response = admin.post("/admin/privacy/forget", {"conversation_id": conversation_id})
    turn.join(10)

    assert response.status_code == 200
    assert log == ["turn starts", "turn ends", "delete"]
    with Session(review_engine(seeded.db_url)) as session:
        query = sa.select(AuditRow.detail).where(AuditRow.conversation_id == conversation_id)
        assert session.scalars(query.where(AuditRow.action == "forget")).all() == ["lock held"]


def test_forget_is_recorded_even_when_the_deletion_fails(admin, seeded, monkeypatch):
    def broken(tracker, project, conversation: str):
        raise RuntimeError("the disk is full")

    monkeypatch.setattr(admin_views, "forget_conversation", broken)
    start = last_id(seeded)
    response = admin.post("/admin/privacy/forget", {"conversation_id": "crash-midway"})
    assert response.status_code == 500
    assert [(row.action, row.conversation_id) for row in rows_after(seeded, start)] == [("forget", "crash-midway")]


def test_the_retention_button_keeps_open_callbacks_only_their_period_and_ends_old_login_records(seeded):
    app = create_app(DashboardConfig(tracker_url=seeded.tracker_url, db_url=seeded.db_url, open_callback_days=5))
    admin = Browser(app.test_client())
    assert admin.login("admin-test").status_code == 302
    ten_days_ago = dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=10)
    with Session(review_engine(seeded.db_url)) as session, session.begin():
        request = CallbackRequestRow(
            conversation_id="open-ten-days", first_name="Kari", phone="+4791234567", language="nb",
            consent_given_at=ten_days_ago, created_at=ten_days_ago,
        )  # fmt: skip
        session.add(request)
        session.flush()
        request_id = request.id
        session.add(
            LoginThrottleRow(
                kind="password", username="admin-test", remote_addr="192.0.2.40", failures=1,
                last_failure_at=ten_days_ago - dt.timedelta(days=30),
            )
        )  # fmt: skip
    start = last_id(seeded)

    assert admin.post("/admin/privacy/retention").status_code == 200

    with Session(review_engine(seeded.db_url)) as session:
        assert session.get(CallbackRequestRow, request_id) is None
        assert session.get(LoginThrottleRow, ("password", "admin-test", "192.0.2.40")) is None
    [run] = rows_after(seeded, start, "retention")
    assert run.username == "admin-test" and "callback_requests (never handled)" in run.detail
