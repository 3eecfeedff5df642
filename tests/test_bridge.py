"""The bridge between gateway and engine accepts only fresh, correctly signed requests."""

from __future__ import annotations

import json
import time

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.launcher import Stack
from channels.bridge.signing import SIGNATURE_HEADER, TIMESTAMP_HEADER, sign, verify
from tests.conftest import Client

SECRET = "s" * 32


def test_signature_round_trip_and_tampering() -> None:
    body = b'{"sender": "a", "text": "hi"}'
    headers = sign(SECRET, body)
    assert verify(SECRET, body, headers[SIGNATURE_HEADER], headers[TIMESTAMP_HEADER])
    assert not verify(SECRET, body + b" ", headers[SIGNATURE_HEADER], headers[TIMESTAMP_HEADER])
    assert not verify("x" * 32, body, headers[SIGNATURE_HEADER], headers[TIMESTAMP_HEADER])
    assert not verify(SECRET, body, None, headers[TIMESTAMP_HEADER])
    assert not verify("", body, headers[SIGNATURE_HEADER], headers[TIMESTAMP_HEADER])


def test_old_signatures_are_refused() -> None:
    body = b"{}"
    stale = sign(SECRET, body, timestamp=int(time.time()) - 3600)
    assert not verify(SECRET, body, stale[SIGNATURE_HEADER], stale[TIMESTAMP_HEADER])


@given(body=st.binary(max_size=200), signature=st.text(max_size=80), timestamp=st.text(max_size=20))
def test_verify_never_crashes_on_garbage(body: bytes, signature: str, timestamp: str) -> None:
    assert verify(SECRET, body, signature, timestamp) in (True, False)


@pytest.mark.stack
def test_engine_refuses_unsigned_and_has_no_open_rest_channel(stack: Stack) -> None:
    rasa = Client(f"http://127.0.0.1:{stack.rasa_port}")
    body = json.dumps({"sender": "attacker", "text": "hi"}).encode()
    assert rasa.request("POST", "/webhooks/bridge/webhook", body, {"Content-Type": "application/json"}).status == 401
    forged = sign("not-the-secret-but-long-enough", body)
    assert rasa.request("POST", "/webhooks/bridge/webhook", body, forged).status == 401
    assert rasa.request("POST", "/webhooks/rest/webhook", json.dumps({"sender": "a", "message": "hi"}).encode(),
                        {"Content-Type": "application/json"}).status == 404
    signed = sign(stack.bridge_secret, body)
    reply = rasa.request("POST", "/webhooks/bridge/webhook", body, {"Content-Type": "application/json", **signed})
    assert reply.status == 200


def _listening_addresses(port: int) -> set[str]:
    """Local addresses with a listening socket on `port`, from /proc/net/tcp{,6} (state 0A = LISTEN)."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with open(table) as handle:
            for line in handle.readlines()[1:]:
                local, state = line.split()[1], line.split()[3]
                address, hex_port = local.rsplit(":", 1)
                if state == "0A" and int(hex_port, 16) == port:
                    found.add(address)
    return found


@pytest.mark.stack
def test_engine_action_server_and_gateway_listen_on_loopback_only(stack: Stack) -> None:
    loopback = {"0100007F", "00000000000000000000000001000000"}
    for port in (stack.rasa_port, stack.action_port, stack.port):
        addresses = _listening_addresses(port)
        assert addresses, f"nothing listens on {port}"
        assert addresses <= loopback, f"port {port} listens on {addresses}"
