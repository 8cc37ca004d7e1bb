"""Hold Rasa's lock on one conversation while something outside Rasa deletes it («forget»).

Where the Rasa servers share the Redis lock store (deploy/endpoints.cluster.yml, configured
by RYGGVETT_REDIS_HOST, _PORT and _PASSWORD), the dashboard takes a ticket like a server
would: a turn already running finishes first, and the next waits until the deletion is done,
so no turn saves a conversation's old events back after it was forgotten. Without Redis
(one `rasa run` with its in-memory lock) there is no lock another process can take.
"""

from __future__ import annotations

import asyncio
import os
from contextlib import contextmanager
from typing import Iterator

from rasa_extensions.redis_lock_store import AtomicRedisLockStore

# As in deploy/endpoints.cluster.yml.
KEY_PREFIX, DB = "ryggvett", 0
# A deletion takes well under this; a crashed dashboard must not block the conversation for long.
LOCK_SECONDS = 60


def shared_lock_store() -> AtomicRedisLockStore | None:
    """The Rasa servers' Redis lock store, when one is configured."""
    host = os.environ.get("RYGGVETT_REDIS_HOST", "").strip()
    if not host:
        return None
    return AtomicRedisLockStore(
        host=host,
        port=int(os.environ.get("RYGGVETT_REDIS_PORT", "") or 6379),
        password=os.environ.get("RYGGVETT_REDIS_PASSWORD") or None,
        db=DB,
        key_prefix=KEY_PREFIX,
    )


@contextmanager
def holding_conversation(conversation_id: str, store: AtomicRedisLockStore | None = None) -> Iterator[bool]:
    """Runs the block holding the conversation's lock; yields whether there was a shared lock to take."""
    store = store or shared_lock_store()
    if store is None:
        yield False
        return
    loop = asyncio.new_event_loop()
    held = store.lock(conversation_id, lock_lifetime=LOCK_SECONDS, wait_time_in_seconds=0.1)
    try:
        loop.run_until_complete(held.__aenter__())
        try:
            yield True
        finally:
            loop.run_until_complete(held.__aexit__(None, None, None))
    finally:
        loop.close()
