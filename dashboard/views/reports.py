"""Analytics, exports of reviewed corrections, and reception's callback worklist; each view commits its writes."""

from __future__ import annotations

import datetime as dt

from flask import Blueprint, Response, abort, g, redirect, render_template, request, url_for

from dashboard.auditing import record_list_view
from dashboard.config import get_config
from dashboard.db import committed, get_db, get_engine, get_tracker, refresh_conversation_index
from dashboard.security import CLINICAL, WORKLIST, allow
from dashboard.texts import t
from ryggvett.checkin_store import aggregate
from ryggvett.review import audit
from ryggvett.review.analytics import analytics as compute_analytics
from ryggvett.review.annotations import corrections
from ryggvett.review.charts import bar_chart, column_chart
from ryggvett.review.exports import corrections_csv, corrections_nlu_yaml
from ryggvett.review.models import TurnAnnotationRow
from ryggvett.review.worklist import callback_items, mark_done

blueprint = Blueprint("reports", __name__)
PERIODS = (7, 30, 90, 365)


@blueprint.route("/analytics")
@allow(*CLINICAL)
def analytics() -> str:
    period = request.args.get("days", 30, type=int)
    period = period if period in PERIODS else 30
    refresh_conversation_index()
    figures = compute_analytics(get_engine(), get_tracker(), period)
    labels = [day.strftime("%d.%m") for day in figures.days]
    since = dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=period)
    charts = {
        "conversations": column_chart(t("chart_conversations"), labels, figures.conversations_per_day),
        "messages": column_chart(t("chart_messages"), labels, figures.messages_per_day),
        "topics": bar_chart(t("chart_topics"), figures.top_topics),
        "languages": bar_chart(t("chart_languages"), figures.languages),
        "channels": bar_chart(t("chart_channels"), figures.channels),
    }
    checkins = aggregate(get_config().db_url, since)
    record_list_view("analytics", f"{period} days")
    return committed(
        render_template(
            "analytics.html", figures=figures, charts=charts, period=period, periods=PERIODS, checkins=checkins
        )
    )


def _corrections(reviewed_only: bool) -> list[TurnAnnotationRow]:
    return corrections(get_db(), reviewed_only=reviewed_only)


@blueprint.route("/exports")
@allow(*CLINICAL)
def exports() -> str:
    reviewed, annotated = len(_corrections(True)), len(_corrections(False))
    record_list_view("exports", f"{reviewed} reviewed, {annotated} annotated")
    return committed(render_template("exports.html", reviewed=reviewed, all_annotated=annotated))


@blueprint.route("/exports/corrections.<kind>")
@allow(*CLINICAL)
def export_corrections(kind: str) -> Response:
    if kind not in ("yml", "csv"):
        abort(404)
    reviewed_only = request.args.get("all") != "1"
    rows = _corrections(reviewed_only)
    # Who took which data away is recorded, on this GET too.
    audit.record(get_db(), g.login.user.username, f"export_{kind}", detail=f"{len(rows)} corrections")
    if kind == "yml":
        body, mimetype = corrections_nlu_yaml(rows), "application/x-yaml"
    else:
        body, mimetype = corrections_csv(rows), "text/csv"
    disposition = f'attachment; filename="corrections.{kind}"'
    return committed(Response(body, mimetype=mimetype, headers={"Content-Disposition": disposition}))


@blueprint.route("/callbacks")
@allow(*WORKLIST)
def callbacks() -> str:
    include_done = request.args.get("done") == "1"
    items = callback_items(get_db(), include_done=include_done)
    record_list_view("callbacks", f"{len(items)} requests")
    return committed(render_template("callbacks.html", items=items, include_done=include_done))


@blueprint.route("/callbacks/<int:request_id>/done", methods=["POST"])
@allow(*WORKLIST)
def callback_done(request_id: int) -> Response:
    if not mark_done(get_db(), request_id, g.login.user.username):
        abort(404, t("err_no_callback"))
    audit.record(get_db(), g.login.user.username, "callback_done", detail=f"request {request_id}")
    return committed(redirect(url_for("reports.callbacks")))
