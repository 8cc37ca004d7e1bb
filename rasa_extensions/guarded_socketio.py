"""Rasa's socket.io channel for the web widget, with an origin check and the same message checks as REST.

Rasa 3.6 accepts a websocket from any page. This accepts one only from the
origins in RYGGVETT_CORS (comma-separated; `*` allows any, for development),
and checks each message like the server-to-server channels: malformed data is
dropped with a log line, a flood or an over-long message gets a polite text.

Floods are counted three ways, because the client chooses its session id: per session,
per connection and per client address (read through RYGGVETT_TRUSTED_PROXY_HOPS trusted
proxies only). A connection keeps the one session it asked for in the widget's id format;
its messages count for that session whatever id they carry. Only known metadata is kept.
"""

from __future__ import annotations

import logging
import os
import uuid
from typing import Any, Awaitable, Callable, Dict

from rasa.core.channels.channel import UserMessage
from rasa.core.channels.socketio import SocketIOInput, SocketIOOutput
from sanic import Blueprint

import rasa_extensions
from rasa_extensions.long_lived_objects import freeze_once_started
from rasa_extensions.protected_channels import log_failure
from ryggvett.message_guard import (
    RateLimiter,
    address_rate_limit,
    clean_metadata,
    clean_text,
    client_address,
    language_of,
    rate_limit,
    system_message,
    too_long,
    trusted_proxy_hops,
    widget_session_id,
)

logger = logging.getLogger(__name__)


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
        rasa_extensions.warn_unless_installed(type(self).__name__)
        webhook = super().blueprint(on_new_message)
        freeze_once_started(webhook)
        sio = self.sio
        handlers = sio.handlers[self.namespace or "/"]
        accept_connection = handlers["connect"]
        handle_message = handlers[self.user_message_evt]
        per_session, per_connection = RateLimiter(*rate_limit()), RateLimiter(*rate_limit())
        per_address = RateLimiter(*address_rate_limit())
        hops = trusted_proxy_hops()
        allowed = allowed_origins()
        if not allowed:
            logger.warning("RYGGVETT_CORS is empty: the web chat refuses every browser.")
        # Per connection: the session it was confirmed and the client's address.
        sessions: Dict[str, str] = {}
        addresses: Dict[str, str] = {}

        @sio.on("connect", namespace=self.namespace)
        async def connect(sid: str, environ: Dict, auth: Dict | None = None) -> bool:
            origin = environ.get("HTTP_ORIGIN")
            if not origin_allowed(origin, allowed):
                logger.warning("Refused a web chat connection from origin %s", origin)
                return False
            addresses[sid] = client_address(environ.get("REMOTE_ADDR", ""), environ.get("HTTP_X_FORWARDED_FOR"), hops)
            return await accept_connection(sid, environ, auth)

        @sio.on("disconnect", namespace=self.namespace)
        async def disconnect(sid: str) -> None:
            sessions.pop(sid, None)
            addresses.pop(sid, None)

        @sio.on("session_request", namespace=self.namespace)
        async def session_request(sid: str, data: Any) -> None:
            asked = widget_session_id(data.get("session_id") if isinstance(data, dict) else None)
            session = asked or uuid.uuid4().hex
            sessions[sid] = session
            if self.session_persistence:
                sio.enter_room(sid, session, namespace=self.namespace)  # python-socketio 5.9: not a coroutine
            await sio.emit("session_confirm", session, room=sid)

        @sio.on(self.user_message_evt, namespace=self.namespace)
        async def guarded_message(sid: str, data: Any) -> None:
            if not isinstance(data, dict) or not isinstance(data.get("message"), str):
                logger.warning("Dropped a malformed web chat message from %s", sid)
                return
            session = sessions.get(sid) if self.session_persistence else sid
            if session is None or (self.session_persistence and data.get("session_id") != session):
                logger.warning("Dropped a web chat message for a session its connection was not given")
                return
            text = clean_text(data["message"])
            if not text:
                return
            output = SocketIOOutput(sio, self.bot_message_evt)
            flooded = (
                per_connection.retry_after(sid)
                or per_session.retry_after(session)
                or per_address.retry_after(addresses.get(sid, ""))
            )
            if flooded:
                await output.send_text_message(session, system_message("too_many_messages", language_of(text)))
                return
            if too_long(text):
                await output.send_text_message(session, system_message("message_too_long", language_of(text)))
                return
            metadata = clean_metadata(data.get(self.metadata_key))
            checked = {"message": text, "session_id": session, self.metadata_key: metadata}
            try:
                await handle_message(sid, checked)
            except Exception as error:
                log_failure(session, error)
                await output.send_text_message(session, system_message("technical_problem", language_of(text)))

        return webhook
