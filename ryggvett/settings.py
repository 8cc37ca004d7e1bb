"""Configuration from environment variables, with the documented defaults."""

from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def _env(name: str, default: str) -> str:
    value = os.environ.get(name, "").strip()
    return value or default


def db_url() -> str:
    """Reference base (and, later, the project's own tables)."""
    return _env("RYGGVETT_DB_URL", f"sqlite:///{PROJECT_ROOT / 'var' / 'ryggvett.db'}")


def content_dir() -> Path:
    return Path(_env("RYGGVETT_CONTENT_DIR", str(PROJECT_ROOT / "content")))


def spacy_model_dir() -> Path:
    return Path(_env("RYGGVETT_SPACY_MODEL", str(PROJECT_ROOT / "build" / "spacy" / "nb_ryggvett")))


def default_language() -> str:
    return _env("RYGGVETT_DEFAULT_LANGUAGE", "nb")


CALLBACK_WITHIN = {"nb": "innen én arbeidsdag", "en": "within one working day"}


def callback_within(language: str) -> str:
    """When reception usually calls back, as the confirmation says it (RYGGVETT_CALLBACK_WITHIN_NB / _EN)."""
    language = language if language in CALLBACK_WITHIN else "nb"
    return _env(f"RYGGVETT_CALLBACK_WITHIN_{language.upper()}", CALLBACK_WITHIN[language])


def public_web_url() -> str:
    """Where patients' browsers reach the web server with the widget and illustrations (RYGGVETT_PUBLIC_URL)."""
    return _env("RYGGVETT_PUBLIC_URL", "http://localhost:8000").rstrip("/")


def illustration_url(filename: str) -> str:
    return f"{public_web_url()}/exercises/{filename}"
