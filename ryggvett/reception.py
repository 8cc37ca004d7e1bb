"""Telling reception's messaging system that a callback request has arrived.

The notice carries no name or phone number, only the request's number and a link to
the dashboard's worklist, where staff who are logged in see the details: a chat tool's
history is no place for patients' contact details.
"""

from __future__ import annotations

import logging
from typing import Any

import aiohttp

from ryggvett.message_guard import system_message

logger = logging.getLogger(__name__)
TIMEOUT_SECONDS = 5


def notice(request_id: int, language: str, dashboard_url: str) -> dict[str, Any]:
    worklist_url = f"{dashboard_url}/callbacks"
    text = system_message("reception_notice", language).format(request_id=request_id, worklist_url=worklist_url)
    return {"text": text, "request_id": request_id, "worklist_url": worklist_url}


async def notify(webhook_url: str, token: str, payload: dict[str, Any]) -> bool:
    """POST the notice; False (and a log line) when the other system cannot be reached. Never raises."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    try:
        timeout = aiohttp.ClientTimeout(total=TIMEOUT_SECONDS)
        async with (
            aiohttp.ClientSession(timeout=timeout) as session,
            session.post(webhook_url, json=payload, headers=headers) as response,
        ):
            if response.status < 300:
                return True
            logger.warning("Reception webhook answered %s for request %s", response.status, payload["request_id"])
    except Exception as error:  # the patient's confirmation must not depend on this
        logger.warning("Reception webhook unreachable for callback request %s: %s", payload["request_id"], error)
    return False
