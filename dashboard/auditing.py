"""What a request writes to the audit log about itself: the lists viewed, and the requests refused.

Both go through the request's session (dashboard.db.get_db); whoever calls them commits.
"""

from __future__ import annotations

from flask import g, request

from dashboard.db import get_db
from ryggvett.review import audit


def record_list_view(name: str, shown: str = "") -> None:
    """Who viewed which list, with its filters (the query, less the page's language) and what it showed."""
    filters = ", ".join(f"{key}={value}" for key, value in sorted(request.args.items(multi=True)) if key != "lang")
    detail = f"{name}: {filters or 'no filters'}" + (f" ({shown})" if shown else "")
    audit.record(get_db(), g.login.user.username, "view_list", detail=detail)


def record_refusal(code: int, reason: str) -> None:
    """A request the login, role or CSRF checks refused (security.refuse): who, what and why."""
    login = g.get("login")
    username = login.user.username if login else audit.ANONYMOUS
    audit.record(get_db(), username, "refused", detail=f"{code} {request.method} {request.path}: {reason}")
