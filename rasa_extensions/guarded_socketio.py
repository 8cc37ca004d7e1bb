"""Rasa's socket.io channel for the web widget, with an origin check and the same message checks as REST.

Rasa 3.6 accepts a websocket from any page. This accepts one only from the
origins in RYGGVETT_CORS (comma-separated; `*` allows any, for development),
and checks each message like the server-to-server channels: malformed data is
dropped with a log line, a flood or an over-long message gets a polite text.
"""

from __future__ import annotations

import logging
import os
from typing import Any, Awaitable, Callable, Dict

from rasa.core.channels.channel import UserMessage
from rasa.core.channels.socketio import SocketIOInput, SocketIOOutput
from sanic import Blueprint

import rasa_extensions
from rasa_extensions.long_lived_objects import freeze_once_started
from rasa_extensions.protected_channels import log_failure
from ryggvett.message_guard import (
    MAX_SENDER_LENGTH,
    RateLimiter,
    clean_text,
    language_of,
    rate_limit,
    system_message,
    too_long,
)

logger = logging.getLogger(__name__)
rasa_extensions.install()


def allowed_origins() -> list[str]:
    """The origins allowed to open the chat (RYGGVETT_CORS); empty when unset, which refuses browsers."""
    return [origin.strip().rstrip("/") for origin in os.environ.get("RYGGVETT_CORS", "").split(",") if origin.strip()]


def origin_allowed(origin: str | None, allowed: list[str]) -> bool:
    if "*" in allowed:
        return True
    # A client that is not a browser sends no Origin; browsers always do.
    return origin is None or origin.rstrip("/") in allowed


class GuardedSocketIOInput(SocketIOInput):
    @classmethod
    def name(cls) -> str:
        return "socketio"

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        webhook = super().blueprint(on_new_message)
        freeze_once_started(webhook)
        sio = self.sio
        handlers = sio.handlers[self.namespace or "/"]
        accept_connection = handlers["connect"]
        handle_message = handlers[self.user_message_evt]
        limiter = RateLimiter(*rate_limit())
        allowed = allowed_origins()
        if not allowed:
            logger.warning("RYGGVETT_CORS is empty: the web chat refuses every browser.")

        @sio.on("connect", namespace=self.namespace)
        async def connect(sid: str, environ: Dict, auth: Dict | None = None) -> bool:
            origin = environ.get("HTTP_ORIGIN")
            if not origin_allowed(origin, allowed):
                logger.warning("Refused a web chat connection from origin %s", origin)
                return False
            return await accept_connection(sid, environ, auth)

        @sio.on(self.user_message_evt, namespace=self.namespace)
        async def guarded_message(sid: str, data: Any) -> None:
            if not isinstance(data, dict) or not isinstance(data.get("message"), str):
                logger.warning("Dropped a malformed web chat message from %s", sid)
                return
            session = str(data.get("session_id") or sid)[:MAX_SENDER_LENGTH]
            text = clean_text(data["message"])
            if not text:
                return
            output = SocketIOOutput(sio, self.bot_message_evt)
            recipient = session if self.session_persistence else sid
            if limiter.retry_after(session):
                await output.send_text_message(recipient, system_message("too_many_messages", language_of(text)))
                return
            if too_long(text):
                await output.send_text_message(recipient, system_message("message_too_long", language_of(text)))
                return
            metadata = data.get(self.metadata_key)
            if metadata is not None and not isinstance(metadata, dict | str):
                data = {**data, self.metadata_key: {}}
            try:
                await handle_message(sid, {**data, "message": text})
            except Exception as error:
                log_failure(session, error)
                await output.send_text_message(recipient, system_message("technical_problem", language_of(text)))

        return webhook
