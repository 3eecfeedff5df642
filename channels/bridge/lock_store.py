"""Rasa's lock store for a deployment with REDIS_URL: Redis while it answers, this process's memory while not.

Rasa takes a lock per conversation around every message so two engine servers never process one
conversation's messages at once; with several Rasa servers the lock must live in Redis. Rasa's own
RedisLockStore fails every message while Redis is unreachable, so the engine would answer nothing and the
gateway only its own fallback replies. This store keeps the engine answering instead: when Redis does not
answer within a second, locks are kept in this process's memory (what a single engine server does anyway)
for a few seconds before Redis is tried again. During an outage two engines could then process the same
conversation at once only if the youth's messages arrived at the same moment through two gateways, which
is far better than refusing everyone. Loaded by Rasa from the endpoints file the launcher writes
(bot/endpoints.py: `lock_store: type: channels.bridge.lock_store.FallbackRedisLockStore`).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import TypeVar

import redis
from rasa.core.lock import TicketLock
from rasa.core.lock_store import InMemoryLockStore, RedisLockStore
from rasa.utils.endpoints import EndpointConfig

log = logging.getLogger(__name__)
T = TypeVar("T")
TIMEOUT_S = 1.0
RETRY_AFTER_S = 5.0
_REDIS_ARGUMENTS = ("port", "db", "username", "password", "use_ssl", "ssl_certfile", "ssl_keyfile",
                    "ssl_ca_certs", "key_prefix")


class FallbackRedisLockStore(RedisLockStore):
    def __init__(self, endpoint_config: EndpointConfig) -> None:
        kwargs = {k: v for k, v in endpoint_config.kwargs.items() if k in _REDIS_ARGUMENTS}
        super().__init__(host=endpoint_config.url or "localhost", socket_timeout=TIMEOUT_S, **kwargs)
        # Rasa sets no connect timeout: an unreachable host would hold every message for the OS's ~2 minutes.
        self.red.connection_pool.connection_kwargs["socket_connect_timeout"] = TIMEOUT_S
        self._memory = InMemoryLockStore()
        self._redis_retry_at = 0.0

    def _either(self, on_redis: Callable[[], T], in_memory: Callable[[], T]) -> T:
        if time.monotonic() < self._redis_retry_at:
            return in_memory()
        try:
            result = on_redis()
        except (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError) as problem:
            if self._redis_retry_at == 0.0 or time.monotonic() >= self._redis_retry_at:
                log.warning("Redis lock store unreachable (%s); locking in this process for %.0f s",
                            type(problem).__name__, RETRY_AFTER_S)
            self._redis_retry_at = time.monotonic() + RETRY_AFTER_S
            return in_memory()
        if self._redis_retry_at:
            log.info("Redis lock store reachable again")
            self._redis_retry_at = 0.0
        return result

    def get_lock(self, conversation_id: str) -> TicketLock | None:
        return self._either(lambda: super(FallbackRedisLockStore, self).get_lock(conversation_id),
                            lambda: self._memory.get_lock(conversation_id))

    def delete_lock(self, conversation_id: str) -> None:
        self._memory.conversation_locks.pop(conversation_id, None)  # one made during an outage, if any
        self._either(lambda: super(FallbackRedisLockStore, self).delete_lock(conversation_id), lambda: None)

    def save_lock(self, lock: TicketLock) -> None:
        self._either(lambda: super(FallbackRedisLockStore, self).save_lock(lock),
                     lambda: self._memory.save_lock(lock))


