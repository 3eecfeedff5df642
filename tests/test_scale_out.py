"""Two gateway processes and a Rasa server of their own (tracker store in PostgreSQL, lock store in Redis) on one
PostgreSQL database and one Redis (a private redis-server, so it can be taken away), with the suite's action
server: live events cross instances, and the service keeps answering — crisis replies first, and the
engine's own replies too — while Redis is down, then relays again when it is back."""

from __future__ import annotations

import asyncio
import json
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from bot.launcher import Stack, free_port
from tests.conftest import Client, DeskClient, add_desk_users
from tests.db import query
from tests.services import RedisServer, fresh_database

pytestmark = [pytest.mark.stack, pytest.mark.slow]
LIMITS = {"RATE_IP_PER_MIN": "1000000", "RATE_IP_BURST": "100000", "RATE_SENDER_PER_MIN": "6000",
          "RATE_SENDER_BURST": "600", "RATE_NEW_CONVERSATIONS_PER_MIN": "1000000"}


@dataclass
class Pair:
    stack: Stack  # the pair's database, Redis and processes (gateway-a, gateway-b)
    a: str
    b: str
    redis: RedisServer


@pytest.fixture(scope="module")
def pair(stack: Stack, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pair]:
    folder = tmp_path_factory.mktemp("pair")
    with fresh_database("navpair") as database_url:
        redis = RedisServer(free_port(), folder)
        redis.start()
        both = Stack(port=free_port(), rasa_port=free_port(), action_port=stack.action_port,
                     data_dir=folder / "data", log_dir=folder / "logs", bridge_secret=stack.bridge_secret,
                     extra_env={"DATABASE_URL": database_url, "REDIS_URL": redis.url, **LIMITS})
        try:
            both.prepare()
            both.start_rasa()
            a_port, b_port = free_port(), free_port()
            both.start_gateway("gateway-a", a_port)
            both.start_gateway("gateway-b", b_port)
            for port in (a_port, b_port):  # ready: database, engine and both Redis connections
                _wait_ready(f"http://127.0.0.1:{port}", True, 60)
            yield Pair(both, f"http://127.0.0.1:{a_port}", f"http://127.0.0.1:{b_port}", redis)
        finally:
            both.stop()
            redis.stop()


def _desk(pair: Pair, url: str, name: str) -> DeskClient:
    add_desk_users(pair.stack, [name])
    desk = DeskClient(url)
    assert desk.login(name).status == 200
    assert desk.post("/desk/api/duty", {"on_duty": True}).status == 200
    return desk


def _handoff(pair: Pair, conversation_id: str) -> int:
    rows = query(pair.stack, "SELECT id FROM handoff WHERE conversation_id = ?", [conversation_id])
    assert rows, "no handoff for this conversation"
    return int(rows[0][0])


async def _until(ws: aiohttp.ClientWebSocketResponse, wanted: Callable[[dict[str, Any]], bool],
                 timeout_s: float = 10.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout_s
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise AssertionError("the expected event did not arrive")
        event = await ws.receive_json(timeout=remaining)
        if wanted(event):
            return event


def _desk_socket(http: aiohttp.ClientSession, url: str, desk: DeskClient) -> Any:
    return http.ws_connect(url.replace("http", "ws", 1) + "/desk/ws",
                           headers={"Cookie": f"desk_session={desk.session_cookie}"})


def _ready(url: str) -> tuple[int, dict[str, Any]]:
    try:
        with urllib.request.urlopen(url + "/readyz", timeout=5) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def _wait_ready(url: str, ok: bool, timeout_s: float = 20.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout_s
    while True:
        status, body = _ready(url)
        if (status == 200) == ok:
            return body
        if time.monotonic() > deadline:
            raise AssertionError(f"{url}/readyz stayed {status}: {body}")
        time.sleep(0.2)


async def test_desk_on_a_sees_the_queue_and_messages_of_a_youth_writing_to_b(pair: Pair) -> None:
    ana_a = await asyncio.to_thread(_desk, pair, pair.a, "ana")
    async with aiohttp.ClientSession() as http, _desk_socket(http, pair.a, ana_a) as ws:
        await _until(ws, lambda e: e["type"] == "queue")  # the queue as it was when the desk connected
        youth = await asyncio.to_thread(Client(pair.b).start)
        await asyncio.to_thread(youth.say, "can i talk to a real person")
        target = _handoff(pair, youth.id)
        await _until(ws, lambda e: e["type"] == "queue" and any(i["handoff_id"] == target for i in e["items"]))
        assert (await asyncio.to_thread(ana_a.post, f"/desk/api/handoffs/{target}/claim")).status == 200
        await asyncio.to_thread(youth.say, "hi is anyone there")
        event = await _until(ws, lambda e: e["type"] == "message" and e["handoff_id"] == target
                             and e["message"]["sender"] == "user")
        assert event["message"]["text"] == "hi is anyone there"


async def test_youth_stream_on_a_gets_the_advocate_reply_sent_through_b(pair: Pair) -> None:
    ben_b = await asyncio.to_thread(_desk, pair, pair.b, "ben")
    youth = await asyncio.to_thread(Client(pair.a).start)
    await asyncio.to_thread(youth.say, "can i talk to a real person")
    target = _handoff(pair, youth.id)
    assert (await asyncio.to_thread(ben_b.post, f"/desk/api/handoffs/{target}/claim")).status == 200
    stream = pair.a.replace("http", "ws", 1) + f"/api/conversations/{youth.id}/stream?token={youth.token}"
    async with aiohttp.ClientSession() as http, http.ws_connect(stream) as ws:
        await _until(ws, lambda e: e["type"] == "state")  # replay done: from here on, events are live
        reply = await asyncio.to_thread(ben_b.post, f"/desk/api/handoffs/{target}/messages",
                                        {"text": "Hi, this is Ben from the desk."})
        assert reply.status == 200
        event = await _until(ws, lambda e: e["type"] == "message" and e["message"]["sender"] == "advocate")
        assert event["message"]["text"] == "Hi, this is Ben from the desk."


async def test_redis_down_crisis_replies_go_on_and_relaying_resumes_when_it_is_back(pair: Pair,
                                                                                   tmp_path: Path) -> None:
    cara_a = await asyncio.to_thread(_desk, pair, pair.a, "cara")
    waiting = await asyncio.to_thread(Client(pair.b).start)
    await asyncio.to_thread(waiting.say, "can i talk to a real person")
    target = _handoff(pair, waiting.id)
    assert (await asyncio.to_thread(cara_a.post, f"/desk/api/handoffs/{target}/claim")).status == 200

    pair.redis.stop()
    try:
        body = await asyncio.to_thread(_wait_ready, pair.b, False)
        assert body["failed"] == ["redis"] and body["database"] and body["engine"]
        youth = await asyncio.to_thread(Client(pair.b).start)
        started = time.monotonic()
        replies = await asyncio.to_thread(youth.say, "i want to kill myself")
        assert time.monotonic() - started < 5, "a crisis reply must not wait for Redis"
        assert "988" in "\n".join(r["text"] for r in replies)
        # The engine still answers (its lock store falls back to memory): real cards, not the gateway's fallback.
        search = await asyncio.to_thread(Client(pair.b).start)
        assert any(m.get("resources") for m in await asyncio.to_thread(search.say, "i need food in oakland"))
        # A message to the advocate during the outage is stored (the desk reads it on reload), not lost.
        await asyncio.to_thread(waiting.say, "are you still there")
        stored = query(pair.stack, "SELECT COUNT(*) FROM message WHERE conversation_id = ? AND text = ?",
                       [waiting.id, "are you still there"])
        assert stored == [(1,)]
    finally:
        pair.redis.start()  # same port: the gateways reconnect on their own

    for url in (pair.a, pair.b):
        await asyncio.to_thread(_wait_ready, url, True)
    async with aiohttp.ClientSession() as http, _desk_socket(http, pair.a, cara_a) as ws:
        await _until(ws, lambda e: e["type"] == "queue")
        await asyncio.to_thread(waiting.say, "ok i am back")
        event = await _until(ws, lambda e: e["type"] == "message" and e["handoff_id"] == target
                             and e["message"]["sender"] == "user")
        assert event["message"]["text"] == "ok i am back"
