"""The dashboard's texts in bokmål and English (texts.yml), the reader's language, and how pages write times."""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from flask import Flask, Response, current_app, g, request

LANGUAGES = ("nb", "en")
# Browsers say "no" or "nn" for Norwegian as often as "nb".
NORWEGIAN = ("nb", "no", "nn")
LANGUAGE_COOKIE = "ryggvett_dashboard_lang"


@lru_cache(maxsize=1)
def texts() -> dict[str, dict[str, str]]:
    return yaml.safe_load((Path(__file__).with_name("texts.yml")).read_text(encoding="utf-8"))


def translate(key: str, language: str, **values: Any) -> str:
    text = texts()[key][language if language in LANGUAGES else "nb"]
    return text.format(**values) if values else text


def preferred_language(asked: str | None, remembered: str | None, accept_language: Any) -> str:
    """?lang= first, then the remembered choice, then the browser's languages; bokmål by default."""
    for choice in (asked, remembered):
        if choice in LANGUAGES:
            return choice
    best = accept_language.best_match([*NORWEGIAN, "en"]) if accept_language else None
    return "en" if best == "en" else "nb"


def t(key: str, **values: Any) -> str:
    """A dashboard text in the reader's language."""
    return translate(key, g.get("lang", "nb"), **values)


def choose_language() -> None:
    g.lang = preferred_language(
        request.args.get("lang"), request.cookies.get(LANGUAGE_COOKIE), request.accept_languages
    )


def remember_language(response: Response) -> Response:
    """A language chosen with ?lang= is kept in a cookie (not in the database: a GET writes nothing)."""
    if request.args.get("lang") in LANGUAGES:
        response.set_cookie(LANGUAGE_COOKIE, g.lang, samesite="Strict", secure=current_app.config["SECURE_COOKIES"])
    return response


def when(moment: dt.datetime | None) -> str:
    """A stored time (UTC; SQLite keeps no zone) in the server's local time, to the minute."""
    if moment is None:
        return ""
    moment = moment if moment.tzinfo else moment.replace(tzinfo=dt.timezone.utc)
    return moment.astimezone().strftime("%Y-%m-%d %H:%M")


def language_context() -> dict[str, Any]:
    return {"t": t, "lang": g.get("lang", "nb")}


def init_app(app: Flask) -> None:
    """Choose the language before anything else runs: the login checks' error pages are translated too."""
    app.before_request(choose_language)
    app.after_request(remember_language)
    app.context_processor(language_context)
    app.add_template_filter(when, "when")
