"""python -m dashboard serve | create-admin | reset-second-factor | retention | forget <conversation id>
| audit-verify"""

from __future__ import annotations

import argparse
import getpass
import logging
import os
import sys
import threading

from sqlalchemy.orm import Session

from rasa_extensions.conversation_lock import holding_conversation
from ryggvett import settings
from ryggvett.reference.models import make_engine
from ryggvett.review import audit
from ryggvett.review.accounts import AccountError, create_user, find_user, has_admin, reset_second_factor
from ryggvett.review.models import review_engine
from ryggvett.review.retention import Periods, forget_conversation, run_retention

log = logging.getLogger("dashboard")
DAY_SECONDS = 24 * 60 * 60


def _retention_once() -> None:
    """Delete everything past its period, and say so in the audit log as a manual run does."""
    project = review_engine(settings.db_url())
    deleted = run_retention(make_engine(settings.tracker_url()), project, Periods.from_settings())
    detail = f"{deleted.conversations} conversations, {deleted.events} events, {deleted.rows}"
    with Session(project) as session, session.begin():
        audit.record(session, audit.SYSTEM, "retention", detail=detail)
    with Session(project) as session:
        head = audit.head_hash(session)
    log.info("retention: deleted %s", detail)
    # A copy of the audit chain's latest hash outside the database: a rewritten chain would not end in it.
    log.info("audit log: latest hash %s", head)


def audit_verify() -> int:
    """Walk the audit log's hash chain: OK and the row count, or the first row that does not verify."""
    with Session(review_engine(settings.db_url())) as session:
        check = audit.verify(session)
    print(check.message)
    return 0 if check.ok else 1


def _retention_daily(stop: threading.Event) -> None:
    while not stop.is_set():
        try:
            _retention_once()
        except Exception:  # keep serving; the next day tries again
            log.exception("retention job failed")
        stop.wait(DAY_SECONDS)


def serve(host: str, port: int, threads: int) -> None:
    from waitress import serve as waitress_serve

    from dashboard import create_app

    app = create_app()
    with Session(app.config["REVIEW_ENGINE"]) as session:
        if not has_admin(session):
            log.warning("No admin yet: create one with `make dashboard-admin` (python -m dashboard create-admin)")
    threading.Thread(target=_retention_daily, args=(threading.Event(),), daemon=True).start()
    log.info("clinicians' dashboard on http://%s:%d", host, port)
    # Waitress drops X-Forwarded-* headers unless told otherwise; the app's ProxyFix reads them only
    # when RYGGVETT_DASHBOARD_TRUSTED_PROXIES says how many proxies to believe.
    keep_forwarded = app.config["DASHBOARD"].trusted_proxies > 0
    waitress_serve(
        app, host=host, port=port, threads=threads, ident="ryggvett-dashboard",
        clear_untrusted_proxy_headers=not keep_forwarded,
    )  # fmt: skip


def create_admin(username: str) -> int:
    password = os.environ.get("RYGGVETT_ADMIN_PASSWORD") or getpass.getpass(
        f"Password for {username} (12+ characters): "
    )
    with Session(review_engine(settings.db_url())) as session, session.begin():
        try:
            user = create_user(session, username, password, "admin")
        except AccountError as error:
            print(f"Not created: {error}", file=sys.stderr)
            return 1
    print(f"Admin {user.username} created. The first login sets up the second factor (an authenticator app).")
    return 0


def reset_user_second_factor(username: str) -> int:
    """For an admin who lost both phone and recovery codes: the next login enrols anew."""
    with Session(review_engine(settings.db_url())) as session, session.begin():
        user = find_user(session, username)
        if user is None:
            print(f"No user {username}", file=sys.stderr)
            return 1
        reset_second_factor(session, user.id)
        audit.record(session, audit.COMMAND_LINE, "second_factor_reset", detail=f"{user.username}")
    print(f"The second factor of {user.username} is reset; their next login sets up a new one.")
    return 0


def forget(conversation_id: str) -> int:
    """As the admin page's «forget»: recorded first, deleted under the conversation's lock, then the counts."""
    project = review_engine(settings.db_url())
    with holding_conversation(conversation_id) as locked:
        with Session(project) as session, session.begin():
            lock = "lock held" if locked else "no shared lock"
            audit.record(session, audit.COMMAND_LINE, "forget", conversation_id, lock)
        deleted = forget_conversation(make_engine(settings.tracker_url()), project, conversation_id)
    with Session(project) as session, session.begin():
        detail = f"{deleted.events} events, {deleted.rows}"
        audit.record(session, audit.COMMAND_LINE, "forgotten", conversation_id, detail)
    print(f"Deleted {deleted.events} events and {deleted.rows}")
    return 0


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    parser = argparse.ArgumentParser(prog="python -m dashboard", description="Ryggvett's clinicians' dashboard")
    commands = parser.add_subparsers(dest="command", required=True)
    serve_cmd = commands.add_parser("serve", help="serve the dashboard (waitress)")
    serve_cmd.add_argument("--host", default=os.environ.get("RYGGVETT_DASHBOARD_HOST", "127.0.0.1"))
    serve_cmd.add_argument("--port", type=int, default=int(os.environ.get("RYGGVETT_DASHBOARD_PORT", "8001")))
    serve_cmd.add_argument("--threads", type=int, default=8)
    admin_cmd = commands.add_parser(
        "create-admin", help="create an admin (password from RYGGVETT_ADMIN_PASSWORD or a prompt)"
    )
    admin_cmd.add_argument("username")
    reset_cmd = commands.add_parser(
        "reset-second-factor", help="forget a user's authenticator and recovery codes (a lost phone)"
    )
    reset_cmd.add_argument("username")
    commands.add_parser("retention", help="delete what is past the retention period now")
    forget_cmd = commands.add_parser("forget", help="delete everything stored about one conversation id")
    forget_cmd.add_argument("conversation_id")
    commands.add_parser("audit-verify", help="check the audit log's hash chain: OK, or the first row that is not")
    args = parser.parse_args(argv)
    if args.command == "serve":
        serve(args.host, args.port, args.threads)
    elif args.command == "create-admin":
        return create_admin(args.username)
    elif args.command == "reset-second-factor":
        return reset_user_second_factor(args.username)
    elif args.command == "retention":
        _retention_once()
    elif args.command == "forget":
        return forget(args.conversation_id)
    elif args.command == "audit-verify":
        return audit_verify()
    return 0


if __name__ == "__main__":
    sys.exit(main())
