"""Retention, erasure on request and the first-admin command, on conversations driven through the assistant."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys

import sqlalchemy as sa
from sqlalchemy.orm import Session

from ryggvett.callbacks import CallbackRequestRow
from ryggvett.reference.models import make_engine
from ryggvett.review.events import EVENTS
from ryggvett.review.models import AuditRow, CallbackHandlingRow, TurnAnnotationRow, UserRow, review_engine
from ryggvett.review.retention import delete_expired
from ryggvett.settings import PROJECT_ROOT
from tests.seeding import SCRIPTS, drive

DAY = 24 * 60 * 60


def event_count(seeded, conversation_id: str) -> int:
    with make_engine(seeded.tracker_url).connect() as connection:
        query = sa.select(sa.func.count()).select_from(EVENTS).where(EVENTS.c.sender_id == conversation_id)
        return connection.scalar(query)


def age_conversation(seeded, conversation_id: str, days: int) -> None:
    with make_engine(seeded.tracker_url).begin() as connection:
        connection.execute(
            sa.update(EVENTS)
            .where(EVENTS.c.sender_id == conversation_id)
            .values(timestamp=EVENTS.c.timestamp - days * DAY)
        )


def callback_requests(seeded, conversation_id: str) -> list[CallbackRequestRow]:
    with Session(review_engine(seeded.db_url)) as session:
        query = sa.select(CallbackRequestRow).where(CallbackRequestRow.conversation_id == conversation_id)
        return list(session.scalars(query))


def test_retention_deletes_only_conversations_past_the_period(admin, seeded):
    old = drive(seeded.rasa_url, "old", SCRIPTS["lifting"])
    page = admin.get(f"/conversations/{old}").text
    event_id = int(page.split('id="turn-')[2].split('"')[0])
    admin.post(f"/conversations/{old}/turns/{event_id}", {"verdict": "correct"})
    age_conversation(seeded, old, 200)

    response = admin.post("/admin/privacy/retention")  # 180 days by default
    assert response.status_code == 200 and "Slettet" in response.text
    assert event_count(seeded, old) == 0
    assert all(event_count(seeded, kept) > 0 for kept in seeded.ids.values())
    with Session(review_engine(seeded.db_url)) as session:
        assert not session.scalars(sa.select(TurnAnnotationRow).where(TurnAnnotationRow.conversation_id == old)).all()
        assert session.scalars(sa.select(AuditRow).where(AuditRow.action == "retention")).all()
    assert admin.get(f"/conversations/{old}").status_code == 404


def test_handled_callback_requests_are_deleted_after_their_own_period(admin, seeded):
    conversation_id = drive(seeded.rasa_url, "callback-old", SCRIPTS["callback"])
    [request] = callback_requests(seeded, conversation_id)
    assert admin.post(f"/callbacks/{request.id}/done").status_code == 302
    tracker, project = make_engine(seeded.tracker_url), review_engine(seeded.db_url)
    delete_expired(tracker, project, days=180, callback_days=30)
    assert len(callback_requests(seeded, conversation_id)) == 1  # handled today: kept
    later = dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=31)
    with Session(project) as session:
        handled = session.get(CallbackHandlingRow, request.id).handled_at
    assert handled is not None
    delete_expired(tracker, project, days=365, callback_days=30, now=later)
    assert callback_requests(seeded, conversation_id) == []
    assert event_count(seeded, conversation_id) > 0  # the conversation itself is younger than 365 days


def test_an_admin_deletes_one_persons_conversations(admin, seeded):
    conversation_id = drive(seeded.rasa_url, "forget", SCRIPTS["callback"])
    assert event_count(seeded, conversation_id) > 0 and len(callback_requests(seeded, conversation_id)) == 1
    response = admin.post("/admin/privacy/forget", {"conversation_id": conversation_id})
    assert response.status_code == 200 and conversation_id in response.text
    assert event_count(seeded, conversation_id) == 0 and callback_requests(seeded, conversation_id) == []
    with Session(review_engine(seeded.db_url)) as session:
        [entry] = session.scalars(
            sa.select(AuditRow).where(AuditRow.action == "forget", AuditRow.conversation_id == conversation_id)
        )
    assert entry.username == "admin-test"


def test_the_first_admin_is_created_by_a_command(seeded):
    env = {
        **os.environ,
        "PYTHONPATH": str(PROJECT_ROOT),
        "RYGGVETT_DB_URL": seeded.db_url,
        "RYGGVETT_ADMIN_PASSWORD": "first admin passphrase",
    }
    command = [sys.executable, "-m", "dashboard", "create-admin", "first-admin"]
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120, cwd=PROJECT_ROOT)
    assert done.returncode == 0, done.stderr
    again = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120, cwd=PROJECT_ROOT)
    assert again.returncode == 1 and "already exists" in again.stderr
    with Session(review_engine(seeded.db_url)) as session:
        row = session.scalars(sa.select(UserRow).where(UserRow.username == "first-admin")).one()
    assert row.role == "admin" and row.password_hash.startswith("$argon2id$")
