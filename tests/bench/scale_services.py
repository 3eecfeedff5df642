"""Processes for the scale-out benchmark: a private PostgreSQL and Redis (so faults never touch the machine's
own services), and the navigator's action server, Rasa engines and gateways, each on its own loopback port.

Everything here is started in a temporary directory and stopped at the end; `kill`/`restart` are the faults.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from bot.launcher import Stack, free_port, wait_http  # noqa: E402


def _pg_bin() -> Path:
    candidates = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"), reverse=True)
    if not candidates:
        raise RuntimeError("PostgreSQL server binaries not found under /usr/lib/postgresql (apt: postgresql)")
    return candidates[0].parent


def _as_postgres(args: list[str]) -> list[str]:
    # The server refuses to run as root; on a developer's own account it runs as that account.
    return ["runuser", "-u", "postgres", "--", *args] if os.geteuid() == 0 else args


@dataclass
class PrivatePostgres:
    """A throwaway cluster: initdb in a temp dir, trust auth on loopback, one database `navigator`."""

    root: Path
    port: int = field(default_factory=free_port)

    @property
    def data(self) -> Path:
        return self.root / "pgdata"

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/navigator"

    def _ctl(self, *args: str) -> None:
        subprocess.run(_as_postgres([str(_pg_bin() / "pg_ctl"), "-D", str(self.data), "-w", "-t", "60", *args]),
                       check=True, capture_output=True)

    def start(self) -> None:
        if not self.data.exists():
            self.root.mkdir(parents=True, exist_ok=True)
            if os.geteuid() == 0:
                shutil.chown(self.root, "postgres")
            subprocess.run(_as_postgres([str(_pg_bin() / "initdb"), "-D", str(self.data), "-U", "postgres",
                                         "--auth=trust", "-E", "UTF8"]), check=True, capture_output=True)
            with (self.data / "postgresql.conf").open("a") as conf:
                conf.write(f"\nport = {self.port}\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = "
                           f"'{self.root}'\nmax_connections = 300\nfsync = on\n")
        self._ctl("-l", str(self.root / "postgres.log"), "start")
        if not getattr(self, "_created", False):
            subprocess.run(_as_postgres([str(_pg_bin() / "createdb"), "-h", "127.0.0.1", "-p", str(self.port),
                                         "-U", "postgres", "navigator"]), check=True, capture_output=True)
            self._created = True

    def stop(self) -> None:
        if self.data.exists():
            subprocess.run(_as_postgres([str(_pg_bin() / "pg_ctl"), "-D", str(self.data), "-m", "fast", "stop"]),
                           capture_output=True)

    def restart(self) -> None:
        self._ctl("-m", "fast", "-l", str(self.root / "postgres.log"), "restart")


@dataclass
class PrivateRedis:
    root: Path
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--dir", str(self.root)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            ping = subprocess.run(["redis-cli", "-p", str(self.port), "ping"], capture_output=True)
            if ping.stdout.strip() == b"PONG":
                return
            time.sleep(0.1)
        raise RuntimeError("private redis-server did not start")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)
        self.process = None


@dataclass
class Deployment:
    """`gateways` gateways and `engines` Rasa servers sharing one action server and one database."""

    data_dir: Path
    gateways: int
    engines: int
    env: dict[str, str]
    action_port: int = field(default_factory=free_port)
    rasa_ports: list[int] = field(default_factory=list)
    gateway_ports: list[int] = field(default_factory=list)
    parts: dict[str, Stack] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.rasa_ports = [free_port() for _ in range(self.engines)]
        self.gateway_ports = [free_port() for _ in range(self.gateways)]
        rasa_urls = ",".join(f"http://127.0.0.1:{p}" for p in self.rasa_ports)
        secret = self.env.get("BRIDGE_SECRET") or "scale-benchmark-bridge-secret-" + str(os.getpid())
        common = {**self.env, "RASA_URLS": rasa_urls}
        self.parts["actions"] = Stack(action_port=self.action_port, data_dir=self.data_dir, bridge_secret=secret,
                                      log_dir=self.data_dir / "logs", extra_env=common)
        for i, port in enumerate(self.rasa_ports):
            self.parts[f"rasa-{i + 1}"] = Stack(rasa_port=port, action_port=self.action_port, port=free_port(),
                                                data_dir=self.data_dir, bridge_secret=secret,
                                                log_dir=self.data_dir / "logs" / f"rasa-{i + 1}", extra_env=common)
        for i, port in enumerate(self.gateway_ports):
            self.parts[f"gateway-{i + 1}"] = Stack(port=port, rasa_port=self.rasa_ports[0],
                                                   action_port=self.action_port, data_dir=self.data_dir,
                                                   bridge_secret=secret,
                                                   log_dir=self.data_dir / "logs" / f"gateway-{i + 1}",
                                                   extra_env=common)

    @property
    def urls(self) -> list[str]:
        return [f"http://127.0.0.1:{p}" for p in self.gateway_ports]

    def start_part(self, name: str) -> None:
        part = self.parts[name]
        if name == "actions":
            part.start_actions()
        elif name.startswith("rasa"):
            part.start_rasa()
        else:
            part.start_gateway()

    def start(self) -> None:
        # Rasa engines load in parallel: each takes most of a minute on its own.
        self.start_part("actions")
        engines = [n for n in self.parts if n.startswith("rasa")]
        for name in engines:  # with DATABASE_URL/REDIS_URL: PostgreSQL tracker store, Redis lock store
            self.parts[name].spawn_rasa()
        for name in engines:
            part = self.parts[name]
            wait_http(f"http://127.0.0.1:{part.rasa_port}/webhooks/bridge/", 300, part.processes["rasa"])
        for name in self.parts:
            if name.startswith("gateway"):
                self.start_part(name)

    def kill(self, name: str) -> None:
        """SIGKILL, as a crash or an out-of-memory kill would: no chance to finish anything."""
        part = self.parts[name]
        for process in list(part.processes.values()):
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=10)
        part.processes.clear()

    def stop(self) -> None:
        for name in reversed(list(self.parts)):
            self.parts[name].stop()

    def ready(self, url: str) -> bool:
        try:
            with urllib.request.urlopen(f"{url}/readyz", timeout=2) as response:
                return response.status == 200
        except OSError:
            return False
