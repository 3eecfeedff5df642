"""Advocate desk latency benchmark (not a test): 50 concurrent handoffs, 10 advocates, on the real stack.

  youth → desk:  from a youth's POST …/messages to that message arriving on the advocate's desk WebSocket
  advocate → youth: from the advocate's POST /desk/api/handoffs/{id}/messages to the youth's stream

Usage: PYTHONPATH=. .venv/bin/python tests/bench/bench_desk.py [--handoffs 50] [--advocates 10] [--rounds 5]
Prints p50/p95 in milliseconds (a Markdown table for BENCHMARKS.md). Loopback only; bounded in count and time.
With DATABASE_URL set (e.g. postgresql://…/db) the gateway's store is that database instead of SQLite; it
must be empty (the benchmark creates its own accounts).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import aiohttp

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from bot.desk.accounts import DeskAccounts  # noqa: E402
from bot.gateway.app import open_store  # noqa: E402
from bot.handoff.service import HandoffService  # noqa: E402
from bot.launcher import Stack, free_port  # noqa: E402
from bot.settings import Settings  # noqa: E402

PASSWORD = "benchmark passphrase only"


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


class Waiters:
    """Futures keyed by the unique text a test message carries, resolved when a socket sees it."""

    def __init__(self) -> None:
        self.pending: dict[str, asyncio.Future[float]] = {}

    def expect(self, text: str) -> asyncio.Future[float]:
        future = asyncio.get_running_loop().create_future()
        self.pending[text] = future
        return future

    def seen(self, text: str) -> None:
        future = self.pending.pop(text, None)
        if future is not None and not future.done():
            future.set_result(time.perf_counter())


async def listen(ws: aiohttp.ClientWebSocketResponse, waiters: Waiters) -> None:
    async for frame in ws:
        if frame.type != aiohttp.WSMsgType.TEXT:
            continue
        data = frame.json()
        if data.get("type") == "message":
            waiters.seen(data["message"].get("text", ""))


async def run(url: str, data_dir: Path, handoffs: int, advocates: int, rounds: int) -> dict[str, list[float]]:
    settings = Settings(data_dir=data_dir, database_url=os.environ.get("DATABASE_URL", ""))
    store = await open_store(settings)
    accounts = DeskAccounts(store)
    for n in range(advocates):
        await accounts.add_user(f"bench{n}", "advocate", PASSWORD)
    await store.close()
    ws_url = url.replace("http", "ws")
    desk_waiters, youth_waiters = Waiters(), Waiters()
    sessions: list[aiohttp.ClientSession] = []
    tasks: list[asyncio.Task[None]] = []
    desks: list[tuple[aiohttp.ClientSession, str]] = []
    for n in range(advocates):
        session = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))
        sessions.append(session)
        async with session.get(f"{url}/desk/login/csrf") as resp:
            login_csrf = (await resp.json())["csrf"]
        async with session.post(f"{url}/desk/login", json={"name": f"bench{n}", "password": PASSWORD},
                                headers={"X-CSRF-Token": login_csrf}) as resp:
            assert resp.status == 200, await resp.text()
        async with session.get(f"{url}/desk/api/me") as resp:
            csrf = (await resp.json())["csrf"]
        async with session.post(f"{url}/desk/api/duty", json={"on_duty": True}, headers={"X-CSRF-Token": csrf}):
            pass
        ws = await session.ws_connect(f"{ws_url}/desk/ws")
        tasks.append(asyncio.create_task(listen(ws, desk_waiters)))
        desks.append((session, csrf))

    youth = aiohttp.ClientSession()
    sessions.append(youth)
    conversations: list[dict[str, Any]] = []
    for _ in range(handoffs):
        async with youth.post(f"{url}/api/conversations") as resp:
            conversations.append(await resp.json())

    async def ask(conv: dict[str, Any]) -> None:
        async with youth.post(f"{url}/api/conversations/{conv['conversation_id']}/messages",
                              json={"text": "can i talk to a real person"},
                              headers={"Authorization": f"Bearer {conv['token']}"}) as resp:
            assert resp.status == 200

    await asyncio.gather(*(ask(c) for c in conversations))
    # Each advocate picks up an equal share, oldest first.
    owner: dict[int, int] = {}
    async with desks[0][0].get(f"{url}/desk/api/queue") as resp:
        queued = [i["handoff_id"] for i in (await resp.json())["queue"] if i["state"] == "queued"]
    assert len(queued) == handoffs, queued
    for index, handoff_id in enumerate(queued):
        session, csrf = desks[index % advocates]
        async with session.post(f"{url}/desk/api/handoffs/{handoff_id}/claim", headers={"X-CSRF-Token": csrf}) as r:
            assert r.status == 200
        owner[handoff_id] = index % advocates
    by_conversation: dict[str, int] = {}
    for conv in conversations:
        stream = await youth.ws_connect(f"{ws_url}/api/conversations/{conv['conversation_id']}/stream",
                                        params={"token": conv["token"], "after": "0"})
        tasks.append(asyncio.create_task(listen(stream, youth_waiters)))
    await asyncio.sleep(0.5)
    store = await open_store(settings)
    handoffs = HandoffService(store)
    for conv in conversations:
        handoff = await handoffs.for_conversation(conv["conversation_id"])
        assert handoff is not None
        by_conversation[conv["conversation_id"]] = handoff.id
    await store.close()

    to_desk: list[float] = []
    to_youth: list[float] = []

    async def youth_says(conv: dict[str, Any], text: str) -> None:
        arrived = desk_waiters.expect(text)
        start = time.perf_counter()
        async with youth.post(f"{url}/api/conversations/{conv['conversation_id']}/messages", json={"text": text},
                              headers={"Authorization": f"Bearer {conv['token']}"}) as resp:
            assert resp.status == 200
        to_desk.append((await asyncio.wait_for(arrived, 10) - start) * 1000)

    async def advocate_says(conv: dict[str, Any], text: str) -> None:
        handoff_id = by_conversation[conv["conversation_id"]]
        session, csrf = desks[owner[handoff_id]]
        arrived = youth_waiters.expect(text)
        start = time.perf_counter()
        async with session.post(f"{url}/desk/api/handoffs/{handoff_id}/messages", json={"text": text},
                                headers={"X-CSRF-Token": csrf}) as resp:
            assert resp.status == 200, await resp.text()
        to_youth.append((await asyncio.wait_for(arrived, 10) - start) * 1000)

    for r in range(rounds):
        await asyncio.gather(*(youth_says(c, f"youth round {r} conv {i}") for i, c in enumerate(conversations)))
        await asyncio.gather(*(advocate_says(c, f"advocate round {r} conv {i}") for i, c in enumerate(conversations)))

    for task in tasks:
        task.cancel()
    for session in sessions:
        await session.close()
    return {"youth → desk screen": to_desk, "advocate → youth": to_youth}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--handoffs", type=int, default=50)
    parser.add_argument("--advocates", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    data_dir = Path(tempfile.mkdtemp(prefix="bench-desk-"))
    env = {**os.environ, "NAVIGATOR_DATA_DIR": str(data_dir), "PYTHONPATH": str(ROOT)}
    subprocess.run([sys.executable, "-m", "resources", "load"], cwd=ROOT, env=env, check=True, capture_output=True)
    stack = Stack(port=free_port(), rasa_port=free_port(), action_port=free_port(), data_dir=data_dir,
                  log_dir=data_dir / "logs",
                  # Every simulated youth and advocate comes from 127.0.0.1: lift the per-address limits.
                  extra_env={"RATE_IP_PER_MIN": "1000000", "RATE_IP_BURST": "100000",
                             "RATE_NEW_CONVERSATIONS_PER_MIN": "1000000"})
    stack.start()
    try:
        results = asyncio.run(run(stack.url, data_dir, args.handoffs, args.advocates, args.rounds))
    finally:
        stack.stop()
        shutil.rmtree(data_dir, ignore_errors=True)
    print(f"\n{args.handoffs} concurrent handoffs, {args.advocates} advocates, {args.rounds} rounds "
          f"(every youth, then every advocate, writes at once); {platform.machine()}, {os.cpu_count()} CPUs\n")
    print("| path | samples | p50 ms | p95 ms | max ms |")
    print("|---|---|---|---|---|")
    for name, values in results.items():
        print(f"| {name} | {len(values)} | {pct(values, 0.5):.0f} | {pct(values, 0.95):.0f} | {max(values):.0f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
