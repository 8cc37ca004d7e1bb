"""Rasa's Redis lock store with its ticket updates made atomic across servers.

Rasa 3.6's RedisLockStore reads a conversation's ticket lock from Redis, changes it and
writes it back, with nothing in between to stop a second server doing the same: two
messages of one conversation arriving at two servers at the same moment can both take
ticket 0, run side by side, and one turn's events overwrite the other's in the tracker
store (tests/test_cluster.py saw 2 of 6 simultaneous messages answered but not stored).
Here every read-change-write of a lock runs under a short Redis mutex for that
conversation (redis-py's Lock: SET NX with expiry, released by token).

endpoints: `type: rasa_extensions.redis_lock_store.AtomicRedisLockStore` with the same
`url`, `port`, `db`, `password`, `key_prefix` as Rasa's `redis` type.
"""

from __future__ import annotations

from typing import Any

from rasa.core.lock_store import LOCK_LIFETIME, RedisLockStore
from rasa.utils.endpoints import EndpointConfig

# Holding the mutex takes a Redis round trip or two; these bound a crashed holder.
MUTEX_SECONDS = 5
MUTEX_WAIT_SECONDS = 10


class AtomicRedisLockStore(RedisLockStore):
    def __init__(self, endpoint_config: EndpointConfig | None = None, **kwargs: Any) -> None:
        if endpoint_config is not None:
            kwargs = {"host": endpoint_config.url or "localhost", **endpoint_config.kwargs, **kwargs}
        super().__init__(**kwargs)

    def _mutex(self, conversation_id: str) -> Any:
        return self.red.lock(
            f"{self.key_prefix}{conversation_id}:mutex", timeout=MUTEX_SECONDS, blocking_timeout=MUTEX_WAIT_SECONDS
        )

    def issue_ticket(self, conversation_id: str, lock_lifetime: float = LOCK_LIFETIME) -> int:
        with self._mutex(conversation_id):
            return super().issue_ticket(conversation_id, lock_lifetime)

    def update_lock(self, conversation_id: str) -> None:
        with self._mutex(conversation_id):
            super().update_lock(conversation_id)

    def cleanup(self, conversation_id: str, ticket_number: int) -> None:
        # Finishing a ticket and deleting an idle lock must not interleave with a new ticket.
        with self._mutex(conversation_id):
            super().cleanup(conversation_id, ticket_number)
