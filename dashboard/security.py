"""Login, roles, CSRF tokens and response headers for every dashboard request."""

from __future__ import annotations

import hmac
import secrets
import unicodedata
from collections.abc import Callable
from typing import NoReturn, TypeVar
from urllib.parse import unquote, urlsplit

from flask import Flask, Response, abort, current_app, g, redirect, request, url_for

from dashboard.texts import translate
from ryggvett.review.accounts import ADMIN, CLINICIAN, RECEPTION, User

# Who needs what: conversations (health data) and their analytics and exports are for clinicians;
# the callback worklist (names, phone numbers) is for reception; admins may open everything.
CLINICAL = (CLINICIAN, ADMIN)
WORKLIST = (RECEPTION, ADMIN)
SESSION_COOKIE = "ryggvett_dashboard"
LOGIN_CSRF_COOKIE = "ryggvett_login_csrf"
PUBLIC_ENDPOINTS = frozenset({"auth.login", "static"})
# All a session that has passed the password but not the second factor may open.
SECOND_FACTOR_ENDPOINTS = frozenset({"auth.second_factor", "auth.enrol", "auth.logout"})
# Where each role starts: the first of these its role may open.
HOME_PAGES = ("conversations.index", "reports.callbacks", "admin.user_list")
SAFE_METHODS = frozenset({"GET", "HEAD"})
# Pages hold health data: nothing cached, nothing framed, nothing loaded from elsewhere.
HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    # "same-origin": browsers then send the real Origin with the dashboard's own form posts.
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
    "Cross-Origin-Opener-Policy": "same-origin",
}

View = TypeVar("View", bound=Callable[..., object])


def allow(*roles: str) -> Callable[[View], View]:
    """The roles that may use a view; a view without this answers 403 to every role (deny by default)."""

    def mark(view: View) -> View:
        view.allowed_roles = frozenset(roles)  # type: ignore[attr-defined]
        return view

    return mark


def allowed_roles(endpoint: str | None) -> frozenset[str]:
    view = current_app.view_functions.get(endpoint or "")
    return getattr(view, "allowed_roles", frozenset())


def may_open(user: User | None, endpoint: str) -> bool:
    """Whether the user's role may use a page (templates show only the links it may follow)."""
    return user is not None and user.role in allowed_roles(endpoint)


def home_url(user: User) -> str:
    return url_for(next((page for page in HOME_PAGES if may_open(user, page)), "auth.logout"))


def same_origin(origin: str | None) -> bool:
    """Whether a request's Origin header names this server (browsers send one with form posts)."""
    if not origin:
        return True
    if origin == "null":
        # Privacy settings can blank the Origin; the browser's own fetch metadata still tells.
        return request.headers.get("Sec-Fetch-Site") == "same-origin"
    return urlsplit(origin).netloc == request.host


def tokens_match(sent: str | None, expected: str | None) -> bool:
    return bool(sent and expected) and hmac.compare_digest(str(sent), str(expected))


def refuse(code: int, reason: str, description: str | None = None) -> NoReturn:
    """Abort; the error page then writes to the audit log who was refused what, and why (g.refusal)."""
    g.refusal = reason
    abort(code, description)


def check_csrf() -> None:
    """Every state-changing request must carry the session's CSRF token and come from this origin."""
    if request.method in SAFE_METHODS:
        return
    origin = request.headers.get("Origin")
    if not same_origin(origin):
        reason = f"cross-origin request from {str(origin)[:100]}"
        refuse(403, reason, translate("err_cross_origin", g.get("lang", "nb")))
    sent = request.form.get("csrf_token") or request.headers.get("X-CSRF-Token")
    if request.endpoint == "auth.login":
        expected = request.cookies.get(LOGIN_CSRF_COOKIE)
    else:
        expected = g.login.csrf_token if g.get("login") else None
    if not tokens_match(sent, expected):
        refuse(400, "CSRF token missing or wrong", translate("err_csrf", g.get("lang", "nb")))


def require_login() -> Response | None:
    """Anonymous: to the login page. Password only: the second-factor step. Otherwise the role's pages only."""
    if request.endpoint in PUBLIC_ENDPOINTS:
        return None
    login = g.get("login")
    if login is None:
        # Not logged: a page opened without a login is the way to the login page, not a refusal.
        if request.method in SAFE_METHODS and request.endpoint is not None:
            return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
        refuse(401, "not logged in")
    if request.endpoint is None:  # no such page: a 404 or 405 follows
        return None
    if not login.full:
        if request.endpoint in SECOND_FACTOR_ENDPOINTS:
            return None
        if request.method in SAFE_METHODS:
            return redirect(url_for("auth.enrol" if not login.user.has_totp else "auth.second_factor"))
        refuse(401, "second factor not given")
    roles = allowed_roles(request.endpoint)
    if login.user.role not in roles:
        key = "err_admin_only" if roles == {ADMIN} else "err_not_for_role"
        refuse(403, f"not for the role {login.user.role}", translate(key, g.get("lang", "nb"), role=login.user.role))
    return None


def add_headers(response: Response) -> Response:
    for name, value in HEADERS.items():
        response.headers.setdefault(name, value)
    if current_app.config["SECURE_COOKIES"]:
        response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
    return response


def init_app(app: Flask) -> None:
    """The checks every request passes, after the login loader (dashboard.views.auth) has resumed the login."""
    app.before_request(require_login)
    app.before_request(check_csrf)
    app.after_request(add_headers)


def new_login_csrf() -> str:
    return secrets.token_urlsafe(32)


def _local_path(target: str) -> bool:
    """A path on this server and nothing a browser could read as another host: one leading "/", no scheme,
    no host, no backslash (browsers read it as "/"), no control character or space (browsers drop some)."""
    if any(unicodedata.category(char)[0] in "CZ" for char in target):
        return False
    parts = urlsplit(target)
    return (
        target.startswith("/")
        and not target.startswith("//")
        and "\\" not in target
        and not parts.scheme
        and not parts.netloc
    )


def safe_next(target: str | None, default: str) -> str:
    """Only a path on this server: an open redirect would make the login page a phishing aid.

    Checked as sent and once percent-decoded, in case something on the way decodes it again.
    """
    if not target or not _local_path(target) or not _local_path(unquote(target).replace(" ", "%20")):
        return default
    return target
