"""Cross-instance live events through Redis pub/sub, for several gateways behind one load balancer.

Each gateway delivers an event to its own sockets at once (bot/handoff/hub.py) and hands it to this relay,
which publishes it on the deployment's channel; every other gateway receives it and delivers it to its own
desks and youth streams. So a desk connected to instance A sees a youth message posted to instance B, and a
youth stream on A gets an advocate's reply sent through B.

Redis is never on the path of a reply. Publishing only puts the event on a bounded in-memory queue that a
background task drains; while Redis is unreachable the relay drops events (counting them) instead of
waiting, and keeps reconnecting with backoff. Nothing is lost from the record: every event is about a row
already committed to the database, and desks and chat pages read what they missed when they reconnect or
act (`?after=` on the youth stream; the desk reloads the queue and transcript). Events published during an
outage can only be missed live by the *other* instances' sockets.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import logging
import secrets
import time
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from redis.asyncio import Redis
from redis.exceptions import RedisError

log = logging.getLogger(__name__)
Deliver = Callable[[dict[str, Any]], Awaitable[None]]
# A burst of events waits here while a publish is in flight; past this (Redis slow or gone) they are dropped.
QUEUE_LIMIT = 10_000
RECONNECT_MIN_S = 0.2
RECONNECT_MAX_S = 5.0
CONNECT_TIMEOUT_S = 2.0
RESEND_WITHIN_S = 5.0
IDLE_PING_S = 1.0


def channel_for(database_url: str, data_dir: str = "") -> str:
    """One channel per deployment: the gateways that share a database share live events, and two
    deployments (or two test runs) on one Redis never see each other's. The password is not part of it."""
    parts = urlsplit(database_url) if database_url else None
    if parts is not None and parts.password:
        netloc = parts.netloc.replace(f":{parts.password}@", "@")
        database_url = urlunsplit(parts._replace(netloc=netloc))
    identity = database_url or f"sqlite:{data_dir}"
    return "navigator:live:" + hashlib.sha256(identity.encode()).hexdigest()[:16]


class RedisRelay:
    def __init__(self, url: str, channel: str, deliver: Deliver) -> None:
        self.url = url
        self.channel = channel
        self._deliver = deliver
        # Our own events come back from Redis too; they were delivered locally already.
        self.instance = secrets.token_hex(8)
        # (when it was queued, the message): an event too old to matter any more is not sent late.
        self._queue: asyncio.Queue[tuple[float, str]] = asyncio.Queue(QUEUE_LIMIT)
        self._tasks: list[asyncio.Task[None]] = []
        self._subscribed = asyncio.Event()
        self._publishing = asyncio.Event()
        # Set once a connection attempt has failed: from then until the next success, events are dropped. Before
        # the first attempt has finished (a gateway starting on a busy machine) they wait in the queue.
        self._known_down = False
        self.dropped = 0

    @property
    def redis_down(self) -> bool:
        """The last attempt to reach Redis failed: events are being dropped, not queued."""
        return self._known_down

    @property
    def connected(self) -> bool:
        """Subscribed and able to publish: what /readyz reports."""
        return self._subscribed.is_set() and self._publishing.is_set()

    def _client(self) -> Redis:
        # No retries inside the client: the loops below retry, and a call must fail fast while Redis is down.
        return Redis.from_url(self.url, socket_connect_timeout=CONNECT_TIMEOUT_S, socket_timeout=CONNECT_TIMEOUT_S,
                              retry=None, health_check_interval=10)

    async def start(self, wait_s: float = CONNECT_TIMEOUT_S) -> None:
        """Start listening and publishing. Waits briefly for both connections (so a gateway that starts with
        Redis up relays from its first request) but starts anyway when Redis is down."""
        loop = asyncio.get_running_loop()
        self._tasks = [loop.create_task(self._listen()), loop.create_task(self._publish_loop())]
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(asyncio.gather(self._subscribed.wait(), self._publishing.wait()), wait_s)

    async def close(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task

    def publish(self, event: dict[str, Any]) -> None:
        """Queue an event for the other instances; never blocks, never raises."""
        if self._known_down:
            self._drop()
            return
        try:
            self._queue.put_nowait((time.monotonic(),
                                    json.dumps({"from": self.instance, **event}, separators=(",", ":"))))
        except asyncio.QueueFull:
            self._drop()

    def _drop(self) -> None:
        self.dropped += 1
        if self.dropped == 1 or self.dropped % 1000 == 0:
            log.warning("live events not relayed to other gateways (Redis unavailable)",
                        extra={"event": "relay_drop", "dropped": self.dropped})

    async def _publish_loop(self) -> None:
        delay = RECONNECT_MIN_S
        # The event whose publish failed on a connection Redis had closed (it restarted, say): sent again on
        # the next connection, unless it has grown stale by then.
        pending: tuple[float, str] | None = None
        while True:
            client = self._client()
            try:
                await client.ping()
                self._publishing.set()
                self._known_down = False
                delay = RECONNECT_MIN_S
                while True:
                    if pending is None:
                        try:
                            pending = await asyncio.wait_for(self._queue.get(), IDLE_PING_S)
                        except TimeoutError:
                            await client.ping()  # idle: notice an outage (and the recovery) before an event does
                            continue
                    if time.monotonic() - pending[0] <= RESEND_WITHIN_S:
                        await client.publish(self.channel, pending[1])
                    else:
                        self._drop()
                    pending = None
            except asyncio.CancelledError:
                raise
            except (RedisError, OSError) as problem:
                if self._publishing.is_set():
                    log.warning("Redis publish failed; reconnecting", extra={"event": "relay_down",
                                                                             "error": type(problem).__name__})
                self._publishing.clear()
                self._known_down = True
                self._discard_queued()
            finally:
                with contextlib.suppress(Exception):
                    await client.aclose()
            await asyncio.sleep(delay)
            delay = min(delay * 2, RECONNECT_MAX_S)

    def _discard_queued(self) -> None:
        while not self._queue.empty():
            self._queue.get_nowait()
            self._drop()

    async def _listen(self) -> None:
        delay = RECONNECT_MIN_S
        while True:
            client = self._client()
            pubsub = client.pubsub(ignore_subscribe_messages=True)
            try:
                await pubsub.subscribe(self.channel)
                self._subscribed.set()
                if delay > RECONNECT_MIN_S:
                    log.info("Redis relay reconnected", extra={"event": "relay_up"})
                delay = RECONNECT_MIN_S
                while True:
                    # A timeout here is quiet time, not an error; the health check pings Redis meanwhile.
                    message = await pubsub.get_message(timeout=1.0)
                    if message is not None:
                        await self._handle(message.get("data"))
            except asyncio.CancelledError:
                raise
            except (RedisError, OSError) as problem:
                if self._subscribed.is_set():
                    log.warning("Redis subscription lost; reconnecting", extra={"event": "relay_down",
                                                                                "error": type(problem).__name__})
                self._subscribed.clear()
            finally:
                with contextlib.suppress(Exception):
                    await pubsub.aclose()
                with contextlib.suppress(Exception):
                    await client.aclose()
            await asyncio.sleep(delay)
            delay = min(delay * 2, RECONNECT_MAX_S)

    async def _handle(self, data: Any) -> None:
        try:
            event = json.loads(data)
        except (TypeError, ValueError):
            log.warning("malformed relay message ignored", extra={"event": "relay_malformed"})
            return
        if not isinstance(event, dict) or event.get("from") == self.instance:
            return
        try:
            await self._deliver(event)
        except Exception:  # one bad event must not end the subscription
            log.exception("delivering a relayed event failed")
