"""Logging in (password, then the TOTP second factor or enrolling one) and out; the login of each request."""

from __future__ import annotations

import datetime as dt
from typing import Any

import segno
from flask import Blueprint, Response, current_app, g, make_response, redirect, render_template, request, url_for
from markupsafe import Markup

from dashboard import security
from dashboard.config import get_config
from dashboard.db import committed, get_db
from dashboard.security import allow
from dashboard.texts import t
from ryggvett.review import audit
from ryggvett.review.accounts import (
    ROLES,
    LoginSession,
    TooManyAttempts,
    authenticate,
    complete_login,
    enable_totp,
    end_session,
    enrolment_seed,
    known_username,
    recovery_codes_left,
    resume_session,
    start_session,
    totp_secret,
    totp_uri,
    verify_second_factor,
)

blueprint = Blueprint("auth", __name__)


@blueprint.before_app_request
def load_logged_in_user() -> None:
    """g.login: the login behind the session cookie while it is valid, else None.

    Resuming a login writes, on a GET too: its last-seen time is what the idle timeout counts from, and a login
    past its time is deleted. Committed at once: a request that fails was still activity, and SQLite's write lock
    must not be held while the view works (refreshing the index, «forget» and retention write on connections of
    their own).
    """
    token = request.cookies.get(security.SESSION_COOKIE, "")
    g.login = None
    if token:
        g.login = resume_session(get_db(), token, dt.timedelta(minutes=get_config().idle_minutes))
        get_db().commit()


@blueprint.app_context_processor
def login_context() -> dict[str, Any]:
    """Who is logged in, their CSRF token, and which pages their role may open (the menu shows only those)."""
    login: LoginSession | None = g.get("login")
    return {
        "login": login,
        "user": login.user if login else None,
        "csrf_token": login.csrf_token if login else "",
        "may_open": lambda endpoint: bool(login and login.full) and security.may_open(login.user, endpoint),
    }


def _address() -> str:
    # The socket's address, or the trusted proxies' X-Forwarded-For (ProxyFix in create_app).
    return request.remote_addr or "unknown"


def _set_session_cookie(response: Response, login: LoginSession) -> Response:
    response.set_cookie(
        security.SESSION_COOKIE, login.token, httponly=True, secure=current_app.config["SECURE_COOKIES"],
        samesite="Strict",
    )  # fmt: skip
    return response


def _who_tried(typed: str) -> str:
    """The username for the audit log: as stored if a user has it; a name nobody has is often a password."""
    return known_username(get_db(), typed) or audit.UNKNOWN_USER


def _throttled(page: Response, refused: TooManyAttempts, username: str, step: str) -> Response:
    audit.record(get_db(), username, "login_refused", detail=f"{step}: wait, from {_address()}")
    page.status_code = 429
    page.headers["Retry-After"] = str(refused.retry_after)
    return page


def _login_page(message: str = "", status: int = 200) -> Response:
    token = security.new_login_csrf()
    response = make_response(
        render_template("login.html", login_csrf=token, message=message, next=request.args.get("next", "")), status
    )
    response.set_cookie(
        security.LOGIN_CSRF_COOKIE, token, httponly=True, secure=current_app.config["SECURE_COOKIES"], samesite="Strict"
    )
    return response


@blueprint.route("/login", methods=["GET", "POST"])
def login() -> Response:
    if request.method == "GET":
        if g.get("login"):
            return redirect(url_for("conversations.home"))
        return _login_page()
    username = request.form.get("username", "")
    try:
        user = authenticate(get_db(), username, request.form.get("password", ""), _address())
    except TooManyAttempts as refused:
        page = _login_page(t("login_locked", seconds=refused.retry_after))
        return committed(_throttled(page, refused, _who_tried(username), "password"))
    if user is None:
        # Committed with the throttle's count of this failure.
        audit.record(get_db(), _who_tried(username), "login_failed", detail=f"password, from {_address()}")
        return committed(_login_page(t("login_wrong"), 401))
    session = start_session(get_db(), user)  # opens only the second-factor step
    if not user.has_totp:
        # The enrolment's seed is made here, so that the enrolment page (a GET) only reads it.
        get_db().flush()
        enrolment_seed(get_db(), session)
    audit.record(get_db(), user.username, "login_password", detail=f"from {_address()}")
    step = "auth.second_factor" if user.has_totp else "auth.enrol"
    # An unsafe target is dropped here already, and checked again when the login completes.
    target = security.safe_next(request.form.get("next"), "") or None
    response = _set_session_cookie(redirect(url_for(step, next=target)), session)
    response.delete_cookie(security.LOGIN_CSRF_COOKIE)
    return committed(response)


def _complete_login(method: str) -> tuple[LoginSession, str]:
    """Both factors given: a new full session, and where the user was going (on this site) or their home page."""
    login = complete_login(get_db(), g.login)
    audit.record(get_db(), login.user.username, "login", detail=f"{method}, from {_address()}")
    return login, security.safe_next(request.form.get("next"), security.home_url(login.user))


def _second_factor_page(message: str = "", status: int = 200) -> Response:
    page = render_template("second_factor.html", message=message, next=request.values.get("next", ""))
    return make_response(page, status)


@blueprint.route("/login/second-factor", methods=["GET", "POST"])
@allow(*ROLES)
def second_factor() -> Response:
    login: LoginSession = g.login
    if login.full:
        return redirect(security.home_url(login.user))
    if not login.user.has_totp:
        return redirect(url_for("auth.enrol"))
    if request.method == "GET":
        return _second_factor_page()
    try:
        method = verify_second_factor(get_db(), login.user, request.form.get("code", ""), _address())
    except TooManyAttempts as refused:
        page = _second_factor_page(t("login_locked", seconds=refused.retry_after))
        return committed(_throttled(page, refused, login.user.username, "second factor"))
    if method is None:
        audit.record(get_db(), login.user.username, "login_failed", detail=f"second factor, from {_address()}")
        return committed(_second_factor_page(t("code_wrong"), 401))
    if method == "recovery code":
        method += f" ({recovery_codes_left(get_db(), login.user.id)} left)"
    login, target = _complete_login(method)
    return committed(_set_session_cookie(redirect(target), login))


def _qr_svg(uri: str) -> Markup:
    # An inline SVG of paths only: no script and no style attribute, so the strict CSP holds.
    svg = segno.make(uri, error="m").svg_inline(scale=5, svgclass="qr", title=t("totp_qr_title"))
    return Markup(svg)  # segno's own markup: paths drawn from the URI, no text of it


@blueprint.route("/login/enrol", methods=["GET", "POST"])
@allow(*ROLES)
def enrol() -> Response:
    """Enrol: scan the QR code (or type the secret), prove it with a code, keep the recovery codes."""
    login: LoginSession = g.login
    if login.full:
        return redirect(security.home_url(login.user))
    if login.user.has_totp:  # enrolling never replaces a second factor; an admin resets a lost one
        return redirect(url_for("auth.second_factor"))
    # Made at the password step; made here (and committed, on a GET too) only for a login begun before the
    # dashboard did that, or reloading the page would show a new code that the phone has not scanned.
    seed = enrolment_seed(get_db(), login)
    posted = request.method == "POST"
    codes = enable_totp(get_db(), login.user.id, seed, request.form.get("code", "")) if posted else None
    if codes is None:
        uri = totp_uri(login.user.username, seed)
        page = render_template(
            "enrol.html", qr=_qr_svg(uri), uri=uri, secret=totp_secret(seed), next=request.values.get("next", ""),
            message=t("code_wrong") if posted else "",
        )  # fmt: skip
        return committed(make_response(page, 400 if posted else 200))
    audit.record(get_db(), login.user.username, "second_factor_enrol", detail=f"from {_address()}")
    login, target = _complete_login("totp (enrolled)")
    # The recovery codes are shown this once; only their hashes are kept.
    page = make_response(render_template("recovery_codes.html", codes=codes, next=target))
    return committed(_set_session_cookie(page, login))


@blueprint.route("/logout", methods=["POST"])
@allow(*ROLES)
def logout() -> Response:
    end_session(get_db(), g.login.token)
    audit.record(get_db(), g.login.user.username, "logout")
    response = redirect(url_for("auth.login"))
    response.delete_cookie(security.SESSION_COOKIE)
    return committed(response)
