"""A database made by the dashboard before the second factor is upgraded in place when the dashboard starts."""

from __future__ import annotations

import datetime as dt
import hashlib

import pytest
import sqlalchemy as sa
from argon2 import PasswordHasher
from sqlalchemy.orm import Session

from dashboard import DashboardConfig, create_app
from ryggvett.reference.models import make_engine
from ryggvett.review.accounts import authenticate, resume_session
from ryggvett.review.models import add_missing_columns, review_engine
from tests.dashboard.conftest import PASSWORD, Browser, empty_database

# The two tables as the previous version created them.
OLD = sa.MetaData()
OLD_USERS = sa.Table(
    "dashboard_users", OLD,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("username", sa.String(80), nullable=False, unique=True),
    sa.Column("password_hash", sa.String(255), nullable=False),
    sa.Column("role", sa.String(20), nullable=False),
    sa.Column("active", sa.Boolean, nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("last_login_at", sa.DateTime(timezone=True)),
)  # fmt: skip
OLD_SESSIONS = sa.Table(
    "dashboard_sessions", OLD,
    sa.Column("token_hash", sa.String(64), primary_key=True),
    sa.Column("user_id", sa.Integer, sa.ForeignKey("dashboard_users.id", ondelete="CASCADE"), nullable=False),
    sa.Column("csrf_token", sa.String(64), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
)  # fmt: skip


@pytest.fixture(params=["sqlite", "postgres"])
def old_db_url(request, tmp_path):
    yield from empty_database(request, tmp_path, "old")


def test_a_database_of_the_previous_version_is_upgraded_in_place(old_db_url):
    now = dt.datetime.now(dt.timezone.utc)
    old = make_engine(old_db_url)
    OLD.create_all(old)
    with old.begin() as connection:
        connection.execute(
            OLD_USERS.insert().values(
                id=1, username="old-admin", password_hash=PasswordHasher().hash(PASSWORD), role="admin", active=True,
                created_at=now,
            )
        )  # fmt: skip
        connection.execute(
            OLD_SESSIONS.insert().values(
                token_hash=hashlib.sha256(b"old-token").hexdigest(), user_id=1, csrf_token="x", created_at=now,
                last_seen_at=now,
            )
        )  # fmt: skip
    old.dispose()

    engine = review_engine(old_db_url)
    columns = {table: {c["name"] for c in sa.inspect(engine).get_columns(table)} for table in OLD.tables}
    assert {"totp_seed", "totp_last_step"} <= columns["dashboard_users"]
    assert {"stage", "enrolment_seed"} <= columns["dashboard_sessions"]
    assert add_missing_columns(engine) == []  # a second start changes nothing
    with Session(engine) as session:
        login = resume_session(session, "old-token", dt.timedelta(minutes=60))
        assert login is not None and not login.full  # an old login must give the second factor first
        user = authenticate(session, "old-admin", PASSWORD, "192.0.2.1")
        assert user is not None and not user.has_totp
        session.commit()

    app = create_app(DashboardConfig(tracker_url="sqlite://", db_url=old_db_url))
    assert Browser(app.test_client()).password("old-admin").headers["Location"] == "/login/enrol"
