"""Retention of the logs: login records and old sessions end after their period, and the daily run deletes what is
due (open callback requests after their own period too) and says so in the audit log, as `forget` does."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Session

from dashboard.__main__ import main
from ryggvett.callbacks import CallbackRequestRow
from ryggvett.review import audit
from ryggvett.review.accounts import create_user
from ryggvett.review.models import AuditRow, LoginThrottleRow, SessionRow, review_engine
from ryggvett.review.retention import purge_logs
from tests.dashboard.conftest import PASSWORD

NOW = dt.datetime.now(dt.timezone.utc)
# The table an earlier version wrote every login attempt to, typed usernames and all.
OLD_ATTEMPTS = sa.Table(
    "dashboard_login_attempts", sa.MetaData(),
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("username", sa.String(80), nullable=False),
    sa.Column("remote_addr", sa.String(64), nullable=False),
    sa.Column("succeeded", sa.Boolean, nullable=False),
    sa.Column("at", sa.DateTime(timezone=True), nullable=False),
)  # fmt: skip


def days_ago(days: int) -> dt.datetime:
    return NOW - dt.timedelta(days=days)


def aware(moment: dt.datetime) -> dt.datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.timezone.utc)  # SQLite drops the zone


def add_login_records(db_url: str) -> None:
    """A session, a throttle row and an old-style attempt 40 days old, and one of each 10 days old."""
    engine = review_engine(db_url)
    OLD_ATTEMPTS.create(engine)
    with Session(engine) as session, session.begin():
        user = create_user(session, "records-test", PASSWORD, "clinician")
        for age in (40, 10):
            session.add(
                SessionRow(
                    token_hash=f"{age:064d}", user_id=user.id, csrf_token="x", created_at=days_ago(age),
                    last_seen_at=days_ago(age), stage="full",
                )
            )  # fmt: skip
            session.add(
                LoginThrottleRow(
                    kind="password", username="records-test", remote_addr=f"192.0.2.{age}", failures=1,
                    last_failure_at=days_ago(age),
                )
            )  # fmt: skip
            session.execute(
                OLD_ATTEMPTS.insert().values(
                    username="hunter2-typed-here", remote_addr="192.0.2.1", succeeded=False, at=days_ago(age)
                )
            )


def ages(db_url: str) -> dict[str, list[int]]:
    """How many days old each remaining login record is, by table."""
    found: dict[str, list[int]] = {}
    columns = {
        "dashboard_sessions": SessionRow.__table__.c.created_at,
        "dashboard_login_throttle": LoginThrottleRow.__table__.c.last_failure_at,
        "dashboard_login_attempts": OLD_ATTEMPTS.c.at,
    }
    with review_engine(db_url).connect() as connection:
        for table, column in columns.items():
            moments = connection.scalars(sa.select(column))
            found[table] = sorted(round((NOW - aware(moment)).total_seconds() / 86400) for moment in moments)
    return found


def test_login_records_and_old_sessions_end_after_their_period(project_db_url):
    add_login_records(project_db_url)

    deleted = purge_logs(review_engine(project_db_url), audit_days=365, login_days=30, now=NOW)

    assert ages(project_db_url) == {
        "dashboard_sessions": [10],
        "dashboard_login_throttle": [10],
        "dashboard_login_attempts": [10],
    }
    assert deleted.rows == {"dashboard_sessions": 1, "dashboard_login_throttle": 1, "dashboard_login_attempts": 1}


def test_the_daily_run_deletes_what_is_due_and_says_so_in_the_audit_log(project_db_url, tmp_path, monkeypatch):
    engine = review_engine(project_db_url)
    CallbackRequestRow.metadata.create_all(engine)
    with Session(engine) as session, session.begin():
        session.add(
            CallbackRequestRow(
                conversation_id="unanswered", first_name="Kari", phone="+4791234567", language="nb",
                consent_given_at=days_ago(10), created_at=days_ago(10),
            )
        )  # fmt: skip
    add_login_records(project_db_url)
    monkeypatch.setenv("RYGGVETT_DB_URL", project_db_url)
    monkeypatch.setenv("RYGGVETT_TRACKER_URL", f"sqlite:///{tmp_path / 'tracker.db'}")
    monkeypatch.setenv("RYGGVETT_OPEN_CALLBACK_DAYS", "5")

    assert main(["retention"]) == 0

    with Session(engine) as session:
        assert session.scalars(sa.select(CallbackRequestRow)).all() == []
        [run] = session.scalars(sa.select(AuditRow).where(AuditRow.action == "retention"))
        assert audit.verify(session).ok
    assert ages(project_db_url)["dashboard_sessions"] == [10]
    assert run.username == "(system)"
    assert "callback_requests (never handled)" in run.detail and "dashboard_login_throttle" in run.detail


def test_the_forget_command_is_recorded_before_and_after_it_deletes(project_db_url, tmp_path, monkeypatch):
    monkeypatch.setenv("RYGGVETT_DB_URL", project_db_url)
    monkeypatch.setenv("RYGGVETT_TRACKER_URL", f"sqlite:///{tmp_path / 'tracker.db'}")
    monkeypatch.delenv("RYGGVETT_REDIS_HOST", raising=False)

    assert main(["forget", "asked-to-be-forgotten"]) == 0

    with Session(review_engine(project_db_url)) as session:
        query = sa.select(AuditRow).where(AuditRow.conversation_id == "asked-to-be-forgotten").order_by(AuditRow.id)
        recorded = [(row.username, row.action, row.detail) for row in session.scalars(query)]
    assert recorded[0] == ("(command line)", "forget", "no shared lock")
    assert [action for _, action, _ in recorded] == ["forget", "forgotten"]
