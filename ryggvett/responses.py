"""Pick a domain response's variation for a language.

Bot texts live once, in domain.yml, as variations conditioned on the
`language` slot. Rasa chooses the variation from the slot's value before an
action's events apply, so code that knows a newer language (the turn hook
that has just detected it) renders the variation itself with this.
"""

from __future__ import annotations

from typing import Any, Mapping


def _language_of(variation: Mapping[str, Any]) -> str | None:
    for condition in variation.get("condition") or ():
        if condition.get("name") == "language":
            return str(condition.get("value"))
    return None


def render(responses: Mapping[str, Any], name: str, language: str, **values: Any) -> dict[str, Any]:
    """The variation of response `name` for `language`, with `{slot}` values filled.

    Returns a dict of `text` and, when present, `buttons`, ready for
    `dispatcher.utter_message(**...)`. The unconditioned variation is the fallback.
    """
    variations = responses.get(name)
    if not variations:
        raise KeyError(f"no response '{name}' in the domain")
    chosen = next((v for v in variations if _language_of(v) == language), None)
    chosen = chosen or next((v for v in variations if _language_of(v) is None), variations[0])
    message: dict[str, Any] = {"text": chosen.get("text", "").format(**values) if values else chosen.get("text", "")}
    if chosen.get("buttons"):
        message["buttons"] = [dict(button) for button in chosen["buttons"]]
    return message
