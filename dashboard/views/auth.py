"""Logging in and out."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, g, make_response, redirect, render_template, request, url_for

from dashboard import security
from dashboard.app import db, t
from ryggvett.review import audit
from ryggvett.review.accounts import TooManyAttempts, authenticate, end_session, start_session

blueprint = Blueprint("auth", __name__)


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
            return redirect(url_for("conversations.index"))
        return _login_page()
    username = request.form.get("username", "")
    address = request.remote_addr or "unknown"
    try:
        user = authenticate(db(), username, request.form.get("password", ""), address)
    except TooManyAttempts:
        audit.record(db(), username[:80] or "?", "login_refused", detail=f"rate limit, from {address}")
        response = _login_page(t("login_locked"), 429)
        response.headers["Retry-After"] = "900"
        return response
    if user is None:
        audit.record(db(), username[:80] or "?", "login_failed", detail=f"from {address}")
        return _login_page(t("login_wrong"), 401)
    session = start_session(db(), user)
    audit.record(db(), user.username, "login", detail=f"from {address}")
    response = redirect(security.safe_next(request.form.get("next")))
    response.set_cookie(
        security.SESSION_COOKIE,
        session.token,
        httponly=True,
        secure=current_app.config["SECURE_COOKIES"],
        samesite="Strict",
    )
    response.delete_cookie(security.LOGIN_CSRF_COOKIE)
    return response


@blueprint.route("/logout", methods=["POST"])
def logout() -> Response:
    end_session(db(), g.login.token)
    audit.record(db(), g.login.user.username, "logout")
    response = redirect(url_for("auth.login"))
    response.delete_cookie(security.SESSION_COOKIE)
    return response
