"""Dashboard users: argon2 password hashes, server-side sessions, and a login rate limit."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets
from dataclasses import dataclass

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy.orm import Session

from ryggvett.review.models import LoginAttemptRow, SessionRow, UserRow, utcnow

ROLES = ("clinician", "admin")
USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,39}$")
MIN_PASSWORD_LENGTH = 12
# Failed logins allowed in the window, per username and per address, before logins are refused.
MAX_FAILURES_PER_USER = 5
MAX_FAILURES_PER_ADDRESS = 20
FAILURE_WINDOW = dt.timedelta(minutes=15)
# A login lasts at most a working day, however active.
SESSION_LIFETIME = dt.timedelta(hours=10)

_hasher = PasswordHasher()
# Verified against when the username does not exist, so both cases take the same time.
_DUMMY_HASH = _hasher.hash(secrets.token_hex(16))


class AccountError(ValueError):
    """A username, password or role that cannot be used; `key` names the text the dashboard shows."""

    def __init__(self, key: str, message: str, **values: object) -> None:
        super().__init__(message)
        self.key, self.values = key, values


class TooManyAttempts(Exception):
    """Logins for this username or address are refused for a while."""


@dataclass(frozen=True)
class User:
    id: int
    username: str
    role: str

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


def _user(row: UserRow) -> User:
    return User(row.id, row.username, row.role)


def check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(
            "err_password_short",
            f"the password needs at least {MIN_PASSWORD_LENGTH} characters",
            min=MIN_PASSWORD_LENGTH,
        )


def create_user(session: Session, username: str, password: str, role: str) -> User:
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


def set_password(session: Session, user_id: int, password: str) -> None:
    check_password(password)
    row = session.get(UserRow, user_id)
    if row is None:
        raise AccountError("err_no_user", "no such user")
    row.password_hash = _hasher.hash(password)
    # A new password ends every open login of that user.
    session.execute(sa.delete(SessionRow).where(SessionRow.user_id == user_id))


def set_role_and_active(session: Session, user_id: int, role: str, active: bool) -> None:
    if role not in ROLES:
        raise AccountError("err_role", f"role must be one of {', '.join(ROLES)}")
    row = session.get(UserRow, user_id)
    if row is None:
        raise AccountError("err_no_user", "no such user")
    if row.role == "admin" and (role != "admin" or not active) and _active_admins(session) <= 1:
        raise AccountError("err_last_admin", "the last active admin cannot be removed")
    row.role, row.active = role, active
    if not active:
        session.execute(sa.delete(SessionRow).where(SessionRow.user_id == user_id))


def _active_admins(session: Session) -> int:
    return session.scalar(sa.select(sa.func.count()).where(UserRow.role == "admin", UserRow.active.is_(True))) or 0


def has_admin(session: Session) -> bool:
    return _active_admins(session) > 0


def users(session: Session) -> list[UserRow]:
    return list(session.scalars(sa.select(UserRow).order_by(UserRow.username)))


def _failures_since(session: Session, column: sa.Column, value: str, since: dt.datetime) -> int:
    query = sa.select(sa.func.count()).where(
        column == value, LoginAttemptRow.succeeded.is_(False), LoginAttemptRow.at >= since
    )
    return session.scalar(query) or 0


def authenticate(session: Session, username: str, password: str, remote_addr: str) -> User | None:
    """The user if the password is right; None if not. Raises TooManyAttempts while rate-limited."""
    username = username.strip().lower()[:80]
    now = utcnow()
    since = now - FAILURE_WINDOW
    if (
        _failures_since(session, LoginAttemptRow.username, username, since) >= MAX_FAILURES_PER_USER
        or _failures_since(session, LoginAttemptRow.remote_addr, remote_addr, since) >= MAX_FAILURES_PER_ADDRESS
    ):
        raise TooManyAttempts()
    row = session.scalars(sa.select(UserRow).where(UserRow.username == username)).first()
    try:
        _hasher.verify(row.password_hash if row is not None else _DUMMY_HASH, password)
        succeeded = row is not None and row.active
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        succeeded = False
    session.add(LoginAttemptRow(username=username, remote_addr=remote_addr[:64], succeeded=succeeded, at=now))
    if not succeeded:
        return None
    if _hasher.check_needs_rehash(row.password_hash):
        row.password_hash = _hasher.hash(password)
    row.last_login_at = now
    return _user(row)


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class LoginSession:
    token: str  # goes in the cookie; only its hash is stored
    csrf_token: str
    user: User


def start_session(session: Session, user: User) -> LoginSession:
    token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    now = utcnow()
    session.add(
        SessionRow(token_hash=_token_hash(token), user_id=user.id, csrf_token=csrf, created_at=now, last_seen_at=now)
    )
    return LoginSession(token, csrf, user)


def _aware(moment: dt.datetime) -> dt.datetime:
    # SQLite returns stored UTC times without their zone.
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.timezone.utc)


def resume_session(session: Session, token: str, idle: dt.timedelta) -> LoginSession | None:
    """The login behind a cookie's token, if it is still valid; touches it so idle time restarts."""
    if not token:
        return None
    row = session.get(SessionRow, _token_hash(token))
    if row is None:
        return None
    now = utcnow()
    user = session.get(UserRow, row.user_id)
    expired = now - _aware(row.last_seen_at) > idle or now - _aware(row.created_at) > SESSION_LIFETIME
    if expired or user is None or not user.active:
        session.delete(row)
        return None
    row.last_seen_at = now
    return LoginSession(token, row.csrf_token, _user(user))


def end_session(session: Session, token: str) -> None:
    session.execute(sa.delete(SessionRow).where(SessionRow.token_hash == _token_hash(token)))
