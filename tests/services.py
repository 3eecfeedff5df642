"""PostgreSQL and Redis for the tests: a fresh database per use, a private redis-server that a test may stop
and start again, and one rule for when they are missing — under NAVIGATOR_REQUIRE_SERVICES=1 (.ci/run) that
is a failure; elsewhere a loud skip."""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

# The machine's PostgreSQL (trust auth on loopback); any database on it serves as the admin connection.
POSTGRES_ADMIN_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


def services_required() -> bool:
    return os.environ.get("NAVIGATOR_REQUIRE_SERVICES") == "1"


def unavailable(what: str) -> None:
    """Fail under .ci/run, skip loudly elsewhere."""
    if services_required():
        pytest.fail(f"{what} is required here (NAVIGATOR_REQUIRE_SERVICES=1) but unavailable")
    pytest.skip(f"SKIPPED LOUDLY: {what} unavailable on this machine; these tests need it")


def postgres_reachable() -> bool:
    engine = create_engine(POSTGRES_ADMIN_URL, connect_args={"connect_timeout": 3})
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        return True
    except Exception:
        return False
    finally:
        engine.dispose()


def create_database(prefix: str = "navtest") -> str:
    """A new, empty PostgreSQL database; returns its plain postgresql:// URL (what DATABASE_URL looks like)."""
    name = f"{prefix}_{secrets.token_hex(6)}"
    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        admin.dispose()
    url = make_url(POSTGRES_ADMIN_URL).set(drivername="postgresql", database=name)
    return url.render_as_string(hide_password=False)


def drop_database(url: str) -> None:
    name = make_url(url).database
    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            # WITH (FORCE): a process we started and could not stop cleanly must not keep the database alive.
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()


@contextlib.contextmanager
def fresh_database(prefix: str = "navtest") -> Iterator[str]:
    if not postgres_reachable():
        unavailable(f"PostgreSQL at {POSTGRES_ADMIN_URL}")
    url = create_database(prefix)
    try:
        yield url
    finally:
        drop_database(url)


def redis_reachable(url: str = REDIS_URL) -> bool:
    import redis

    client = redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2)
    try:
        return bool(client.ping())
    except Exception:
        return False
    finally:
        client.close()


class RedisServer:
    """A private redis-server on a loopback port (no persistence), for tests that take Redis away."""

    def __init__(self, port: int, workdir: Path) -> None:
        self.port, self.workdir = port, workdir
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            unavailable("redis-server (Debian package redis-server)")
        self.process = subprocess.Popen(
            [str(binary), "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--dir", str(self.workdir)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while not redis_reachable(self.url):
            if time.monotonic() > deadline or self.process.poll() is not None:
                raise RuntimeError(f"redis-server on port {self.port} did not start")
            time.sleep(0.05)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)
        self.process = None


def backend() -> str:
    """Which stores the suite's stack runs on: "embedded" (SQLite, in-process; the default) or "services"
    (a fresh PostgreSQL database and the machine's Redis: `make test`'s second pass)."""
    return os.environ.get("NAVIGATOR_TEST_BACKEND", "embedded")


def missing_services() -> list[str]:
    missing = []
    if not postgres_reachable():
        missing.append(f"PostgreSQL ({POSTGRES_ADMIN_URL})")
    if not redis_reachable():
        missing.append(f"Redis ({REDIS_URL})")
    return missing


if __name__ == "__main__":  # `python -m tests.services`: exit 0 when both are reachable (used by make test)
    import sys

    missing = missing_services()
    if missing:
        print("unavailable: " + ", ".join(missing))
    sys.exit(1 if missing else 0)
