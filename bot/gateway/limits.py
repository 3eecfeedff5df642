"""Rate limits: token buckets per key (a conversation, a phone's lookup key, a client address).

Each key has its own bucket, so a flood from one sender is refused at once (429, or for SMS a short text)
and never queues in front of anyone else's message. Buckets live in memory, at most `max_keys` of them
(least recently used go first; a forgotten bucket is simply full again).
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass
class RateLimiter:
    burst: float
    per_min: float
    max_keys: int = 100_000
    clock: Callable[[], float] = time.monotonic
    _buckets: OrderedDict[str, tuple[float, float]] = field(default_factory=OrderedDict)

    def allow(self, key: str, cost: float = 1.0) -> bool:
        now = self.clock()
        tokens, last = self._buckets.pop(key, (self.burst, now))
        tokens = min(self.burst, tokens + (now - last) * self.per_min / 60.0)
        allowed = tokens >= cost
        if allowed:
            tokens -= cost
        self._buckets[key] = (tokens, now)
        while len(self._buckets) > self.max_keys:
            self._buckets.popitem(last=False)
        return allowed

    def exhausted(self, key: str) -> bool:
        """True when the next `allow` would refuse (nothing is spent)."""
        if key not in self._buckets:
            return False
        tokens, last = self._buckets[key]
        return min(self.burst, tokens + (self.clock() - last) * self.per_min / 60.0) < 1.0

    def retry_after(self, key: str) -> int:
        tokens, _ = self._buckets.get(key, (self.burst, 0.0))
        return max(1, int((1 - tokens) * 60.0 / self.per_min) + 1)
