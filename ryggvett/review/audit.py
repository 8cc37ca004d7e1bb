"""The audit log: who viewed which conversation or list, and every change, export, deletion, login and refusal.

The rows form a hash chain. A row's `row_hash` is SHA-256 over its `prev_hash` (the `row_hash` of the row before)
and a canonical JSON of its time, username, action, conversation id and detail; not of its id, which the database
gives. `verify` walks the rows in id order: a changed row no longer matches its hash, and a deleted row leaves the
next one pointing at a hash that is not there. The chain's own row (AuditChainRow) keeps the latest hash, so deleted
last rows show too, and the anchor: the hash before the first row kept, which the purge of old rows (retention,
`purge_before`) moves on to the last row it removed, so the chain still verifies after a purge.

Every writer locks the chain's row before it reads the latest hash and holds it until it commits, so two writers
never chain to the same row: an UPDATE takes a row lock on PostgreSQL, and the database's write lock on SQLite.

Rows from before the chain (a database upgraded in place) have no hash. The chain starts at the first row written
after the upgrade (AuditChainRow.start_id); rows before it are counted as unchained, not verified, and the purge
removes them in time like any other.

The chain shows changes made in the database past `record`. Someone able to write the database could still
rewrite it from some row on, hashes and all: to notice that too, keep the latest hash somewhere else
(`python -m dashboard audit-verify` prints it; the daily retention job logs it).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from ryggvett.review.models import AuditChainRow, AuditRow, utcnow

# Names in the username column for who is not a user; in parentheses, which no username may hold.
ANONYMOUS = "(anonymous)"
UNKNOWN_USER = "(unknown user)"  # a failed login's typed name is never kept: it is often a password
SYSTEM = "(system)"  # the daily retention job
COMMAND_LINE = "(command line)"  # python -m dashboard
AUDIT = AuditRow.__table__
CHAIN = AuditChainRow.__table__
CHAIN_ID = 1
BATCH = 1000


def _moment(at: dt.datetime) -> str:
    """The time as hashed: UTC to the microsecond, however the database returns it (SQLite drops the zone)."""
    aware = at if at.tzinfo else at.replace(tzinfo=dt.timezone.utc)
    return aware.astimezone(dt.timezone.utc).isoformat(timespec="microseconds")


def row_hash(
    prev_hash: str, at: dt.datetime, username: str, action: str, conversation_id: str | None, detail: str
) -> str:
    fields = {
        "prev_hash": prev_hash, "at": _moment(at), "username": username, "action": action,
        "conversation_id": conversation_id, "detail": detail,
    }  # fmt: skip
    canonical = json.dumps(fields, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def _insert_chain(session: Session) -> None:
    """The chain's row, unless another writer made it a moment ago."""
    dialect = {"postgresql": postgresql, "sqlite": sqlite}.get(session.get_bind().dialect.name)
    insert = dialect.insert(CHAIN).on_conflict_do_nothing() if dialect else sa.insert(CHAIN)
    session.execute(insert.values(id=CHAIN_ID, head_hash="", anchor_hash=""))


def _lock_chain(session: Session) -> sa.engine.Row:
    """The chain's row, locked until the session's transaction ends."""
    # An UPDATE that changes nothing: a write takes the lock, where a plain SELECT would let two writers
    # read the same latest hash.
    touch = sa.update(CHAIN).where(CHAIN.c.id == CHAIN_ID).values(head_hash=CHAIN.c.head_hash)
    if not session.execute(touch).rowcount:
        _insert_chain(session)
        session.execute(touch)
    return session.execute(sa.select(CHAIN).where(CHAIN.c.id == CHAIN_ID)).one()


def record(session: Session, username: str, action: str, conversation_id: str | None = None, detail: str = "") -> None:
    """Append a row to the chain. The chain stays locked until the session commits: commit soon after."""
    chain = _lock_chain(session)
    values = {
        "at": utcnow(), "username": username[:80], "action": action[:40],
        "conversation_id": conversation_id[:255] if conversation_id is not None else None, "detail": detail[:1000],
    }  # fmt: skip
    digest = row_hash(chain.head_hash, **values)
    inserted = session.execute(sa.insert(AUDIT).values(**values, prev_hash=chain.head_hash, row_hash=digest))
    new_id = inserted.inserted_primary_key[0]
    session.execute(
        sa.update(CHAIN)
        .where(CHAIN.c.id == CHAIN_ID)
        .values(head_id=new_id, head_hash=digest, start_id=sa.func.coalesce(CHAIN.c.start_id, new_id))
    )


def purge_before(session: Session, cutoff: dt.datetime) -> int:
    """Delete the rows older than `cutoff` from the start of the log, keeping the last one's hash as the anchor.

    Only from the start: an old time after a newer one (a clock set back) waits, or the chain would have a gap.
    """
    _lock_chain(session)
    first_kept = session.scalar(sa.select(sa.func.min(AUDIT.c.id)).where(AUDIT.c.at >= cutoff))
    old = AUDIT.c.id < first_kept if first_kept is not None else sa.true()
    last = sa.select(AUDIT.c.row_hash).where(old, AUDIT.c.row_hash.is_not(None)).order_by(AUDIT.c.id.desc())
    last_hash = session.scalar(last.limit(1))
    if last_hash is not None:
        session.execute(sa.update(CHAIN).where(CHAIN.c.id == CHAIN_ID).values(anchor_hash=last_hash))
    return session.execute(sa.delete(AUDIT).where(old)).rowcount


@dataclass(frozen=True)
class ChainCheck:
    rows: int  # chained rows verified
    unchained: int  # rows from before the chain, not verified
    head_hash: str = ""
    broken_id: int | None = None  # the first row that does not verify
    problem: str = ""

    @property
    def ok(self) -> bool:
        return not self.problem

    @property
    def message(self) -> str:
        if not self.ok:
            where = f"row {self.broken_id}" if self.broken_id is not None else "the end of the log"
            return f"BROKEN at {where}: {self.problem}"
        before = f", {self.unchained} from before the chain (not verified)" if self.unchained else ""
        return f"OK: {self.rows} rows in the chain{before}; latest hash {self.head_hash or '(none)'}"


def verify(session: Session) -> ChainCheck:
    """Walk the chain from its anchor to its head; the first row that does not fit, if any."""
    chain = session.execute(sa.select(CHAIN).where(CHAIN.c.id == CHAIN_ID)).first()
    start = chain.start_id if chain is not None else None
    before = sa.select(sa.func.count()).select_from(AUDIT)
    if start is None:
        unchained = session.scalar(before) or 0
        hashed = session.scalar(sa.select(sa.func.min(AUDIT.c.id)).where(AUDIT.c.row_hash.is_not(None)))
        if hashed is not None:
            return ChainCheck(0, unchained, broken_id=hashed, problem="it has a hash, but the chain's record is gone")
        return ChainCheck(0, unchained)
    unchained = session.scalar(before.where(AUDIT.c.id < start)) or 0
    expected, previous_id, rows, last_id = chain.anchor_hash, None, 0, start - 1
    while True:
        batch = session.execute(
            sa.select(AUDIT).where(AUDIT.c.id > last_id).order_by(AUDIT.c.id).limit(BATCH)
        ).all()  # fmt: skip
        for row in batch:
            problem = _row_problem(row, expected, previous_id)
            if problem:
                return ChainCheck(rows, unchained, broken_id=row.id, problem=problem)
            expected, previous_id, rows = row.row_hash, row.id, rows + 1
        if len(batch) < BATCH:
            break
        last_id = batch[-1].id
    if expected != chain.head_hash:
        after = f"row {previous_id}" if previous_id is not None else "the chain's start"
        problem = f"the log ends at {after}, but it went on to row {chain.head_id}: its last rows were deleted"
        return ChainCheck(rows, unchained, problem=problem)
    return ChainCheck(rows, unchained, head_hash=expected)


def _row_problem(row: sa.engine.Row, expected: str, previous_id: int | None) -> str:
    if row.row_hash is None:
        return "it has no hash"
    if row.prev_hash != expected:
        after = f"row {previous_id}" if previous_id is not None else "the chain's start (or the last row purged)"
        return f"it does not follow {after}: a row between them was deleted or changed"
    if row_hash(row.prev_hash, row.at, row.username, row.action, row.conversation_id, row.detail) != row.row_hash:
        return "it was changed after it was written"
    return ""


def head_hash(session: Session) -> str:
    """The latest row's hash, to keep somewhere else."""
    return session.scalar(sa.select(CHAIN.c.head_hash).where(CHAIN.c.id == CHAIN_ID)) or ""


def recent(
    session: Session, limit: int = 200, username: str | None = None, conversation_id: str | None = None
) -> list[AuditRow]:
    query = sa.select(AuditRow).order_by(AuditRow.id.desc()).limit(limit)
    if username:
        query = query.where(AuditRow.username == username)
    if conversation_id:
        query = query.where(AuditRow.conversation_id == conversation_id)
    return list(session.scalars(query))
