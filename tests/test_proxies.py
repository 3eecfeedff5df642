"""The client's address behind a load balancer (bot/gateway/proxies.py): believed only from trusted proxies,
taken from the right of X-Forwarded-For, and used by the per-address rate limit of a real gateway app."""

from __future__ import annotations

from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot.endpoints import ConfigError
from bot.gateway.app import create_app
from bot.gateway.proxies import client_address, parse_networks
from bot.launcher import free_port
from bot.settings import Settings

LB = parse_networks("10.0.0.0/8, 192.168.1.7")


@pytest.mark.parametrize(("peer", "headers", "expected"), [
    ("10.0.0.5", ["203.0.113.9"], "203.0.113.9"),
    ("10.0.0.5", ["1.2.3.4, 203.0.113.9"], "203.0.113.9"),  # the left is whatever the client claimed
    ("10.0.0.5", ["203.0.113.9, 10.0.0.6"], "203.0.113.9"),  # a second proxy hop is skipped
    ("10.0.0.5", ["1.2.3.4", "203.0.113.9"], "203.0.113.9"),  # several headers read as one list
    ("10.0.0.5", ["10.0.0.7"], "10.0.0.7"),
    ("10.0.0.5", [], None),
    ("10.0.0.5", ["not-an-address"], None),
    ("198.51.100.1", ["203.0.113.9"], None),  # not from a trusted proxy: the header is ignored
    ("192.168.1.7", ["2001:db8::1"], "2001:db8::1"),
])
def test_client_address(peer: str, headers: list[str], expected: str | None) -> None:
    assert client_address(peer, headers, LB) == expected


def test_without_trusted_proxies_the_header_is_never_believed() -> None:
    assert client_address("10.0.0.5", ["203.0.113.9"], ()) is None


def test_a_wrong_entry_stops_the_start(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRUSTED_PROXIES", "10.0.0.0/8, lb.internal")
    with pytest.raises(ConfigError, match=r"lb\.internal"):
        Settings.from_env()


async def test_rate_limit_counts_each_client_behind_the_balancer(tmp_path: Path) -> None:
    """From the test's own loopback address acting as the balancer: two clients each get their own burst."""
    settings = Settings(data_dir=tmp_path, rasa_port=free_port(), ip_burst=2, ip_per_min=1,
                        trusted_proxies="127.0.0.1")
    async with TestClient(TestServer(create_app(settings))) as client:
        async def start(address: str) -> int:
            response = await client.post("/api/conversations", headers={"X-Forwarded-For": address})
            return response.status

        assert [await start("203.0.113.1") for _ in range(3)] == [201, 201, 429]
        assert [await start("203.0.113.2") for _ in range(2)] == [201, 201], "another youth is not throttled"
