"""The clinicians' web dashboard over the conversation logs (Flask, server-rendered pages).

`create_app` is the application factory, as in Flask's tutorial: the modules it wires up never import it back.
"""

from __future__ import annotations

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from dashboard.config import DashboardConfig, known_intents

__all__ = ["DashboardConfig", "create_app"]


def create_app(dashboard: DashboardConfig | None = None) -> Flask:
    """The dashboard over the databases `dashboard` names (by default, those the environment names)."""
    from dashboard import db, errors, security, texts
    from dashboard.views import admin, auth, conversations, reports

    dashboard = dashboard or DashboardConfig.from_environment()
    app = Flask(__name__)
    app.config.update(
        DASHBOARD=dashboard,
        SECURE_COOKIES=dashboard.secure_cookies,
        INTENTS=known_intents(),
        MAX_CONTENT_LENGTH=256 * 1024,
    )
    app.jinja_env.autoescape = True
    if dashboard.trusted_proxies:
        # The client's address (for the login throttle and the audit log) as the trusted proxies saw it;
        # without them X-Forwarded-For is ignored, or any client could claim any address.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=dashboard.trusted_proxies, x_proto=dashboard.trusted_proxies)

    db.init_app(app)
    # The request hooks run in the order registered: the reader's language (the checks' error pages are
    # translated), then auth's login loader, then the login, role and CSRF checks that need the login.
    texts.init_app(app)
    app.register_blueprint(auth.blueprint)
    security.init_app(app)
    errors.init_app(app)
    for blueprint in (conversations.blueprint, reports.blueprint, admin.blueprint):
        app.register_blueprint(blueprint)
    return app
