"""Round-trip benchmark: gateway (web API) vs a bare round trip to Rasa's REST webhook, same text, same run.

Usage: .venv/bin/python tests/bench/bench_roundtrip.py [--requests 200] [--users 20] [--train]
Prints a Markdown table for BENCHMARKS.md. Loopback only; bounded in count and time.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import aiohttp

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from bot.launcher import RASA_BIN, Stack, free_port  # noqa: E402

TEXT = "need somewhere safe to sleep tonight im in east oakland, im 16"


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


async def gateway_round_trips(url: str, users: int, per_user: int) -> list[float]:
    timings: list[float] = []
    async with aiohttp.ClientSession() as session:

        async def user() -> None:
            for _ in range(per_user):
                async with session.post(f"{url}/api/conversations") as resp:
                    conv = await resp.json()
                headers = {"Authorization": f"Bearer {conv['token']}"}
                start = time.perf_counter()
                async with session.post(f"{url}/api/conversations/{conv['conversation_id']}/messages",
                                        json={"text": TEXT}, headers=headers) as resp:
                    body = await resp.json()
                timings.append((time.perf_counter() - start) * 1000)
                assert resp.status == 200 and any(m.get("resources") for m in body["messages"]), body

        await asyncio.gather(*(user() for _ in range(users)))
    return timings


async def rasa_round_trips(rasa_url: str, users: int, per_user: int) -> list[float]:
    timings: list[float] = []
    counter = iter(range(10**9))
    async with aiohttp.ClientSession() as session:

        async def user() -> None:
            for _ in range(per_user):
                sender = f"bench-{next(counter)}"
                start = time.perf_counter()
                async with session.post(f"{rasa_url}/webhooks/rest/webhook",
                                        json={"sender": sender, "message": TEXT}) as resp:
                    body = await resp.json()
                timings.append((time.perf_counter() - start) * 1000)
                assert resp.status == 200 and body, body

        await asyncio.gather(*(user() for _ in range(users)))
    return timings


def train_seconds() -> float:
    out = Path(tempfile.mkdtemp(prefix="bench-train-"))
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "SQLALCHEMY_SILENCE_UBER_WARNING": "1"}
    start = time.perf_counter()
    subprocess.run([str(RASA_BIN), "train", "--config", "config.yml", "--domain", "domain.yml", "--data", "data",
                    "--out", str(out), "--force", "--quiet"], cwd=ROOT, env=env, check=True, capture_output=True)
    elapsed = time.perf_counter() - start
    shutil.rmtree(out, ignore_errors=True)
    return elapsed


def crisis_screen_ms(calls: int = 2000) -> list[float]:
    """The crisis screen runs inline in the gateway on every message: its own time is the latency it adds."""
    from bot.crisis.screen import CrisisScreen

    screen = CrisisScreen()
    texts = [TEXT, "i cant do this anymore", "he took my phone and says i owe him", "food near 95823"]
    timings = []
    for index in range(calls):
        start = time.perf_counter()
        screen.screen(texts[index % len(texts)])
        timings.append((time.perf_counter() - start) * 1000)
    return timings


def row(label: str, values: list[float]) -> str:
    return (f"| {label} | {len(values)} | {statistics.median(values):.1f} | {pct(values, 0.95):.1f} | "
            f"{pct(values, 0.99):.1f} |")


async def measure(stack: Stack, requests: int, users: int) -> list[str]:
    rasa_url = f"http://127.0.0.1:{stack.rasa_port}"
    # Warm both paths (model graph, DB caches) before timing.
    await gateway_round_trips(stack.url, 1, 5)
    await rasa_round_trips(rasa_url, 1, 5)
    lines = ["| path | requests | p50 ms | p95 ms | p99 ms |", "|---|---|---|---|---|"]
    single_gw = await gateway_round_trips(stack.url, 1, requests)
    single_rasa = await rasa_round_trips(rasa_url, 1, requests)
    many_gw = await gateway_round_trips(stack.url, users, max(1, requests // users))
    many_rasa = await rasa_round_trips(rasa_url, users, max(1, requests // users))
    lines += [
        row("gateway, 1 user", single_gw),
        row("Rasa REST webhook (baseline), 1 user", single_rasa),
        row(f"gateway, {users} concurrent users", many_gw),
        row(f"Rasa REST webhook (baseline), {users} concurrent users", many_rasa),
        "",
        f"gateway/baseline p50 ratio, 1 user: {statistics.median(single_gw) / statistics.median(single_rasa):.2f}; "
        f"{users} users: {statistics.median(many_gw) / statistics.median(many_rasa):.2f}",
    ]
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--train", type=int, default=0, metavar="N",
                        help="also time N full `rasa train --force` runs (median and spread)")
    args = parser.parse_args()

    data_dir = Path(tempfile.mkdtemp(prefix="bench-"))
    env = {**os.environ, "NAVIGATOR_DATA_DIR": str(data_dir), "PYTHONPATH": str(ROOT)}
    subprocess.run([sys.executable, "-m", "resources", "load"], cwd=ROOT, env=env, check=True, capture_output=True)
    stack = Stack(port=free_port(), rasa_port=free_port(), action_port=free_port(), data_dir=data_dir,
                  log_dir=data_dir / "logs", credentials="tests/bench/credentials-bench.yml",
                  # Every simulated youth comes from 127.0.0.1: lift the per-address limits, not the per-sender.
                  extra_env={"RATE_IP_PER_MIN": "1000000", "RATE_IP_BURST": "100000",
                             "RATE_NEW_CONVERSATIONS_PER_MIN": "1000000"})
    stack.start()
    try:
        lines = asyncio.run(measure(stack, args.requests, args.users))
    finally:
        stack.stop()
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
          f"text: {TEXT!r}")
    print("\n".join(lines))
    screen = crisis_screen_ms()
    print(f"\ncrisis screen, in process (added to every round trip): p50 {statistics.median(screen):.3f} ms, "
          f"p95 {pct(screen, 0.95):.3f} ms, p99 {pct(screen, 0.99):.3f} ms over {len(screen)} messages")
    if args.train:
        runs = sorted(train_seconds() for _ in range(args.train))
        print(f"rasa train --force, {len(runs)} runs: median {statistics.median(runs):.1f} s "
              f"(min {runs[0]:.1f}, max {runs[-1]:.1f})")
    shutil.rmtree(data_dir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
