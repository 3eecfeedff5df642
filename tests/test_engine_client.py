"""The gateway's engine client across several Rasa instances: a sender stays on one instance, moves on when
that instance cannot be reached, and is never sent to a second instance after a timeout (the first may
still be acting on the message). The instances here are small local HTTP servers that count what reaches
them; the real engines behind the same client are exercised by the stack tests and tests/bench/bench_scale.py.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import aiohttp
import pytest
from aiohttp import web

from bot.engine import EngineClient, EngineUnavailable
from bot.launcher import free_port


class Instance:
    def __init__(self, name: str, delay_s: float = 0.0, status: int = 200) -> None:
        self.name, self.delay_s, self.status = name, delay_s, status
        self.received: list[str] = []
        self.runner: web.AppRunner | None = None
        self.port = free_port()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> None:
        async def webhook(request: web.Request) -> web.Response:
            self.received.append((await request.json())["sender"])
            await asyncio.sleep(self.delay_s)
            return web.json_response([{"text": self.name}], status=self.status)

        app = web.Application()
        async def health(_: web.Request) -> web.Response:
            return web.json_response({"status": "ok"})

        app.router.add_post("/webhooks/bridge/webhook", webhook)
        app.router.add_get("/webhooks/bridge/", health)
        self.runner = web.AppRunner(app)
        await self.runner.setup()
        await web.TCPSite(self.runner, "127.0.0.1", self.port).start()

    async def stop(self) -> None:
        if self.runner is not None:
            await self.runner.cleanup()
            self.runner = None


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


async def test_a_sender_stays_on_one_instance_while_it_is_up(http: aiohttp.ClientSession) -> None:
    a, b = Instance("a"), Instance("b")
    await a.start()
    await b.start()
    try:
        client = EngineClient(http, [a.url, b.url], "secret", 2.0)
        senders = [f"conversation-{i}" for i in range(40)]
        for _ in range(3):
            for sender in senders:
                await client.send(sender, "hi", {})
        for sender in senders:
            assert (sender in a.received) != (sender in b.received)
        assert a.received and b.received  # both instances take a share
    finally:
        await a.stop()
        await b.stop()


async def test_an_instance_that_is_gone_is_skipped(http: aiohttp.ClientSession) -> None:
    a, b = Instance("a"), Instance("b")
    await a.start()
    await b.start()
    client = EngineClient(http, [a.url, b.url], "secret", 2.0)
    try:
        await a.stop()
        replies = [(await client.send(f"c-{i}", "hi", {}))[0]["text"] for i in range(20)]
        assert replies == ["b"] * 20
        assert await client.ready()
        await b.stop()
        with pytest.raises(EngineUnavailable):
            await client.send("c-1", "hi", {})
        assert not await client.ready()
    finally:
        await a.stop()
        await b.stop()


async def test_an_instance_that_comes_back_is_used_again(http: aiohttp.ClientSession) -> None:
    a, b = Instance("a"), Instance("b")
    await b.start()
    client = EngineClient(http, [a.url, b.url], "secret", 2.0)
    sender = next(s for s in (f"s{i}" for i in range(100)) if client._order(s)[0] == 0)
    try:
        assert (await client.send(sender, "hi", {}))[0]["text"] == "b"
        await a.start()
        client._down_until = [0.0, 0.0]  # the back-off has run out
        assert (await client.send(sender, "hi", {}))[0]["text"] == "a"
    finally:
        await a.stop()
        await b.stop()


async def test_a_timeout_is_not_retried_elsewhere(http: aiohttp.ClientSession) -> None:
    slow, other = Instance("slow", delay_s=1.0), Instance("other")
    await slow.start()
    await other.start()
    client = EngineClient(http, [slow.url, other.url], "secret", 0.3)
    sender = next(s for s in (f"s{i}" for i in range(100)) if client._order(s)[0] == 0)
    try:
        with pytest.raises(EngineUnavailable):
            await client.send(sender, "hi", {})
        assert other.received == []
    finally:
        await slow.stop()
        await other.stop()


async def test_unavailable_answers_move_on_but_other_errors_do_not(http: aiohttp.ClientSession) -> None:
    busy, broken, good = Instance("busy", status=503), Instance("broken", status=500), Instance("good")
    for instance in (busy, broken, good):
        await instance.start()
    try:
        client = EngineClient(http, [busy.url, good.url], "secret", 2.0)
        sender = next(s for s in (f"s{i}" for i in range(100)) if client._order(s)[0] == 0)
        assert (await client.send(sender, "hi", {}))[0]["text"] == "good"
        client = EngineClient(http, [broken.url, good.url], "secret", 2.0)
        with pytest.raises(EngineUnavailable):
            await client.send(sender, "hi", {})
        assert good.received == [sender]
    finally:
        for instance in (busy, broken, good):
            await instance.stop()
