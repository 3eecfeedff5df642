"""Scale-out load and fault benchmark (not a test): many conversations at once through several gateways, Rasa
engines and one action server on PostgreSQL + Redis, with faults injected mid-run; side by side with one
instance of each on SQLite, in the same run.

Traffic (tests/bench/scale_traffic.py): web-chat resource searches, crisis messages (5%), handoffs taken by
simulated advocates on the desk, and signed SMS webhooks, spread over the gateways round robin (no sticky
sessions). Faults (scaled deployment only, with --faults): kill one Rasa engine, kill one gateway, kill the
action server (each restarted after a while), restart PostgreSQL, stop Redis for 30 s. PostgreSQL and Redis
are private instances started for the run, so the faults never touch the machine's own services.

At the end: messages sent vs stored (exactly once), crisis messages answered with a line, handoffs left in
a wrong state, and round-trip p50/p95/p99 per phase (steady, and during each fault).

Usage: PYTHONPATH=. .venv/bin/python tests/bench/bench_scale.py [--conversations 500] [--duration 240]
           [--topology both|single|scaled] [--faults] [--think 4 12]
Loopback only; bounded in count (conversations) and time (duration + a drain of at most 120 s).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import random
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from bot.desk.accounts import DeskAccounts  # noqa: E402
from bot.gateway.app import open_store  # noqa: E402
from bot.settings import Settings  # noqa: E402
from tests.bench.scale_services import Deployment, PrivatePostgres, PrivateRedis  # noqa: E402
from tests.bench.scale_traffic import Advocate, Gateways, Ledger, SmsYouth, WebYouth  # noqa: E402
from tests.conftest import sms_env  # noqa: E402
from tests.fakes.fake_twilio import AUTH_TOKEN, FakeTwilioThread  # noqa: E402

PASSWORD = "benchmark passphrase only"
PUBLIC_URL = "https://navigator.example.org"
LIFTED_LIMITS = {"RATE_IP_PER_MIN": "10000000", "RATE_IP_BURST": "1000000",
                 "RATE_NEW_CONVERSATIONS_PER_MIN": "10000000", "RATE_SENDER_PER_MIN": "100000",
                 "RATE_SENDER_BURST": "10000"}
# (share of new conversations, kind)
MIX = [(0.50, "web search"), (0.25, "sms"), (0.05, "crisis"), (0.20, "handoff")]


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))] if ordered else float("nan")


@dataclass
class Phase:
    name: str
    start: float
    end: float = float("inf")


@dataclass
class Result:
    topology: str
    ledger: Ledger
    duration_s: float
    stored_user_messages: int
    handoff_states: dict[str, int]
    phases: list[Phase] = field(default_factory=list)


def sync_url(database_url: str, data_dir: Path) -> str:
    if not database_url:
        return f"sqlite:///{data_dir / 'navigator.db'}"
    return "postgresql+psycopg://" + database_url.removeprefix("postgresql://")


def count_stored(database_url: str, data_dir: Path) -> tuple[int, dict[str, int]]:
    engine = sa.create_engine(sync_url(database_url, data_dir))
    try:
        with engine.connect() as db:
            users = db.execute(sa.text("SELECT COUNT(*) FROM message WHERE sender = 'user'")).scalar_one()
            states = dict(db.execute(sa.text("SELECT state, COUNT(*) FROM handoff GROUP BY state")).all())
    finally:
        engine.dispose()
    return int(users), {str(k): int(v) for k, v in states.items()}


async def create_advocates(data_dir: Path, database_url: str, count: int) -> None:
    store = await open_store(Settings(data_dir=data_dir, database_url=database_url))
    accounts = DeskAccounts(store)
    for n in range(count):
        await accounts.add_user(f"scale{n}", "advocate", PASSWORD)
    await store.close()


async def faults(deployment: Deployment, postgres: PrivatePostgres | None, redis: PrivateRedis | None,
                 started: float, phases: list[Phase], duration: float) -> None:
    """The schedule is spread over the run as fractions of its length; each fault's phase lasts from the
    injection until its part is back and ready."""
    def at(fraction: float) -> float:
        return started + fraction * duration

    async def until(moment: float) -> None:
        await asyncio.sleep(max(0.0, moment - time.monotonic()))

    async def outage(name: str, begin: float, stop: Any, back_after_s: float, start: Any) -> None:
        await until(at(begin))
        phase = Phase(name, time.monotonic() - started)
        phases.append(phase)
        await asyncio.to_thread(stop)
        await asyncio.sleep(back_after_s)
        await asyncio.to_thread(start)
        phase.end = time.monotonic() - started

    await outage("kill one Rasa engine", 0.12, lambda: deployment.kill("rasa-1"), 20,
                 lambda: deployment.start_part("rasa-1"))
    await outage("kill one gateway", 0.40, lambda: deployment.kill("gateway-2"), 15,
                 lambda: deployment.start_part("gateway-2"))
    await outage("kill the action server", 0.52, lambda: deployment.kill("actions"), 10,
                 lambda: deployment.start_part("actions"))
    if postgres is not None:
        await outage("restart PostgreSQL", 0.64, lambda: None, 0, postgres.restart)
    if redis is not None:
        await outage("stop Redis for 30 s", 0.74, redis.stop, 30, redis.start)


async def drive(deployment: Deployment, conversations: int, duration: float, think: tuple[float, float],
                advocates: int, with_faults: bool, postgres: PrivatePostgres | None,
                redis: PrivateRedis | None) -> tuple[Ledger, list[Phase], float]:
    ledger = Ledger()
    started = time.monotonic()
    connector = aiohttp.TCPConnector(limit=0, limit_per_host=0)
    phases: list[Phase] = []
    async with aiohttp.ClientSession(connector=connector) as http:
        gateways = Gateways(deployment.urls, http, ledger, started)
        stop_at = started + duration
        desk = [Advocate(gateways, f"scale{n}", PASSWORD, hold_s=4.0) for n in range(advocates)]
        for advocate in desk:
            await advocate.login()
        working = [asyncio.create_task(a.work(lambda: time.monotonic() > stop_at + 60)) for a in desk]
        fault_task = asyncio.create_task(faults(deployment, postgres, redis, started, phases, duration)) \
            if with_faults else None

        async def one() -> None:
            kind = random.choices([k for _, k in MIX], [w for w, _ in MIX])[0]
            if kind == "sms":
                await SmsYouth(gateways, PUBLIC_URL, AUTH_TOKEN, think).run()
                return
            youth = WebYouth(gateways, think)
            if not await youth.start():
                return
            if kind == "crisis":
                await youth.crisis()
            elif kind == "handoff":
                await youth.handoff(wait_s=90)
            else:
                await youth.search()

        async def seat(index: int) -> None:
            # Arrivals ramp up over the first tenth of the run, then every seat is refilled at once.
            await asyncio.sleep(index / conversations * duration * 0.1)
            while time.monotonic() < stop_at:
                await one()

        seats = [asyncio.create_task(seat(i)) for i in range(conversations)]
        done, pending = await asyncio.wait(seats, timeout=duration + 120)
        for task in pending:
            task.cancel()
        if pending:
            ledger.problem(f"{len(pending)} conversations still running at the drain deadline")
        if fault_task is not None:
            await fault_task
        for task in working:
            task.cancel()
        await asyncio.gather(*working, return_exceptions=True)
        for task in done:
            if task.exception() is not None:
                ledger.problem(f"simulated youth crashed: {task.exception()!r}")
    return ledger, phases, time.monotonic() - started


def run_topology(topology: str, args: argparse.Namespace) -> Result:
    root = Path(tempfile.mkdtemp(prefix=f"bench-scale-{topology}-"))
    root.chmod(0o755)  # the private PostgreSQL runs as its own user and must reach its directory below
    data_dir = root / "data"
    data_dir.mkdir()
    postgres = redis = None
    fake = FakeTwilioThread()
    twilio = fake.start()
    env = {**sms_env(PUBLIC_URL, twilio.base_url), **LIFTED_LIMITS}
    deployment: Deployment | None = None
    try:
        if topology == "scaled":
            postgres, redis = PrivatePostgres(root / "pg"), PrivateRedis(root / "redis")
            postgres.start()
            redis.start()
            env.update(DATABASE_URL=postgres.url, REDIS_URL=redis.url)
        database_url = env.get("DATABASE_URL", "")
        subprocess.run([sys.executable, "-m", "resources", "load"], cwd=ROOT, check=True, capture_output=True,
                       env={**os.environ, **env, "PYTHONPATH": str(ROOT), "NAVIGATOR_DATA_DIR": str(data_dir)})
        scaled = topology == "scaled"
        deployment = Deployment(data_dir, gateways=2 if scaled else 1, engines=2 if scaled else 1, env=env)
        deployment.start()
        asyncio.run(create_advocates(data_dir, database_url, args.advocates))
        ledger, phases, took = asyncio.run(drive(deployment, args.conversations, args.duration,
                                                 tuple(args.think), args.advocates, args.faults and scaled,
                                                 postgres, redis))
        time.sleep(5)  # let any hand-back still in flight settle before counting
        stored, states = count_stored(database_url, data_dir)
        return Result(topology, ledger, took, stored, states, phases)
    finally:
        if deployment is not None:
            deployment.stop()
        fake.stop()
        if redis is not None:
            redis.stop()
        if postgres is not None:
            postgres.stop()
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)


def report(results: list[Result], args: argparse.Namespace) -> None:
    print(f"\n{args.conversations} concurrent conversations, {args.duration:.0f} s, think {args.think[0]:g}–"
          f"{args.think[1]:g} s, {args.advocates} advocates; {platform.machine()}, {os.cpu_count()} CPUs\n")
    print("| deployment | phase | messages | msg/s | p50 ms | p95 ms | p99 ms |")
    print("|---|---|---|---|---|---|---|")
    for result in results:
        label = "1 gateway, 1 Rasa, 1 actions, SQLite" if result.topology == "single" else \
            "2 gateways, 2 Rasa, 1 actions, PostgreSQL + Redis"
        samples = result.ledger.samples
        faults = [(p.name, p.start, p.end) for p in result.phases]
        steady = [s for s in samples if not any(a <= s.at <= b for _, a, b in faults)]
        rows = [("whole run", samples, result.duration_s)]
        if faults:
            rows.append(("outside faults", steady, result.duration_s - sum(b - a for _, a, b in faults)))
        for name, a, b in faults:
            rows.append((f"during: {name}", [s for s in samples if a <= s.at <= b], max(b - a, 1e-9)))
        for name, chosen, seconds in rows:
            ms = [s.ms for s in chosen]
            print(f"| {label} | {name} | {len(ms)} | {len(ms) / seconds:.1f} | {pct(ms, 0.5):.0f} | "
                  f"{pct(ms, 0.95):.0f} | {pct(ms, 0.99):.0f} |")
    print()
    for result in results:
        ledger = result.ledger
        summary = {
            "deployment": result.topology, "sent": ledger.sent, "answered": ledger.answered,
            "failed": ledger.failed, "stored": result.stored_user_messages,
            "lost": max(0, ledger.sent - result.stored_user_messages),
            "duplicated": max(0, result.stored_user_messages - ledger.sent), "retries": ledger.retries,
            "crisis sent": ledger.crisis_sent, "crisis answered with a line": ledger.crisis_answered_with_line,
            "handoffs asked/answered/returned": [ledger.handoffs_asked, ledger.handoffs_answered,
                                                 ledger.handoffs_returned],
            "bot replies during handoff": ledger.bot_replies_during_handoff,
            "handoff states at the end": result.handoff_states,
            "phases": [(p.name, round(p.start, 1), round(p.end, 1)) for p in result.phases],
        }
        print(json.dumps(summary))
        for problem in ledger.problems[:15]:
            print("   problem:", problem)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--conversations", type=int, default=500)
    parser.add_argument("--duration", type=float, default=240.0)
    parser.add_argument("--topology", choices=["both", "single", "scaled"], default="both")
    parser.add_argument("--faults", action="store_true")
    parser.add_argument("--think", type=float, nargs=2, default=[4.0, 12.0], metavar=("MIN_S", "MAX_S"))
    parser.add_argument("--advocates", type=int, default=10)
    parser.add_argument("--keep", action="store_true", help="keep the run's directory (logs) for a look")
    args = parser.parse_args()
    if not 1 <= args.conversations <= 2000 or not 10 <= args.duration <= 1800:
        parser.error("bounded: 1–2000 conversations, 10–1800 s")
    topologies = ["single", "scaled"] if args.topology == "both" else [args.topology]
    results = [run_topology(t, args) for t in topologies]
    report(results, args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
