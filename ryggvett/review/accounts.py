"""Dashboard users: argon2 passwords, a TOTP second factor, server-side sessions, and a login throttle."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import math
import re
import secrets
from dataclasses import dataclass

import pyotp
import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from ryggvett import settings
from ryggvett.review.models import LoginThrottleRow, RecoveryCodeRow, SessionRow, UserRow, utcnow

RECEPTION, CLINICIAN, ADMIN = "reception", "clinician", "admin"
ROLES = (RECEPTION, CLINICIAN, ADMIN)
USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,39}$")
MIN_PASSWORD_LENGTH = 12
# Failures of one username from one address: the first few are typos and cost nothing, then each
# further one doubles the wait, up to a cap. Keyed on the address too, so a guesser elsewhere
# slows only themself and never locks the real user (or the last admin) out.
FREE_FAILURES = 3
FIRST_WAIT = dt.timedelta(seconds=15)
MAX_WAIT = dt.timedelta(minutes=15)
FORGET_FAILURES_AFTER = dt.timedelta(hours=24)
# A login lasts at most a working day, however active; a password without its second factor, minutes.
SESSION_LIFETIME = dt.timedelta(hours=10)
PASSWORD_STAGE_LIFETIME = dt.timedelta(minutes=10)
PASSWORD_STAGE, FULL_STAGE = "password", "full"
TOTP_ISSUER = "Ryggvett"
TOTP_WINDOW = 1  # time steps either side of now, for phone clocks a little off
RECOVERY_CODES = 10

_hasher = PasswordHasher()
# Verified against when the username does not exist, so both cases take the same time.
_DUMMY_HASH = _hasher.hash(secrets.token_hex(16))
# A name typed at the login that no user has is often a password typed in the wrong field: the throttle
# keys it by an HMAC under this key, which lives only in memory, so the database never holds the name.
_UNKNOWN_NAME_KEY = secrets.token_bytes(32)


class AccountError(ValueError):
    """A username, password or role that cannot be used; `key` names the text the dashboard shows."""

    def __init__(self, key: str, message: str, **values: object) -> None:
        super().__init__(message)
        self.key, self.values = key, values


class TooManyAttempts(Exception):
    """This username from this address must wait before trying again."""

    def __init__(self, wait: dt.timedelta) -> None:
        super().__init__(f"try again in {wait}")
        self.retry_after = max(1, math.ceil(wait.total_seconds()))


@dataclass(frozen=True)
class User:
    id: int
    username: str
    role: str
    has_totp: bool = False

    @property
    def is_admin(self) -> bool:
        return self.role == ADMIN


def _user(row: UserRow) -> User:
    return User(row.id, row.username, row.role, row.totp_seed is not None)


def check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(
            "err_password_short",
            f"the password needs at least {MIN_PASSWORD_LENGTH} characters",
            min=MIN_PASSWORD_LENGTH,
        )


def create_user(session: Session, username: str, password: str, role: str) -> User:
    """A new user without a second factor: their first login enrols one."""
    username = username.strip().lower()
    if not USERNAME.fullmatch(username):
        raise AccountError("err_username", "a username is 2–40 lower-case letters, digits, . _ or -")
    if role not in ROLES:
        raise AccountError("err_role", f"role must be one of {', '.join(ROLES)}")
    check_password(password)
    if session.scalar(sa.select(UserRow.id).where(UserRow.username == username)) is not None:
        raise AccountError("err_user_exists", f"{username} already exists", name=username)
    row = UserRow(username=username, password_hash=_hasher.hash(password), role=role, active=True, created_at=utcnow())
    session.add(row)
    session.flush()
    return _user(row)


def find_user(session: Session, username: str) -> User | None:
    row = session.scalars(sa.select(UserRow).where(UserRow.username == username.strip().lower())).first()
    return _user(row) if row is not None else None


def _end_sessions(session: Session, user_id: int) -> None:
    session.execute(sa.delete(SessionRow).where(SessionRow.user_id == user_id))


def set_password(session: Session, user_id: int, password: str) -> None:
    check_password(password)
    row = session.get(UserRow, user_id)
    if row is None:
        raise AccountError("err_no_user", "no such user")
    row.password_hash = _hasher.hash(password)
    # A new password ends every open login of that user.
    _end_sessions(session, user_id)


def set_role_and_active(session: Session, user_id: int, role: str, active: bool) -> None:
    if role not in ROLES:
        raise AccountError("err_role", f"role must be one of {', '.join(ROLES)}")
    row = session.get(UserRow, user_id)
    if row is None:
        raise AccountError("err_no_user", "no such user")
    if row.role == ADMIN and (role != ADMIN or not active) and _active_admins(session) <= 1:
        raise AccountError("err_last_admin", "the last active admin cannot be removed")
    row.role, row.active = role, active
    if not active:
        _end_sessions(session, user_id)


def _active_admins(session: Session) -> int:
    return session.scalar(sa.select(sa.func.count()).where(UserRow.role == ADMIN, UserRow.active.is_(True))) or 0


def has_admin(session: Session) -> bool:
    return _active_admins(session) > 0


def users(session: Session) -> list[UserRow]:
    return list(session.scalars(sa.select(UserRow).order_by(UserRow.username)))


def _aware(moment: dt.datetime) -> dt.datetime:
    # SQLite returns stored UTC times without their zone.
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.timezone.utc)


def _wait_after(failures: int) -> dt.timedelta:
    if failures < FREE_FAILURES:
        return dt.timedelta(0)
    return min(MAX_WAIT, FIRST_WAIT * 2 ** min(failures - FREE_FAILURES, 16))


def _insert_new(session: Session) -> sa.sql.Insert:
    """An insert that leaves an existing row alone (another request may have made it a moment ago)."""
    table = LoginThrottleRow.__table__
    dialect = {"postgresql": postgresql, "sqlite": sqlite}.get(session.get_bind().dialect.name)
    return dialect.insert(table).on_conflict_do_nothing() if dialect else sa.insert(table)


def _reserve_attempt(session: Session, kind: str, username: str, remote_addr: str) -> None:
    """Count this attempt as failed before checking it, or raise TooManyAttempts if it must wait.

    The check and the count are one conditional write, so parallel guesses cannot all read the
    same count and slip past it; a right answer then forgets the failures (_forget_failures).
    """
    table = LoginThrottleRow.__table__
    key = sa.and_(table.c.kind == kind, table.c.username == username, table.c.remote_addr == remote_addr)
    now = utcnow()
    session.execute(sa.delete(table).where(table.c.last_failure_at < now - FORGET_FAILURES_AFTER))
    for _ in range(20):
        row = session.execute(sa.select(table.c.failures, table.c.last_failure_at).where(key)).first()
        if row is None:
            values = {"kind": kind, "username": username, "remote_addr": remote_addr}
            if session.execute(_insert_new(session).values(**values, failures=1, last_failure_at=now)).rowcount:
                return
            continue
        wait = _aware(row.last_failure_at) + _wait_after(row.failures) - now
        if wait > dt.timedelta(0):
            raise TooManyAttempts(wait)
        counted = sa.update(table).where(key, table.c.failures == row.failures)
        if session.execute(counted.values(failures=row.failures + 1, last_failure_at=now)).rowcount:
            return
    raise TooManyAttempts(dt.timedelta(seconds=1))  # many guesses at the same moment


def _forget_failures(session: Session, kind: str, username: str, remote_addr: str) -> None:
    table = LoginThrottleRow.__table__
    session.execute(
        sa.delete(table).where(table.c.kind == kind, table.c.username == username, table.c.remote_addr == remote_addr)
    )


def known_username(session: Session, typed: str) -> str | None:
    """The username as stored if a user has it; None for a name nobody has (never to be stored)."""
    return session.scalar(sa.select(UserRow.username).where(UserRow.username == typed.strip().lower()[:80]))


def _throttle_name(typed: str, known: bool) -> str:
    """The name the throttle counts failures under: an unknown one only as a keyed hash (the same name, the same
    count, in this process), so it is throttled as a real name would be, and nothing tells the two apart."""
    if known:
        return typed
    return "?" + hmac.new(_UNKNOWN_NAME_KEY, typed.encode(), hashlib.sha256).hexdigest()[:40]


def authenticate(session: Session, username: str, password: str, remote_addr: str) -> User | None:
    """The user if the password is right; None if not. Raises TooManyAttempts while this user from this address waits.

    The second factor is still to come: start_session gives a session that opens only that step.
    """
    username, remote_addr = username.strip().lower()[:80], remote_addr[:64]
    row = session.scalars(sa.select(UserRow).where(UserRow.username == username)).first()
    throttled_as = _throttle_name(username, row is not None)
    _reserve_attempt(session, "password", throttled_as, remote_addr)
    try:
        _hasher.verify(row.password_hash if row is not None else _DUMMY_HASH, password)
        succeeded = row is not None and row.active
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        succeeded = False
    if not succeeded:
        return None
    _forget_failures(session, "password", throttled_as, remote_addr)
    if _hasher.check_needs_rehash(row.password_hash):
        row.password_hash = _hasher.hash(password)
    return _user(row)


# The second factor: TOTP (RFC 6238) with one-time recovery codes.


def new_totp_seed() -> str:
    return secrets.token_hex(20)


def totp_secret(seed: str) -> str:
    """The base32 secret the phone holds: an HMAC of the stored seed under RYGGVETT_DASHBOARD_TOTP_KEY.

    With the key set (kept outside the database), a copy of the database alone gives no codes.
    """
    digest = hmac.new(settings.dashboard_totp_key().encode(), seed.encode(), hashlib.sha256).digest()
    return base64.b32encode(digest[:20]).decode()


def totp_uri(username: str, seed: str) -> str:
    """The otpauth:// address an authenticator app reads from the QR code."""
    return pyotp.TOTP(totp_secret(seed)).provisioning_uri(name=username, issuer_name=TOTP_ISSUER)


def _matching_step(seed: str, code: str, now: dt.datetime) -> int | None:
    """The time step whose code this is, within the window around now; None if none."""
    code = re.sub(r"\s", "", code)
    if not re.fullmatch(r"\d{6}", code):
        return None
    totp = pyotp.TOTP(totp_secret(seed))
    current = totp.timecode(now)
    steps = range(current - TOTP_WINDOW, current + TOTP_WINDOW + 1)
    return next((step for step in steps if hmac.compare_digest(totp.generate_otp(step), code)), None)


def _normal_recovery_code(code: str) -> str:
    return re.sub(r"[\s-]", "", code).lower()


def _recovery_hash(code: str) -> str:
    # Each code has 80 random bits: a plain SHA-256 is as strong as a slow hash here.
    return hashlib.sha256(_normal_recovery_code(code).encode()).hexdigest()


def _new_recovery_codes(session: Session, user_id: int) -> list[str]:
    session.execute(sa.delete(RecoveryCodeRow).where(RecoveryCodeRow.user_id == user_id))
    codes = []
    for _ in range(RECOVERY_CODES):
        raw = base64.b32encode(secrets.token_bytes(10)).decode().lower()
        codes.append("-".join(raw[i : i + 4] for i in range(0, len(raw), 4)))
    session.add_all(RecoveryCodeRow(user_id=user_id, code_hash=_recovery_hash(code)) for code in codes)
    return codes


def enrolment_seed(session: Session, login: LoginSession) -> str:
    """The seed this login is enrolling with: made once, so reloading the page keeps the scanned code valid."""
    row = session.get(SessionRow, _token_hash(login.token))
    if row.enrolment_seed is None:
        row.enrolment_seed = new_totp_seed()
    return row.enrolment_seed


def enable_totp(session: Session, user_id: int, seed: str, code: str) -> list[str] | None:
    """Enrol a user who has no second factor, once a code from their app proves it; the new recovery codes.

    None if the code is wrong, or if the user has a second factor already: enrolling never replaces one.
    """
    step = _matching_step(seed, code, utcnow())
    if step is None:
        return None
    enrolled = (
        sa.update(UserRow)
        .where(UserRow.id == user_id, UserRow.totp_seed.is_(None))
        .values(totp_seed=seed, totp_last_step=step)
        .execution_options(synchronize_session="fetch")
    )
    if not session.execute(enrolled).rowcount:
        return None
    return _new_recovery_codes(session, user_id)


def _accept_totp(session: Session, user_id: int, code: str) -> bool:
    seed = session.scalar(sa.select(UserRow.totp_seed).where(UserRow.id == user_id))
    step = _matching_step(seed, code, utcnow()) if seed else None
    if step is None:
        return False
    # Only a later time step than the last accepted one: the same code never works twice.
    accepted = (
        sa.update(UserRow)
        .where(UserRow.id == user_id, sa.or_(UserRow.totp_last_step.is_(None), UserRow.totp_last_step < step))
        .values(totp_last_step=step)
        .execution_options(synchronize_session="fetch")
    )
    return bool(session.execute(accepted).rowcount)


def _accept_recovery_code(session: Session, user_id: int, code: str) -> bool:
    if len(_normal_recovery_code(code)) != 16:
        return False
    used = (
        sa.update(RecoveryCodeRow)
        .where(
            RecoveryCodeRow.user_id == user_id,
            RecoveryCodeRow.code_hash == _recovery_hash(code),
            RecoveryCodeRow.used_at.is_(None),
        )
        .values(used_at=utcnow())
        .execution_options(synchronize_session="fetch")
    )
    return bool(session.execute(used).rowcount)


def verify_second_factor(session: Session, user: User, code: str, remote_addr: str) -> str | None:
    """ "totp" or "recovery code" if the code is right (and unused); None if not. Throttled as passwords are."""
    remote_addr = remote_addr[:64]
    _reserve_attempt(session, "totp", user.username, remote_addr)
    if _accept_totp(session, user.id, code):
        method = "totp"
    elif _accept_recovery_code(session, user.id, code):
        method = "recovery code"
    else:
        return None
    _forget_failures(session, "totp", user.username, remote_addr)
    return method


def recovery_codes_left(session: Session, user_id: int) -> int:
    query = sa.select(sa.func.count()).where(RecoveryCodeRow.user_id == user_id, RecoveryCodeRow.used_at.is_(None))
    return session.scalar(query) or 0


def reset_second_factor(session: Session, user_id: int) -> User:
    """Forget a user's TOTP and recovery codes (a lost phone) and end their logins: the next login enrols anew."""
    row = session.get(UserRow, user_id)
    if row is None:
        raise AccountError("err_no_user", "no such user")
    row.totp_seed, row.totp_last_step = None, None
    session.execute(sa.delete(RecoveryCodeRow).where(RecoveryCodeRow.user_id == user_id))
    _end_sessions(session, user_id)
    return _user(row)


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class LoginSession:
    token: str  # goes in the cookie; only its hash is stored
    csrf_token: str
    user: User
    stage: str = PASSWORD_STAGE

    @property
    def full(self) -> bool:
        """Both factors given: the role's pages are open, not only the second-factor step."""
        return self.stage == FULL_STAGE


def start_session(session: Session, user: User, stage: str = PASSWORD_STAGE) -> LoginSession:
    token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    now = utcnow()
    session.add(
        SessionRow(
            token_hash=_token_hash(token), user_id=user.id, csrf_token=csrf, created_at=now, last_seen_at=now,
            stage=stage,
        )
    )  # fmt: skip
    return LoginSession(token, csrf, user, stage)


def complete_login(session: Session, login: LoginSession) -> LoginSession:
    """The full session that replaces one that has passed the second factor (a new token: no fixation)."""
    end_session(session, login.token)
    row = session.get(UserRow, login.user.id)
    row.last_login_at = utcnow()
    return start_session(session, _user(row), FULL_STAGE)


def resume_session(session: Session, token: str, idle: dt.timedelta) -> LoginSession | None:
    """The login behind a cookie's token, if it is still valid; touches it so idle time restarts."""
    if not token:
        return None
    row = session.get(SessionRow, _token_hash(token))
    if row is None:
        return None
    now = utcnow()
    user = session.get(UserRow, row.user_id)
    lifetime = SESSION_LIFETIME if row.stage == FULL_STAGE else PASSWORD_STAGE_LIFETIME
    expired = now - _aware(row.last_seen_at) > idle or now - _aware(row.created_at) > lifetime
    if expired or user is None or not user.active:
        session.delete(row)
        return None
    row.last_seen_at = now
    return LoginSession(token, row.csrf_token, _user(user), row.stage)


def end_session(session: Session, token: str) -> None:
    session.execute(sa.delete(SessionRow).where(SessionRow.token_hash == _token_hash(token)))
