"""With the Rasa engine unreachable, the gateway still answers at once with 24/7 lines: never silence."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator

import pytest

from bot.launcher import Stack, free_port
from tests.conftest import Client
from tests.numbers import quoted_numbers, reference_numbers


@pytest.fixture(scope="module")
def lone_gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Client]:
    data_dir = tmp_path_factory.mktemp("lone-gateway")
    # Rasa and the action server are never started: their ports are free and closed.
    stack = Stack(port=free_port(), rasa_port=free_port(), action_port=free_port(), data_dir=data_dir,
                  log_dir=data_dir / "logs")
    stack.start_gateway()
    try:
        yield Client(stack.url)
    finally:
        stack.stop()


def test_engine_down_still_answers_with_hotlines_fast(lone_gateway: Client) -> None:
    conversation = lone_gateway.start()
    started = time.monotonic()
    reply = conversation.send_raw(json.dumps({"text": "i need somewhere to sleep tonight"}).encode())
    elapsed = time.monotonic() - started
    assert reply.status == 200
    text = "\n".join(m["text"] for m in reply.body["messages"])
    assert "having trouble" in text.lower()
    numbers = quoted_numbers(text)
    assert {"8007862929", "741741", "911"} <= numbers
    assert numbers <= reference_numbers()
    assert elapsed < 2.0


def test_readiness_reports_the_engine_down(lone_gateway: Client) -> None:
    assert lone_gateway.request("GET", "/readyz").status == 503
    assert lone_gateway.request("GET", "/healthz").status == 200
