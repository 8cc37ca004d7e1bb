"""The project database and the tracker store, as Flask's tutorial does it: one session per request on `g`
(get_db), closed by a teardown that init_app registers.

The views commit what they write themselves. The teardown only rolls back and closes, so a request that fails
or aborts partway through leaves nothing of what it had not committed.
"""

from __future__ import annotations

from typing import TypeVar

import sqlalchemy as sa
from flask import Flask, current_app, g
from sqlalchemy.orm import Session

from dashboard.config import get_config
from ryggvett import checkin_store
from ryggvett.callbacks import Base as CallbackBase
from ryggvett.reference.models import make_engine
from ryggvett.review.conversations import refresh_index
from ryggvett.review.models import review_engine

Page = TypeVar("Page")


def get_db() -> Session:
    """This request's session on the project database: commit what you write, or it is rolled back."""
    if "db" not in g:
        g.db = Session(get_engine())
    return g.db


def committed(response: Page) -> Page:
    """Commit the request's writes once its response is built: `return committed(render_template(...))`."""
    get_db().commit()
    return response


def get_engine() -> sa.engine.Engine:
    """The project database's engine, for the functions that open sessions of their own."""
    return current_app.config["REVIEW_ENGINE"]


def get_tracker() -> sa.engine.Engine:
    """The tracker store's engine (Rasa's events), read by the pages, written only by «forget» and retention."""
    return current_app.config["TRACKER_ENGINE"]


def close_db(error: BaseException | None = None) -> None:
    """Roll back whatever the request did not commit, and close its session; never commit, even without an error."""
    session: Session | None = g.pop("db", None)
    if session is not None:
        session.rollback()
        session.close()


def refresh_conversation_index() -> None:
    """Bring the conversation list's index up to date with the tracker store (commits itself).

    The index is a cache of the tracker store, which Rasa writes; it changes only when conversations came or went
    since the last refresh, and the list and analytics must show them at once.
    """
    refresh_index(get_tracker(), get_engine(), get_config().low_confidence)


def init_app(app: Flask) -> None:
    """The engines, every table the pages read (made now, so that no page makes one), and the teardown."""
    dashboard = app.config["DASHBOARD"]
    engine = review_engine(dashboard.db_url)  # the dashboard's own tables, created or upgraded
    # The callback worklist and the check-in figures read tables that the assistant's actions make when they
    # first store something; the pages would otherwise create them on a GET.
    CallbackBase.metadata.create_all(engine)
    checkin_store.Base.metadata.create_all(engine)
    app.config.update(REVIEW_ENGINE=engine, TRACKER_ENGINE=make_engine(dashboard.tracker_url))
    app.teardown_appcontext(close_db)
