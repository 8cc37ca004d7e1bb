"""Login, roles, CSRF tokens and response headers for every dashboard request."""

from __future__ import annotations

import hmac
import secrets
from urllib.parse import urlsplit

from flask import Response, abort, current_app, g, redirect, request, url_for

from dashboard.texts import translate

SESSION_COOKIE = "ryggvett_dashboard"
LOGIN_CSRF_COOKIE = "ryggvett_login_csrf"
PUBLIC_ENDPOINTS = frozenset({"auth.login", "static"})
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


def check_csrf() -> None:
    """Every state-changing request must carry the session's CSRF token and come from this origin."""
    if request.method in SAFE_METHODS:
        return
    if not same_origin(request.headers.get("Origin")):
        abort(403, translate("err_cross_origin", g.get("lang", "nb")))
    sent = request.form.get("csrf_token") or request.headers.get("X-CSRF-Token")
    if request.endpoint == "auth.login":
        expected = request.cookies.get(LOGIN_CSRF_COOKIE)
    else:
        expected = g.login.csrf_token if g.get("login") else None
    if not tokens_match(sent, expected):
        abort(400, translate("err_csrf", g.get("lang", "nb")))


def require_login() -> Response | None:
    if request.endpoint in PUBLIC_ENDPOINTS:
        return None
    if g.get("login") is None:
        if request.method in SAFE_METHODS and request.endpoint is not None:
            return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
        abort(401)
    return None


def add_headers(response: Response) -> Response:
    for name, value in HEADERS.items():
        response.headers.setdefault(name, value)
    if current_app.config["SECURE_COOKIES"]:
        response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
    return response


def new_login_csrf() -> str:
    return secrets.token_urlsafe(32)


def safe_next(target: str | None) -> str:
    """Only a path on this server: an open redirect would make the login page a phishing aid."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return url_for("conversations.index")
    return target
