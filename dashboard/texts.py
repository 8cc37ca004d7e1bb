"""The dashboard's texts in bokmål and English (texts.yml), and the reader's language."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

LANGUAGES = ("nb", "en")
# Browsers say "no" or "nn" for Norwegian as often as "nb".
NORWEGIAN = ("nb", "no", "nn")


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
