"""The audit log as a hash chain: each row chained to the one before, `audit-verify` names the first row that
was changed or is missing, two writers never chain to the same row, and a purge of old rows leaves a chain that
verifies."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import threading

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from dashboard.__main__ import main
from ryggvett.review import audit
from ryggvett.review.models import AuditRow, review_engine
from ryggvett.review.retention import purge_logs
from ryggvett.settings import PROJECT_ROOT

NOW = dt.datetime.now(dt.timezone.utc)
AUDIT = AuditRow.__table__


@pytest.fixture
def db_url(project_db_url) -> str:
    return project_db_url


def write(db_url: str, count: int, username: str = "clinician-test") -> list[int]:
    """`count` audit rows, one transaction each, as the dashboard writes them; their ids."""
    engine = review_engine(db_url)
    for n in range(count):
        with Session(engine) as session, session.begin():
            audit.record(session, username, "view", f"conversation-{n}", f"row {n}")
    with engine.connect() as connection:
        return list(connection.scalars(sa.select(AUDIT.c.id).order_by(AUDIT.c.id.desc()).limit(count)))[::-1]


def change(db_url: str, statement: sa.sql.Executable) -> None:
    """Straight into the database, past audit.record: what someone with access to the database could do."""
    with review_engine(db_url).begin() as connection:
        assert connection.execute(statement).rowcount == 1


def verify(db_url: str) -> audit.ChainCheck:
    with Session(review_engine(db_url)) as session:
        return audit.verify(session)


def test_each_row_is_chained_to_the_one_before_it(db_url):
    write(db_url, 3)
    with Session(review_engine(db_url)) as session:
        first, second, third = session.scalars(sa.select(AuditRow).order_by(AuditRow.id))
    assert len(first.row_hash) == 64 and first.prev_hash == ""
    assert second.prev_hash == first.row_hash and third.prev_hash == second.row_hash
    assert len({first.row_hash, second.row_hash, third.row_hash}) == 3
    check = verify(db_url)
    assert check.ok and check.rows == 3 and check.unchained == 0


@pytest.mark.parametrize(
    "values",
    [
        {"detail": "nothing to see here"},
        {"username": "someone-else"},
        {"at": NOW - dt.timedelta(days=3)},
        {"action": "login"},
        {"conversation_id": None},
    ],
    ids=lambda values: next(iter(values)),
)
def test_a_changed_row_is_named(db_url, values):
    ids = write(db_url, 5)
    change(db_url, sa.update(AUDIT).where(AUDIT.c.id == ids[2]).values(**values))
    check = verify(db_url)
    assert not check.ok and check.broken_id == ids[2], check.message


def test_a_changed_row_whose_hash_was_made_anew_breaks_the_link_to_the_next(db_url):
    ids = write(db_url, 4)
    change(db_url, sa.update(AUDIT).where(AUDIT.c.id == ids[1]).values(detail="rewritten", row_hash="0" * 64))
    assert verify(db_url).broken_id == ids[1]
    change(db_url, sa.update(AUDIT).where(AUDIT.c.id == ids[1]).values(row_hash=None))
    assert verify(db_url).broken_id == ids[1]


def test_a_deleted_row_is_named_by_the_row_after_it(db_url):
    ids = write(db_url, 5)
    change(db_url, sa.delete(AUDIT).where(AUDIT.c.id == ids[2]))
    check = verify(db_url)
    assert not check.ok and check.broken_id == ids[3] and str(ids[1]) in check.message, check.message


def test_deleted_last_rows_are_noticed(db_url):
    ids = write(db_url, 4)
    change(db_url, sa.delete(AUDIT).where(AUDIT.c.id == ids[-1]))
    check = verify(db_url)
    assert not check.ok and str(ids[-1]) in check.message, check.message
    write(db_url, 1)  # a new row chains to the deleted one: still broken
    assert not verify(db_url).ok


def test_a_deleted_first_row_is_noticed(db_url):
    ids = write(db_url, 3)
    change(db_url, sa.delete(AUDIT).where(AUDIT.c.id == ids[0]))
    check = verify(db_url)
    assert not check.ok and check.broken_id == ids[1], check.message


def test_the_chain_still_verifies_after_old_rows_are_purged(db_url, monkeypatch):
    with monkeypatch.context() as past:
        past.setattr(audit, "utcnow", lambda: NOW - dt.timedelta(days=400))
        write(db_url, 3)
    kept = write(db_url, 2)

    deleted = purge_logs(review_engine(db_url), audit_days=365, login_days=30)

    assert deleted.rows["audit_log"] == 3
    with review_engine(db_url).connect() as connection:
        assert list(connection.scalars(sa.select(AUDIT.c.id).order_by(AUDIT.c.id))) == kept
    check = verify(db_url)
    assert check.ok and check.rows == 2, check.message
    write(db_url, 2)
    assert verify(db_url).ok and verify(db_url).rows == 4

    # Deleting the first rows by hand is not a purge: the chain's anchor says what came before.
    change(db_url, sa.delete(AUDIT).where(AUDIT.c.id == kept[0]))
    check = verify(db_url)
    assert not check.ok and check.broken_id == kept[1], check.message


def test_a_purge_that_empties_the_log_leaves_a_chain_that_goes_on(db_url, monkeypatch):
    with monkeypatch.context() as past:
        past.setattr(audit, "utcnow", lambda: NOW - dt.timedelta(days=400))
        write(db_url, 2)
    purge_logs(review_engine(db_url), audit_days=365, login_days=30)
    assert verify(db_url).ok and verify(db_url).rows == 0
    write(db_url, 2)
    assert verify(db_url).ok and verify(db_url).rows == 2


def test_only_old_rows_at_the_start_are_purged(db_url, monkeypatch):
    """A row with an old time after a newer one (a clock set back) waits: the chain is purged from its start only."""
    first = write(db_url, 1)
    with monkeypatch.context() as past:
        past.setattr(audit, "utcnow", lambda: NOW - dt.timedelta(days=400))
        write(db_url, 1)
    purge_logs(review_engine(db_url), audit_days=365, login_days=30)
    with review_engine(db_url).connect() as connection:
        assert connection.scalar(sa.select(sa.func.min(AUDIT.c.id))) == first[0]
    assert verify(db_url).ok


def test_two_writers_at_once_never_chain_to_the_same_row(db_url, monkeypatch):
    real_now = audit.utcnow

    def slow_now() -> dt.datetime:
        # Widens the moment between reading the chain's last hash and writing the row after it.
        threading.Event().wait(0.005)
        return real_now()

    monkeypatch.setattr(audit, "utcnow", slow_now)
    engine = review_engine(db_url)
    write(db_url, 1)
    errors: list[BaseException] = []

    def writer(n: int) -> None:
        try:
            for i in range(8):
                with Session(engine) as session, session.begin():
                    audit.record(session, f"writer-{n}", "view", detail=f"{i}")
        except BaseException as error:  # noqa: BLE001 - reported by the main thread
            errors.append(error)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    with engine.connect() as connection:
        previous = list(connection.scalars(sa.select(AUDIT.c.prev_hash)))
    assert len(previous) == 49 and len(set(previous)) == 49
    check = verify(db_url)
    assert check.ok and check.rows == 49, check.message


def test_rows_from_before_the_chain_are_counted_and_the_chain_starts_after_them(db_url):
    old = sa.MetaData()
    table = sa.Table(
        "audit_log", old,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("username", sa.String(80), nullable=False),
        sa.Column("action", sa.String(40), nullable=False),
        sa.Column("conversation_id", sa.String(255)),
        sa.Column("detail", sa.Text, nullable=False),
    )  # fmt: skip
    earlier = sa.create_engine(db_url)
    old.create_all(earlier)
    with earlier.begin() as connection:
        for n in range(3):
            connection.execute(table.insert().values(at=NOW, username="old", action="view", detail=f"{n}"))
    earlier.dispose()

    write(db_url, 2)  # review_engine adds the new columns first
    check = verify(db_url)
    assert check.ok and check.rows == 2 and check.unchained == 3, check.message
    # A chained row made to look older than the chain is still a broken chain.
    with review_engine(db_url).connect() as connection:
        newest = connection.scalar(sa.select(sa.func.max(AUDIT.c.id)))
    change(db_url, sa.update(AUDIT).where(AUDIT.c.id == newest).values(prev_hash=None, row_hash=None))
    assert verify(db_url).broken_id == newest


def run_verify(db_url: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT), "RYGGVETT_DB_URL": db_url}
    command = [sys.executable, "-m", "dashboard", "audit-verify"]
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=120, cwd=PROJECT_ROOT)


def test_audit_verify_says_ok_with_the_count_or_names_the_broken_row(db_url, monkeypatch, capsys):
    ids = write(db_url, 3)
    monkeypatch.setenv("RYGGVETT_DB_URL", db_url)
    assert main(["audit-verify"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("OK") and "3 rows" in out

    change(db_url, sa.update(AUDIT).where(AUDIT.c.id == ids[1]).values(username="nobody"))
    done = run_verify(db_url)
    assert done.returncode == 1, done.stdout + done.stderr
    assert done.stdout.startswith(f"BROKEN at row {ids[1]}:"), done.stdout
