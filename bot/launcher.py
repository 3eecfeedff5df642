"""Starts and stops the whole navigator: action server, Rasa engine and gateway, each on loopback.

Used by `make run` (python -m bot run) and by the test suite, so tests run exactly what people run.
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

    def _spawn(self, name: str, args: list[str]) -> subprocess.Popen[bytes]:
        if self.log_dir is not None:
            self.log_dir.mkdir(parents=True, exist_ok=True)
            out = (self.log_dir / f"{name}.log").open("ab")
        else:
            out = None
        process = subprocess.Popen(args, cwd=REPO_ROOT, env=self.env(), stdout=out, stderr=subprocess.STDOUT,
                                   start_new_session=True)
        self.processes[name] = process
        return process

    def start_actions(self) -> None:
        process = self._spawn("actions", [sys.executable, "-m", "rasa_sdk", "--actions", "actions",
                                          "--port", str(self.action_port)])
        wait_http(f"http://127.0.0.1:{self.action_port}/health", 60, process)

    def start_rasa(self) -> None:
        process = self._spawn("rasa", [
            str(RASA_BIN), "run", "--interface", "127.0.0.1", "--port", str(self.rasa_port),
            "--model", str(MODELS_DIR), "--credentials", self.credentials, "--endpoints", "endpoints.yml",
        ])
        wait_http(f"http://127.0.0.1:{self.rasa_port}/webhooks/bridge/", 180, process)

    def start_gateway(self) -> None:
        process = self._spawn("gateway", [sys.executable, "-m", "bot", "gateway"])
        wait_http(f"{self.url}/healthz", 30, process)

    def start(self) -> None:
        busy = [p for p in (self.port, self.rasa_port, self.action_port) if _port_in_use(p)]
        if busy:
            raise RuntimeError(f"port(s) {busy} already in use: is another navigator running? "
                               "Set PORT, RASA_PORT and ACTION_PORT to run a second one.")
        try:
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
        for name in ("gateway", "rasa", "actions"):
            self.stop_one(name)
