"""Admin pages: users, the audit log, and deleting personal data; each view commits its writes."""

from __future__ import annotations

from flask import Blueprint, Response, abort, g, redirect, render_template, request, url_for

from dashboard.auditing import record_list_view
from dashboard.config import get_config
from dashboard.db import committed, get_db, get_engine, get_tracker
from dashboard.security import allow
from dashboard.texts import t
from rasa_extensions.conversation_lock import holding_conversation
from ryggvett.review import audit
from ryggvett.review.accounts import (
    ADMIN,
    ROLES,
    AccountError,
    create_user,
    reset_second_factor,
    set_password,
    set_role_and_active,
    users,
)
from ryggvett.review.retention import Deleted, forget_conversation, run_retention

blueprint = Blueprint("admin", __name__, url_prefix="/admin")


def _users_page(message: str = "", status: int = 200) -> tuple[str, int]:
    return render_template("admin_users.html", users=users(get_db()), roles=ROLES, message=message), status


@blueprint.route("/users")
@allow(ADMIN)
def user_list() -> tuple[str, int]:
    record_list_view("users")
    return committed(_users_page())


@blueprint.route("/users", methods=["POST"])
@allow(ADMIN)
def user_create() -> Response | tuple[str, int]:
    form = request.form
    try:
        user = create_user(get_db(), form.get("username", ""), form.get("password", ""), form.get("role", ""))
    except AccountError as error:
        get_db().rollback()
        return _users_page(t(error.key, **error.values), 400)
    audit.record(get_db(), g.login.user.username, "user_create", detail=f"{user.username} ({user.role})")
    return committed(redirect(url_for("admin.user_list")))


@blueprint.route("/users/<int:user_id>", methods=["POST"])
@allow(ADMIN)
def user_update(user_id: int) -> Response | tuple[str, int]:
    form = request.form
    try:
        if form.get("password"):
            set_password(get_db(), user_id, form["password"])
            audit.record(get_db(), g.login.user.username, "password_reset", detail=f"user {user_id}")
        else:
            set_role_and_active(get_db(), user_id, form.get("role", ""), form.get("active") == "1")
            audit.record(
                get_db(),
                g.login.user.username,
                "user_update",
                detail=f"user {user_id}: {form.get('role')}, active={form.get('active') == '1'}",
            )
    except AccountError as error:
        get_db().rollback()
        return _users_page(t(error.key, **error.values), 400)
    return committed(redirect(url_for("admin.user_list")))


@blueprint.route("/users/<int:user_id>/second-factor", methods=["POST"])
@allow(ADMIN)
def second_factor_reset(user_id: int) -> Response | tuple[str, int]:
    """A lost phone: the user's next login enrols a new authenticator."""
    try:
        user = reset_second_factor(get_db(), user_id)
    except AccountError as error:
        get_db().rollback()
        return _users_page(t(error.key, **error.values), 404)
    audit.record(get_db(), g.login.user.username, "second_factor_reset", detail=f"{user.username} (user {user_id})")
    own = user.id == g.login.user.id  # their own: this login has just ended
    return committed(redirect(url_for("auth.login" if own else "admin.user_list")))


@blueprint.route("/audit")
@allow(ADMIN)
def audit_log() -> str:
    rows = audit.recent(get_db(), 300, request.args.get("user") or None, request.args.get("conversation") or None)
    record_list_view("audit", f"{len(rows)} rows")
    return committed(render_template("admin_audit.html", rows=rows))


def _privacy_page(deleted: Deleted | None = None, forgotten: str | None = None) -> str:
    return render_template("admin_privacy.html", periods=get_config().periods(), deleted=deleted, forgotten=forgotten)


@blueprint.route("/privacy")
@allow(ADMIN)
def privacy() -> str:
    return _privacy_page()


@blueprint.route("/privacy/forget", methods=["POST"])
@allow(ADMIN)
def forget() -> str:
    conversation_id = request.form.get("conversation_id", "").strip()
    if not conversation_id:
        abort(400, t("err_forget_id"))
    username = g.login.user.username
    # Under the conversation's lock on the Rasa servers (when they share one): no turn saves its events back.
    with holding_conversation(conversation_id) as locked:
        # Recorded and committed before anything is deleted: a crash midway still leaves who asked for it.
        audit.record(get_db(), username, "forget", conversation_id, "lock held" if locked else "no shared lock")
        get_db().commit()
        deleted = forget_conversation(get_tracker(), get_engine(), conversation_id)
    audit.record(get_db(), username, "forgotten", conversation_id, f"{deleted.events} events, {deleted.rows}")
    return committed(_privacy_page(deleted, conversation_id))


@blueprint.route("/privacy/retention", methods=["POST"])
@allow(ADMIN)
def retention() -> str:
    # Before this request writes to the audit log: the purge locks the log's chain itself.
    deleted = run_retention(get_tracker(), get_engine(), get_config().periods())
    detail = f"{deleted.conversations} conversations, {deleted.events} events, {deleted.rows}"
    audit.record(get_db(), g.login.user.username, "retention", detail=detail)
    return committed(_privacy_page(deleted))
