"""The gateway's privacy machinery in process: rate limits per sender and per address, the periodic
retention purge at start-up, and logs that cannot carry a number, an email or a token."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import logging
import time
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web

from bot.gateway.app import create_app, open_store
from bot.gateway.limits import RateLimiter
from bot.launcher import free_port
from bot.privacy.logs import JsonFormatter, scrub
from bot.settings import Settings
from bot.store import Conversation


async def _serve(settings: Settings) -> tuple[web.AppRunner, str]:
    runner = web.AppRunner(create_app(settings), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    return runner, f"http://127.0.0.1:{port}"


@pytest.fixture
async def gateway(tmp_path: Path, gateway_database_url: str) -> AsyncIterator[str]:
    # No engine on that port: the gateway answers itself, quickly.
    settings = Settings(data_dir=tmp_path, rasa_port=free_port(), engine_timeout_s=0.3, sender_burst=3,
                        sender_per_min=1, ip_burst=40, ip_per_min=1, new_conversations_per_min=40,
                        database_url=gateway_database_url)
    runner, url = await _serve(settings)
    try:
        yield url
    finally:
        await runner.cleanup()


async def _start(session: aiohttp.ClientSession, url: str) -> tuple[str, str]:
    async with session.post(url + "/api/conversations") as resp:
        body = await resp.json()
    return body["conversation_id"], body["token"]


async def _say(session: aiohttp.ClientSession, url: str, conversation: tuple[str, str], text: str) -> int:
    cid, token = conversation
    async with session.post(f"{url}/api/conversations/{cid}/messages", json={"text": text},
                            headers={"Authorization": f"Bearer {token}"}) as resp:
        await resp.read()
        return resp.status


async def test_a_flood_from_one_sender_is_refused_and_does_not_slow_another(gateway: str) -> None:
    async with aiohttp.ClientSession() as session:
        flooder, other = await _start(session, gateway), await _start(session, gateway)
        statuses = await asyncio.gather(*(_say(session, gateway, flooder, "hello") for _ in range(12)))
        assert statuses.count(200) == 3 and statuses.count(429) == 9
        started = time.monotonic()
        assert await _say(session, gateway, other, "hello") == 200
        assert time.monotonic() - started < 2.0
        cid, token = flooder
        async with session.post(f"{gateway}/api/conversations/{cid}/messages", json={"text": "hi"},
                                headers={"Authorization": f"Bearer {token}"}) as resp:
            assert resp.status == 429 and int(resp.headers["Retry-After"]) >= 1
            assert "988" in (await resp.json())["error"] or "1-800" in (await resp.json())["error"]


async def test_per_address_limit(gateway: str) -> None:
    async with aiohttp.ClientSession() as session:
        statuses = []
        for _ in range(45):
            async with session.get(gateway + "/api/conversations/nope/stream") as resp:
                statuses.append(resp.status)
        assert 429 in statuses and statuses[0] != 429
        async with session.get(gateway + "/healthz") as resp:  # outside the API: never limited
            assert resp.status == 200


async def test_request_size_limit(gateway: str) -> None:
    async with aiohttp.ClientSession() as session:
        cid, token = await _start(session, gateway)
        async with session.post(f"{gateway}/api/conversations/{cid}/messages", data=b"x" * (70 * 1024),
                                headers={"Authorization": f"Bearer {token}",
                                         "Content-Type": "application/json"}) as resp:
            assert resp.status in (400, 413)


async def test_periodic_purge_runs_at_start_up(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, rasa_port=free_port(), retention_days=30)
    store = await open_store(settings)
    old = await store.create()
    fresh = await store.create()
    await store.record_exchange(old.id, "old words", [("bot", {"text": "hi"})])
    async with store.sessions.begin() as session:
        conversation = await session.get(Conversation, old.id)
        assert conversation is not None
        conversation.last_activity_at = dt.datetime.now(dt.UTC) - dt.timedelta(days=31)
    await store.close()
    runner, _ = await _serve(settings)
    try:
        for _ in range(50):
            store = await open_store(settings)
            try:
                gone = await store.conversation(old.id) is None
                kept = await store.conversation(fresh.id) is not None
            finally:
                await store.close()
            if gone:
                break
            await asyncio.sleep(0.1)
        assert gone and kept
    finally:
        await runner.cleanup()
    assert b"old words" not in (tmp_path / "navigator.db").read_bytes()


def test_rate_limiter_refills_per_key() -> None:
    now = [0.0]
    limiter = RateLimiter(burst=2, per_min=60, clock=lambda: now[0])
    assert limiter.allow("a") and limiter.allow("a") and not limiter.allow("a")
    assert limiter.allow("b")  # another key has its own bucket
    assert limiter.exhausted("a") and not limiter.exhausted("c")
    now[0] = 1.0
    assert limiter.allow("a") and not limiter.allow("a")


def test_log_lines_are_json_and_scrubbed() -> None:
    record = logging.LogRecord("bot.test", logging.INFO, __file__, 1, "sent to %s (%s) token %s", (
        "+19165550123", "jay@example.com", "Bearer abcDEF0123456789abcdef0123"), None)
    record.conversation = "Zx3v0F4k2mQ9rT7uW1yB5nH8"
    line = JsonFormatter().format(record)
    entry = json.loads(line)
    assert entry["level"] == "info" and entry["logger"] == "bot.test"
    for secret in ("9165550123", "jay@example.com", "abcDEF0123456789", "Zx3v0F4k2mQ9rT7uW1yB5nH8"):
        assert secret not in line
    assert scrub("call (916) 555-0123 now") == "call [number] now"
    assert scrub("95823") == "95823"  # a ZIP is not a number worth hiding
