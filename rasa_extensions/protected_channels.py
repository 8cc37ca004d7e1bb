"""REST and callback channels that only answer server-to-server calls carrying a shared token.

Rasa's own `rest` and `callback` channels accept anyone's POST. These keep
their URLs and payloads (`/webhooks/rest/webhook`, `/webhooks/callback/webhook`)
and add one check: `Authorization: Bearer <token>`, as a header only (a token in the URL
ends up in access logs and proxies' histories).
Without a configured token they refuse every message, so a forgotten
setting closes the door instead of opening it.

Every message is also checked before the dialogue sees it
(ryggvett/message_guard.py): a malformed payload gets a 400 with the reason,
a flood from one sender a 429, a message over the size limit a polite request
for a shorter one, and a failure while handling it a polite apology, never a 5xx.
"""

from __future__ import annotations

import hmac
import logging
import math
from typing import Any, Awaitable, Callable, Dict

from rasa.core.channels.callback import CallbackInput
from rasa.core.channels.channel import CollectingOutputChannel, InputChannel, OutputChannel, UserMessage
from rasa.core.channels.rest import RestInput
from rasa.core.lock_store import LockError
from rasa.utils.endpoints import EndpointConfig
from redis.exceptions import RedisError
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse
from sqlalchemy.exc import SQLAlchemyError

import rasa_extensions
from rasa_extensions.long_lived_objects import freeze_once_started
from ryggvett.message_guard import (
    BadRequest,
    IncomingMessage,
    RateLimiter,
    language_of,
    parse_payload,
    rate_limit,
    system_message,
    too_long,
)

logger = logging.getLogger(__name__)


def presented_token(request: Request) -> str:
    """The bearer token of the Authorization header; a `?token=` in the URL counts for nothing."""
    header = request.headers.get("Authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip()
    return ""


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


class GuardedChannel:
    """The checks both server-to-server channels share; `reply` sends a text back the channel's way."""

    limiter: RateLimiter
    name: Callable[[], str]  # the channel's name, from the Rasa channel class it is mixed into

    def admit(self, request: Request) -> IncomingMessage | HTTPResponse:
        """The checked message, or the 400/429 answer to give instead."""
        try:
            incoming = parse_payload(request.body or b"")
        except BadRequest as error:
            return response.json({"error": str(error)}, status=400)
        wait = self.limiter.retry_after(incoming.sender)
        if wait:
            return response.json(
                {"error": "too many messages", "text": system_message("too_many_messages", language_of(incoming.text))},
                status=429,
                headers={"Retry-After": str(math.ceil(wait))},
            )
        return incoming

    async def handle(
        self,
        incoming: IncomingMessage,
        output: OutputChannel,
        on_new_message: Callable[[UserMessage], Awaitable[Any]],
    ) -> None:
        """Pass the message to the dialogue; a polite text instead when it is too long or handling fails.

        When handling fails after some replies were made (the conversation could not be saved),
        those replies still go out (they may be urgent advice), followed by the apology: a reply
        without the apology means the message is stored.
        """
        if too_long(incoming.text):
            await output.send_text_message(
                incoming.sender, system_message("message_too_long", language_of(incoming.text))
            )
            return
        message = UserMessage(
            incoming.text, output, incoming.sender, input_channel=self.name(), metadata=incoming.metadata
        )
        try:
            await on_new_message(message)
        except Exception as error:
            log_failure(incoming.sender, error)
            await output.send_text_message(
                incoming.sender, system_message("technical_problem", language_of(incoming.text))
            )


def log_failure(sender: str, error: Exception) -> None:
    """One clear line for the failures operators must act on; the text stays out (it may hold health data)."""
    if isinstance(error, RedisError | LockError):
        logger.error("Redis lock store unreachable (%s): message from %s not handled, apology sent", error, sender)
    elif isinstance(error, SQLAlchemyError):
        logger.error("Tracker store database failed (%s): message from %s not saved, apology sent", error, sender)
    else:
        logger.exception("Handling a message from %s failed: apology sent", sender)


class ProtectedRestInput(GuardedChannel, RestInput):
    """`rest` channel for reception and messaging systems; credentials: `token`."""

    @classmethod
    def name(cls) -> str:
        return "rest"

    @classmethod
    def from_credentials(cls, credentials: Dict[str, Any] | None) -> InputChannel:
        return cls(str((credentials or {}).get("token") or ""))

    def __init__(self, token: str = "") -> None:
        self.token = token
        self.limiter = RateLimiter(*rate_limit())

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[None]]) -> Blueprint:
        webhook = Blueprint("custom_webhook_ProtectedRestInput", __name__)
        rasa_extensions.warn_unless_installed(type(self).__name__)
        freeze_once_started(webhook)

        @webhook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @webhook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            incoming = self.admit(request)
            if isinstance(incoming, HTTPResponse):
                return incoming
            collector = CollectingOutputChannel()
            await self.handle(incoming, collector, on_new_message)
            return response.json(collector.messages)

        return require_token(webhook, self.token, self.name())


class ProtectedCallbackInput(GuardedChannel, CallbackInput):
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
        self.limiter = RateLimiter(*rate_limit())

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        webhook = Blueprint("callback_webhook_ProtectedCallbackInput", __name__)
        rasa_extensions.warn_unless_installed(type(self).__name__)
        freeze_once_started(webhook)

        @webhook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @webhook.route("/webhook", methods=["POST"])
        async def webhook_route(request: Request) -> HTTPResponse:
            incoming = self.admit(request)
            if isinstance(incoming, HTTPResponse):
                return incoming
            await self.handle(incoming, self.get_output_channel(), on_new_message)
            return response.text("success")

        return require_token(webhook, self.token, self.name())
