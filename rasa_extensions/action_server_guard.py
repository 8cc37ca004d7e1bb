"""The action server answers only the Rasa server: loopback by default, and a shared secret on every call.

Its actions read and write a person's check-ins, exercise history and callback requests by
the sender id in the request body, so anyone who can reach it could read someone's history.
Rasa sends the secret as a header from `action_endpoint` (endpoints.yml); a request without
it, or with another, gets 401. With no secret configured every call is refused, so a
forgotten setting fails closed. `/health` stays open for probes; it tells nothing.
"""

from __future__ import annotations

import hmac
import logging
import os

import pluggy
from sanic import Sanic
from sanic.request import Request
from sanic.response import HTTPResponse, json

from ryggvett import settings

log = logging.getLogger(__name__)
hookimpl = pluggy.HookimplMarker("rasa_sdk")

SECRET_HEADER = "X-Ryggvett-Action-Secret"
OPEN_PATHS = frozenset({"/health"})


def secret_matches(given: str | None, expected: str) -> bool:
    """True when a secret is configured and the given one equals it (constant time)."""
    if not expected or given is None:
        return False
    return hmac.compare_digest(given.encode("utf-8"), expected.encode("utf-8"))


@hookimpl
def attach_sanic_app_extensions(app: Sanic) -> None:
    """Check the secret before every route; bind to RYGGVETT_ACTION_HOST (loopback by default)."""
    expected = settings.action_secret()
    if not expected:
        log.error("RYGGVETT_ACTION_SECRET is not set: the action server refuses every call")

    @app.on_request
    async def require_secret(request: Request) -> HTTPResponse | None:
        if request.path in OPEN_PATHS or secret_matches(request.headers.get(SECRET_HEADER), expected):
            return None
        log.warning("refused an action server call to %s from %s", request.path, request.ip)
        return json({"error": "unauthorised"}, status=401)

    # rasa_sdk.endpoint.run reads SANIC_HOST (default 0.0.0.0) after this hook has run, and
    # nothing else in the action server process reads it: the one place to choose the interface.
    os.environ["SANIC_HOST"] = settings.action_host()
