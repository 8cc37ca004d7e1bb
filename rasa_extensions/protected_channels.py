"""REST and callback channels that only answer server-to-server calls carrying a shared token.

Rasa's own `rest` and `callback` channels accept anyone's POST. These keep
their URLs and payloads (`/webhooks/rest/webhook`, `/webhooks/callback/webhook`)
and add one check: `Authorization: Bearer <token>` (or `?token=<token>`).
Without a configured token they refuse every message, so a forgotten
setting closes the door instead of opening it.
"""

from __future__ import annotations

import hmac
import logging
from typing import Any, Awaitable, Callable, Dict

from rasa.core.channels.callback import CallbackInput
from rasa.core.channels.channel import InputChannel, UserMessage
from rasa.core.channels.rest import RestInput
from rasa.utils.endpoints import EndpointConfig
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

logger = logging.getLogger(__name__)


def presented_token(request: Request) -> str:
    header = request.headers.get("Authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip()
    return str(request.args.get("token") or "")


def require_token(blueprint: Blueprint, token: str, channel: str) -> Blueprint:
    """Reject POSTs to the blueprint's routes unless they carry `token`."""
    if not token:
        logger.warning("The %s channel has no token configured: it refuses every message.", channel)

    @blueprint.middleware("request")
    async def check_token(request: Request) -> HTTPResponse | None:
        if request.method != "POST":
            return None  # the GET health route tells nothing
        if token and hmac.compare_digest(presented_token(request).encode(), token.encode()):
            return None
        return response.json({"error": "unauthorized"}, status=401)

    return blueprint


class ProtectedRestInput(RestInput):
    """`rest` channel for reception and messaging systems; credentials: `token`."""

    @classmethod
    def name(cls) -> str:
        return "rest"

    @classmethod
    def from_credentials(cls, credentials: Dict[str, Any] | None) -> InputChannel:
        return cls(str((credentials or {}).get("token") or ""))

    def __init__(self, token: str = "") -> None:
        self.token = token

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[None]]) -> Blueprint:
        return require_token(super().blueprint(on_new_message), self.token, self.name())


class ProtectedCallbackInput(CallbackInput):
    """`callback` channel; credentials: `url` (where replies are posted) and `token`.

    The token is required on incoming messages and sent as a bearer token with
    every reply posted to `url`, so both sides know the other.
    """

    @classmethod
    def from_credentials(cls, credentials: Dict[str, Any] | None) -> InputChannel:
        credentials = credentials or {}
        token = str(credentials.get("token") or "")
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return cls(EndpointConfig(url=credentials.get("url"), headers=headers), token)

    def __init__(self, endpoint: EndpointConfig, token: str = "") -> None:
        super().__init__(endpoint)
        self.token = token

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        return require_token(super().blueprint(on_new_message), self.token, self.name())
