"""Keeps the Rasa server's full garbage collections short.

A loaded model leaves millions of Python objects that live as long as the process, and
CPython's oldest-generation collection walks all of them: under load that paused the whole
server for about 300 ms several times a minute (measured with gc.callbacks during make bench),
which every message in flight waited out. Once the server has started, those objects are
frozen out of the collector's view (gc.freeze); what the conversations create is collected
as before.
"""

from __future__ import annotations

import gc
import logging
from typing import Any

from sanic import Blueprint

logger = logging.getLogger(__name__)


def freeze_once_started(blueprint: Blueprint) -> None:
    """Each channel registers this; the first to run in a server process freezes."""
    blueprint.listener("after_server_start")(_freeze)


async def _freeze(_app: Any, _loop: Any) -> None:
    if gc.get_freeze_count():
        return
    gc.collect()  # leave garbage out of the frozen set
    gc.freeze()
    logger.info("Froze %d long-lived objects out of the garbage collector's full passes", gc.get_freeze_count())
