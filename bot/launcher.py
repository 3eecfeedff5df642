"""Starts and stops the whole navigator: action server, Rasa engine and gateway, each on loopback.

Used by `make run` (python -m bot run) and by the test suite, so tests run exactly what people run.
With DATABASE_URL / REDIS_URL set (in the environment or `extra_env`), the schema is migrated once before
anything starts and Rasa gets an endpoints file derived from them (bot/endpoints.py); `start_gateway` and
`start_rasa` take a name and port, so one stack can run several of each on the same database and Redis.
"""

from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from bot.endpoints import write_rasa_endpoints
from bot.settings import REPO_ROOT

RASA_BIN = REPO_ROOT / ".venv-rasa" / "bin" / "rasa"
MODELS_DIR = REPO_ROOT / "models"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _port_in_use(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


def wait_http(url: str, timeout_s: float, process: subprocess.Popen[bytes] | None = None) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"process for {url} exited with {process.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=1) as response:
                if response.status < 500:
                    return
        except OSError:
            time.sleep(0.2)
    raise TimeoutError(f"{url} not ready after {timeout_s:.0f}s")


@dataclass
class Stack:
    port: int = 8080
    rasa_port: int = 5005
    action_port: int = 5055
    data_dir: Path = REPO_ROOT / "var"
    log_dir: Path | None = None
    extra_env: dict[str, str] = field(default_factory=dict)
    credentials: str = "credentials.yml"
    bridge_secret: str = field(default_factory=lambda: secrets.token_urlsafe(32))
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    # Filled by `rasa_endpoints()`: Rasa's endpoints file and the variables it refers to (passwords).
    endpoints: Path | None = None
    endpoints_env: dict[str, str] = field(default_factory=dict, repr=False)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("VIRTUAL_ENV")}
        env.update(
            PORT=str(self.port),
            RASA_PORT=str(self.rasa_port),
            ACTION_PORT=str(self.action_port),
            NAVIGATOR_DATA_DIR=str(self.data_dir),
            BRIDGE_SECRET=self.bridge_secret,
            SANIC_HOST="127.0.0.1",  # rasa-sdk's action server binds where this says
            PYTHONPATH=str(REPO_ROOT),
            TF_CPP_MIN_LOG_LEVEL="3",
            SQLALCHEMY_SILENCE_UBER_WARNING="1",
            RASA_TELEMETRY_ENABLED="false",
            **self.extra_env,
        )
        return env

    def setting(self, name: str) -> str:
        return (self.extra_env.get(name) or os.environ.get(name) or "").strip()

    @property
    def database_url(self) -> str:
        return self.setting("DATABASE_URL")

    @property
    def redis_url(self) -> str:
        return self.setting("REDIS_URL")

    def prepare(self) -> None:
        """Before any process starts: Rasa's endpoints for this environment, and the schema migrated (once
        here, rather than raced by every process; the gateway's own check then finds nothing to do)."""
        from bot.migrate import upgrade
        from bot.settings import Settings

        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.rasa_endpoints()
        upgrade(Settings(data_dir=self.data_dir, database_url=self.database_url).sync_database_url)

    def rasa_endpoints(self) -> Path:
        """The endpoints file Rasa gets in this environment (written once per stack)."""
        if self.endpoints is None:
            self.endpoints, self.endpoints_env = write_rasa_endpoints(
                REPO_ROOT / "endpoints.yml", self.data_dir / "rasa-endpoints.yml", self.database_url,
                self.redis_url)
        return self.endpoints

    def _spawn(self, name: str, args: list[str], env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
        if self.log_dir is not None:
            self.log_dir.mkdir(parents=True, exist_ok=True)
            out = (self.log_dir / f"{name}.log").open("ab")
        else:
            out = None
        process = subprocess.Popen(args, cwd=REPO_ROOT, env={**self.env(), **(env or {})}, stdout=out,
                                   stderr=subprocess.STDOUT, start_new_session=True)
        self.processes[name] = process
        return process

    def start_actions(self) -> None:
        process = self._spawn("actions", [sys.executable, "-m", "rasa_sdk", "--actions", "actions",
                                          "--port", str(self.action_port)])
        wait_http(f"http://127.0.0.1:{self.action_port}/health", 60, process)

    def spawn_rasa(self, name: str = "rasa", port: int | None = None) -> subprocess.Popen[bytes]:
        """A Rasa server on `port` (default: the stack's), not waited for (several load in parallel)."""
        port = port or self.rasa_port
        endpoints = self.rasa_endpoints()
        return self._spawn(name, [
            str(RASA_BIN), "run", "--interface", "127.0.0.1", "--port", str(port),
            "--model", str(MODELS_DIR), "--credentials", self.credentials, "--endpoints", str(endpoints),
        ], env={**self.endpoints_env, "RASA_PORT": str(port)})

    def start_rasa(self, name: str = "rasa", port: int | None = None) -> None:
        process = self.spawn_rasa(name, port)
        wait_http(f"http://127.0.0.1:{port or self.rasa_port}/webhooks/bridge/", 180, process)

    def start_gateway(self, name: str = "gateway", port: int | None = None, rasa_port: int | None = None) -> None:
        """A gateway on `port` (default: the stack's), talking to the Rasa server on `rasa_port`."""
        port = port or self.port
        process = self._spawn(name, [sys.executable, "-m", "bot", "gateway"],
                              env={"PORT": str(port), "RASA_PORT": str(rasa_port or self.rasa_port)})
        wait_http(f"http://127.0.0.1:{port}/healthz", 30, process)

    def start(self) -> None:
        busy = [p for p in (self.port, self.rasa_port, self.action_port) if _port_in_use(p)]
        if busy:
            raise RuntimeError(f"port(s) {busy} already in use: is another navigator running? "
                               "Set PORT, RASA_PORT and ACTION_PORT to run a second one.")
        try:
            self.prepare()
            self.start_actions()
            self.start_rasa()
            self.start_gateway()
        except BaseException:
            self.stop()
            raise

    def stop_one(self, name: str) -> None:
        process = self.processes.pop(name, None)
        if process is None or process.poll() is not None:
            return
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=5)

    def stop(self) -> None:
        # Front to back: gateways first (they stop taking messages), then the engines, then the actions.
        order = {"gateway": 0, "rasa": 1, "actions": 2}
        for name in sorted(self.processes, key=lambda n: order.get(n.rstrip("0123456789-_"), 0)):
            self.stop_one(name)
