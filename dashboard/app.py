"""The dashboard's Flask application: configuration, database sessions and the request checks."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
import yaml
from flask import Flask, Response, current_app, g, render_template, request
from sqlalchemy.orm import Session
from werkzeug.exceptions import HTTPException
from werkzeug.middleware.proxy_fix import ProxyFix

from dashboard import security
from dashboard.texts import LANGUAGES, preferred_language, texts, translate
from ryggvett import settings
from ryggvett.reference.models import make_engine
from ryggvett.review import audit
from ryggvett.review.accounts import resume_session
from ryggvett.review.models import review_engine
from ryggvett.review.retention import Periods


@dataclass(frozen=True)
class DashboardConfig:
    tracker_url: str
    db_url: str
    secure_cookies: bool = True
    idle_minutes: int = 60
    low_confidence: float = 0.5
    retention_days: int = 180
    callback_retention_days: int = 30
    open_callback_days: int = 30
    audit_retention_days: int = 365
    login_record_days: int = 30
    trusted_proxies: int = 0  # X-Forwarded-For is believed only from this many proxies in front

    @classmethod
    def from_environment(cls) -> DashboardConfig:
        return cls(
            tracker_url=settings.tracker_url(),
            db_url=settings.db_url(),
            secure_cookies=settings.dashboard_secure_cookies(),
            idle_minutes=settings.dashboard_session_minutes(),
            low_confidence=settings.low_confidence(),
            retention_days=settings.retention_days(),
            callback_retention_days=settings.callback_retention_days(),
            open_callback_days=settings.open_callback_days(),
            audit_retention_days=settings.audit_retention_days(),
            login_record_days=settings.login_record_days(),
            trusted_proxies=settings.dashboard_trusted_proxies(),
        )

    def periods(self) -> Periods:
        return Periods(
            self.retention_days, self.callback_retention_days, self.open_callback_days, self.audit_retention_days,
            self.login_record_days,
        )  # fmt: skip


def known_intents() -> list[str]:
    domain = yaml.safe_load((settings.PROJECT_ROOT / "domain.yml").read_text(encoding="utf-8"))
    return sorted(str(intent) for intent in domain["intents"])


def db() -> Session:
    """This request's session on the project database; committed when the request succeeds."""
    if "db" not in g:
        g.db = Session(current_app.config["REVIEW_ENGINE"])
    return g.db


def tracker() -> sa.engine.Engine:
    return current_app.config["TRACKER_ENGINE"]


def config() -> DashboardConfig:
    return current_app.config["DASHBOARD"]


def record_list_view(name: str, shown: str = "") -> None:
    """Who viewed which list, with its filters (the query, less the page's language) and what it showed."""
    filters = ", ".join(f"{key}={value}" for key, value in sorted(request.args.items(multi=True)) if key != "lang")
    detail = f"{name}: {filters or 'no filters'}" + (f" ({shown})" if shown else "")
    audit.record(db(), g.login.user.username, "view_list", detail=detail)


LANGUAGE_COOKIE = "ryggvett_dashboard_lang"


def _choose_language() -> None:
    g.lang = preferred_language(
        request.args.get("lang"), request.cookies.get(LANGUAGE_COOKIE), request.accept_languages
    )


def _remember_language(response: Response) -> Response:
    if request.args.get("lang") in LANGUAGES:
        response.set_cookie(LANGUAGE_COOKIE, g.lang, samesite="Strict", secure=current_app.config["SECURE_COOKIES"])
    return response


def t(key: str, **values: Any) -> str:
    """A dashboard text in the reader's language."""
    return translate(key, g.get("lang", "nb"), **values)


def _load_login() -> None:
    token = request.cookies.get(security.SESSION_COOKIE, "")
    idle = dt.timedelta(minutes=config().idle_minutes)
    g.login = resume_session(db(), token, idle) if token else None
    db().commit()


def _finish(error: BaseException | None) -> None:
    session = g.pop("db", None)
    if session is not None:
        if error is None:
            session.commit()
        else:
            session.rollback()
        session.close()


def _record_refusal(code: int) -> None:
    """A request the login, role or CSRF checks refused (security.refuse): who, what and why."""
    login = g.get("login")
    username = login.user.username if login else audit.ANONYMOUS
    detail = f"{code} {request.method} {request.path}: {g.refusal}"
    audit.record(db(), username, "refused", detail=detail)


def _error_page(error: HTTPException) -> tuple[str, int]:
    """The error in the reader's language: our own aborts pass a translated description."""
    code = error.code or 500
    if g.get("refusal"):
        _record_refusal(code)
    known = f"error_{code}" in texts()
    title = t(f"error_{code}") if known else error.name
    description = error.description
    if description == type(error).description:  # Werkzeug's English default
        description = t(f"error_{code}_text") if known else ""
    return render_template("error.html", code=code, title=title, description=description), code


def create_app(dashboard: DashboardConfig | None = None) -> Flask:
    dashboard = dashboard or DashboardConfig.from_environment()
    app = Flask(__name__)
    app.config.update(
        DASHBOARD=dashboard,
        SECURE_COOKIES=dashboard.secure_cookies,
        REVIEW_ENGINE=review_engine(dashboard.db_url),
        TRACKER_ENGINE=make_engine(dashboard.tracker_url),
        INTENTS=known_intents(),
        MAX_CONTENT_LENGTH=256 * 1024,
    )
    app.jinja_env.autoescape = True
    if dashboard.trusted_proxies:
        # The client's address (for the login throttle and the audit log) as the trusted proxies saw it;
        # without them X-Forwarded-For is ignored, or any client could claim any address.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=dashboard.trusted_proxies, x_proto=dashboard.trusted_proxies)

    app.before_request(_choose_language)
    app.before_request(_load_login)
    app.before_request(security.require_login)
    app.before_request(security.check_csrf)
    app.after_request(security.add_headers)
    app.after_request(_remember_language)
    app.teardown_request(_finish)
    app.register_error_handler(HTTPException, _error_page)

    @app.context_processor
    def _page_context() -> dict[str, Any]:
        login = g.get("login")
        return {
            "login": login,
            "user": login.user if login else None,
            "csrf_token": login.csrf_token if login else "",
            "t": t,
            "lang": g.get("lang", "nb"),
            "may_open": lambda endpoint: bool(login and login.full) and security.may_open(login.user, endpoint),
        }

    @app.template_filter("when")
    def _when(moment: dt.datetime | None) -> str:
        if moment is None:
            return ""
        moment = moment if moment.tzinfo else moment.replace(tzinfo=dt.timezone.utc)
        return moment.astimezone().strftime("%Y-%m-%d %H:%M")

    from dashboard.views import admin, auth, conversations, reports

    for blueprint in (auth.blueprint, conversations.blueprint, reports.blueprint, admin.blueprint):
        app.register_blueprint(blueprint)
    return app
