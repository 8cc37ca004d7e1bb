"""Error pages in the reader's language; a refused request is recorded in the audit log."""

from __future__ import annotations

from flask import Flask, g, render_template
from werkzeug.exceptions import HTTPException

from dashboard.auditing import record_refusal
from dashboard.db import get_db
from dashboard.texts import t, texts


def error_page(error: HTTPException) -> tuple[str, int]:
    """The error in the reader's language: our own aborts pass a translated description."""
    code = error.code or 500
    reason = g.get("refusal")
    if reason:
        # Only the refusal is kept: whatever the refused request had written is dropped first.
        get_db().rollback()
        record_refusal(code, reason)
        get_db().commit()
    known = f"error_{code}" in texts()
    title = t(f"error_{code}") if known else error.name
    description = error.description
    if description == type(error).description:  # Werkzeug's English default
        description = t(f"error_{code}_text") if known else ""
    return render_template("error.html", code=code, title=title, description=description), code


def init_app(app: Flask) -> None:
    app.register_error_handler(HTTPException, error_page)
