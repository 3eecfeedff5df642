"""The Redis relay on its own (bot/handoff/relay.py), against a private redis-server: events reach the other
instance and not the sender, garbage on the channel is ignored without ending the subscription, and while
Redis is away publishing costs nothing and is counted."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

import pytest
import redis.asyncio

from bot.handoff.hub import LiveHub
from bot.handoff.relay import RedisRelay
from bot.launcher import free_port
from tests.services import RedisServer


@pytest.fixture
def server(tmp_path: Path) -> Any:
    running = RedisServer(free_port(), tmp_path)
    running.start()
    yield running
    running.stop()


async def _wait(condition: Any, timeout_s: float = 10.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.02)


async def test_events_reach_the_other_instance_only_and_garbage_is_ignored(server: RedisServer) -> None:
    got_a: list[dict[str, Any]] = []
    got_b: list[dict[str, Any]] = []
    hub_a, hub_b = LiveHub(), LiveHub()

    async def youth_a(event: dict[str, Any]) -> None:
        got_a.append(event)

    async def youth_b(event: dict[str, Any]) -> None:
        got_b.append(event)

    hub_a.add_youth("c1", youth_a)
    hub_b.add_youth("c1", youth_b)
    hub_a.relay = RedisRelay(server.url, "navigator:live:test", hub_a.relayed)
    hub_b.relay = RedisRelay(server.url, "navigator:live:test", hub_b.relayed)
    await hub_a.relay.start()
    await hub_b.relay.start()
    try:
        assert hub_a.relay.connected and hub_b.relay.connected
        raw = redis.asyncio.Redis.from_url(server.url)
        await raw.publish("navigator:live:test", b"\xff not json")
        await raw.publish("navigator:live:test", b'{"to": "youth", "event": "not a dict"}')
        await raw.aclose()
        await hub_a.to_youth("c1", {"type": "message", "message": {"id": 1}})
        await _wait(lambda: got_b)
        await asyncio.sleep(0.2)  # time for a (wrong) echo to come back to A
        assert got_a == [{"type": "message", "message": {"id": 1}}], "delivered locally once, never echoed"
        assert got_b == [{"type": "message", "message": {"id": 1}}]
    finally:
        await hub_a.relay.close()
        await hub_b.relay.close()


async def test_with_redis_gone_publishing_is_free_and_counted_then_resumes(server: RedisServer) -> None:
    received: list[dict[str, Any]] = []

    async def deliver(message: dict[str, Any]) -> None:
        received.append(message)

    sender = RedisRelay(server.url, "navigator:live:test", deliver)
    listener = RedisRelay(server.url, "navigator:live:test", deliver)
    await sender.start()
    await listener.start()
    try:
        server.stop()
        await _wait(lambda: sender.redis_down)
        started = time.perf_counter()
        for n in range(1000):
            sender.publish({"to": "youth", "conversation_id": "c", "event": {"n": n}})
        assert time.perf_counter() - started < 0.5, "publishing must never wait for Redis"
        assert sender.dropped >= 1000
        server.start()
        await _wait(lambda: sender.connected and listener.connected, 20)
        sender.publish({"to": "youth", "conversation_id": "c", "event": {"n": "after"}})
        await _wait(lambda: any(m["event"] == {"n": "after"} for m in received))
    finally:
        await sender.close()
        await listener.close()


async def test_an_event_after_a_quiet_spell_is_sent(server: RedisServer, monkeypatch: pytest.MonkeyPatch) -> None:
    """Staleness is counted from when an event was queued, not from when the relay began waiting for it."""
    monkeypatch.setattr("bot.handoff.relay.RESEND_WITHIN_S", 0.3)
    received: list[dict[str, Any]] = []

    async def deliver(message: dict[str, Any]) -> None:
        received.append(message)

    sender = RedisRelay(server.url, "navigator:live:quiet", deliver)
    listener = RedisRelay(server.url, "navigator:live:quiet", deliver)
    await sender.start()
    await listener.start()
    try:
        await asyncio.sleep(1.0)  # longer than the staleness window, with nothing to send
        sender.publish({"to": "youth", "conversation_id": "c", "event": {"n": 1}})
        await _wait(lambda: received, 5)
        assert sender.dropped == 0
    finally:
        await sender.close()
        await listener.close()
