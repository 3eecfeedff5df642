"""Shared fixtures. The `stack` fixture starts the real thing — action server, Rasa engine with the trained
model, gateway — on free loopback ports with its own data directory, exactly as `make run` does."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.launcher import MODELS_DIR, Stack, free_port  # noqa: E402


@dataclass
class Reply:
    status: int
    body: dict[str, Any]


class Client:
    """A tiny HTTP client for the gateway API (urllib: no extra moving parts in the tests themselves)."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url

    def request(self, method: str, path: str, body: bytes | None = None,
                headers: dict[str, str] | None = None) -> Reply:
        req = urllib.request.Request(self.base_url + path, data=body, headers=headers or {}, method=method)
        try:
            with urllib.request.urlopen(req, timeout=30) as response:
                raw = response.read()
                status = response.status
        except urllib.error.HTTPError as exc:
            raw, status = exc.read(), exc.code
        try:
            parsed = json.loads(raw) if raw else {}
        except ValueError:
            parsed = {"raw": raw.decode(errors="replace")}
        return Reply(status, parsed)

    def start(self) -> Conversation:
        reply = self.request("POST", "/api/conversations")
        assert reply.status == 201, reply
        return Conversation(self, reply.body["conversation_id"], reply.body["token"])


class Conversation:
    def __init__(self, client: Client, conversation_id: str, token: str) -> None:
        self.client, self.id, self.token = client, conversation_id, token

    def send_raw(self, body: bytes, token: str | None = None, content_type: str = "application/json") -> Reply:
        headers = {"Content-Type": content_type, "Authorization": f"Bearer {token or self.token}"}
        return self.client.request("POST", f"/api/conversations/{self.id}/messages", body, headers)

    def say(self, text: str) -> list[dict[str, Any]]:
        reply = self.send_raw(json.dumps({"text": text}).encode())
        assert reply.status == 200, reply
        return reply.body["messages"]


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    if not (MODELS_DIR / "navigator.tar.gz").exists():
        pytest.fail("no trained model in models/: run `make test` (it trains when the inputs change)")
    data_dir = tmp_path_factory.mktemp("navigator-data")
    env = {**os.environ, "NAVIGATOR_DATA_DIR": str(data_dir), "PYTHONPATH": str(ROOT)}
    env.pop("DATABASE_URL", None)
    subprocess.run([sys.executable, "-m", "resources", "load"], cwd=ROOT, env=env, check=True,
                   capture_output=True)
    running = Stack(port=free_port(), rasa_port=free_port(), action_port=free_port(), data_dir=data_dir,
                    log_dir=data_dir / "logs")
    running.start()
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture(scope="session")
def client(stack: Stack) -> Client:
    return Client(stack.url)
