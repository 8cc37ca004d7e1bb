"""The conversation list, a transcript, and the reviewer's annotations; each view commits its writes."""

from __future__ import annotations

import datetime as dt

from flask import Blueprint, Response, abort, current_app, g, redirect, render_template, request, url_for

from dashboard import security
from dashboard.auditing import record_list_view
from dashboard.config import get_config
from dashboard.db import committed, get_db, get_engine, get_tracker, refresh_conversation_index
from dashboard.security import CLINICAL, allow
from dashboard.texts import t
from ryggvett.review import audit
from ryggvett.review.accounts import ROLES
from ryggvett.review.annotations import (
    ReviewError,
    add_tag,
    annotate_turn,
    conversation_tags,
    current_annotations,
    mark_reviewed,
    remove_tag,
    review_state,
)
from ryggvett.review.conversations import Filters, all_tags, list_conversations, load_conversation
from ryggvett.review.events import conversation_events
from ryggvett.review.exports import test_story
from ryggvett.review.transcript import Conversation

blueprint = Blueprint("conversations", __name__)
PAGE_SIZE = 50


def _date(name: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(request.args.get(name, ""))
    except ValueError:
        return None


def _filters() -> Filters:
    args = request.args
    reviewed = {"yes": True, "no": False}.get(args.get("reviewed", ""))
    return Filters(
        date_from=_date("from"),
        date_to=_date("to"),
        language=args.get("language") if args.get("language") in ("nb", "en") else None,
        channel=args.get("channel") or None,
        flag=args.get("flag") if args.get("flag") in ("red_flag", "crisis", "any") else None,
        fallback=args.get("fallback") == "1",
        negative_feedback=args.get("negative") == "1",
        low_confidence=args.get("low_confidence") == "1",
        reviewed=reviewed,
        tag=args.get("tag") or None,
    )


@blueprint.route("/")
@allow(*ROLES)
def home() -> Response:
    return redirect(security.home_url(g.login.user))


@blueprint.route("/conversations")
@allow(*CLINICAL)
def index() -> str:
    refresh_conversation_index()
    page = max(1, request.args.get("page", 1, type=int) or 1)
    listed, total = list_conversations(get_engine(), _filters(), PAGE_SIZE, (page - 1) * PAGE_SIZE)
    args = {key: value for key, value in request.args.items() if key != "page"}
    record_list_view("conversations", f"{len(listed)} of {total} shown")
    return committed(
        render_template(
            "conversations.html",
            listed=listed,
            total=total,
            page=page,
            pages=max(1, -(-total // PAGE_SIZE)),
            args=args,
            tags=all_tags(get_engine()),
        )
    )


def _conversation_or_404(conversation_id: str) -> Conversation:
    conversation = load_conversation(get_tracker(), conversation_id)
    if conversation is None:
        abort(404, t("err_no_conversation"))
    return conversation


@blueprint.route("/conversations/<path:conversation_id>")
@allow(*CLINICAL)
def transcript(conversation_id: str) -> str:
    conversation = _conversation_or_404(conversation_id)
    # Who read which conversation (health data) is recorded, on this GET too.
    audit.record(get_db(), g.login.user.username, "view", conversation_id)
    return committed(
        render_template(
            "transcript.html",
            conversation=conversation,
            annotations=current_annotations(get_db(), conversation_id),
            state=review_state(get_db(), conversation_id),
            tags=conversation_tags(get_db(), conversation_id),
            intents=current_app.config["INTENTS"],
            low_confidence=get_config().low_confidence,
        )
    )


def _back(conversation_id: str, anchor: str = "") -> Response:
    return redirect(url_for("conversations.transcript", conversation_id=conversation_id) + anchor)


@blueprint.route("/conversations/<path:conversation_id>/turns/<int:event_id>", methods=["POST"])
@allow(*CLINICAL)
def annotate(conversation_id: str, event_id: int) -> Response:
    conversation = _conversation_or_404(conversation_id)
    turn = next((t for t in conversation.messages if t.event_id == event_id), None)
    if turn is None:
        abort(404, t("err_no_message"))
    form = request.form
    try:
        row = annotate_turn(
            get_db(), conversation_id, turn, g.login.user.username, form.get("verdict", ""), form.get("intent"),
            form.get("note", ""), set(current_app.config["INTENTS"]),
        )  # fmt: skip
    except ReviewError as error:
        abort(400, t(error.key, **error.values))
    detail = f"turn {event_id}: {row.verdict}" + (f" -> {row.corrected_intent}" if row.corrected_intent else "")
    audit.record(get_db(), g.login.user.username, "annotate", conversation_id, detail)
    return committed(_back(conversation_id, f"#turn-{event_id}"))


@blueprint.route("/conversations/<path:conversation_id>/tags", methods=["POST"])
@allow(*CLINICAL)
def tag(conversation_id: str) -> Response:
    _conversation_or_404(conversation_id)
    try:
        if request.form.get("remove"):
            remove_tag(get_db(), conversation_id, request.form["remove"])
            audit.record(get_db(), g.login.user.username, "untag", conversation_id, request.form["remove"])
        else:
            added = add_tag(get_db(), conversation_id, request.form.get("tag", ""), g.login.user.username)
            audit.record(get_db(), g.login.user.username, "tag", conversation_id, added)
    except ReviewError as error:
        abort(400, t(error.key, **error.values))
    return committed(_back(conversation_id))


@blueprint.route("/conversations/<path:conversation_id>/review", methods=["POST"])
@allow(*CLINICAL)
def review(conversation_id: str) -> Response:
    _conversation_or_404(conversation_id)
    reviewed = request.form.get("reviewed") == "1"
    mark_reviewed(get_db(), conversation_id, g.login.user.username, reviewed)
    audit.record(get_db(), g.login.user.username, "reviewed" if reviewed else "reopened", conversation_id)
    return committed(_back(conversation_id))


@blueprint.route("/conversations/<path:conversation_id>/story.yml")
@allow(*CLINICAL)
def story(conversation_id: str) -> Response:
    conversation = _conversation_or_404(conversation_id)
    corrected = {
        event_id: row.corrected_intent
        for event_id, row in current_annotations(get_db(), conversation_id).items()
        if row.verdict == "wrong" and row.corrected_intent
    }
    text = test_story(conversation, conversation_events(get_tracker(), conversation_id), corrected)
    # Who took which data away is recorded, on this GET too.
    audit.record(get_db(), g.login.user.username, "export_story", conversation_id)
    safe_name = "".join(c if c.isalnum() or c in "-_" else "_" for c in conversation_id)[:60]
    return committed(
        Response(
            text,
            mimetype="application/x-yaml",
            headers={"Content-Disposition": f'attachment; filename="test_story_{safe_name}.yml"'},
        )
    )
