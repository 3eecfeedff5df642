"""The crisis layer in the gateway: every message is screened first, the protocol reply leads, the verdict
reaches the dialogue as the `crisis` intent, and a down or frozen engine never delays or blocks it."""

from __future__ import annotations

import json
import os
import signal
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.launcher import Stack
from channels.bridge.crisis_intent import engine_text
from tests.conftest import Client
from tests.db import query
from tests.numbers import first_number, quoted_numbers, reference_numbers

# -- the engine-side rewrite (pure function; runs inside Rasa) --------------------------------------------


def test_urgent_and_imminent_become_the_crisis_intent() -> None:
    verdict = {"level": "imminent", "categories": ["suicidal", "self_harm"]}
    text = engine_text("i took all my pills", {"crisis": verdict})
    assert text.startswith("/crisis")
    assert json.loads(text.removeprefix("/crisis")) == {"crisis_level": "imminent", "crisis_category": "suicidal"}
    assert "pills" not in text  # the words stay out of the engine's tracker


@pytest.mark.parametrize("level", ["none", "concern", None, "IMMINENT", 3])
def test_other_levels_keep_the_words(level: object) -> None:
    assert engine_text("food in oakland", {"crisis": {"level": level}}) == "food in oakland"


@given(text=st.text(max_size=200), metadata=st.one_of(
    st.none(), st.dictionaries(st.text(max_size=10), st.recursive(
        st.none() | st.booleans() | st.integers() | st.text(max_size=10),
        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
        max_leaves=8), max_size=4)))
def test_rewrite_never_crashes_and_only_rewrites_crises(text: str, metadata: object) -> None:
    result = engine_text(text, metadata)  # type: ignore[arg-type]
    crisis = metadata.get("crisis") if isinstance(metadata, dict) else None
    if isinstance(crisis, dict) and crisis.get("level") in ("urgent", "imminent"):
        assert result.startswith("/crisis{")
    else:
        assert result == text


# -- through the real stack ----------------------------------------------------------------------------


def _text(messages: list[dict]) -> str:
    return "\n".join(m.get("text", "") for m in messages)


@pytest.mark.stack
def test_verdict_and_evidence_are_kept_for_the_advocate_and_risk_is_raised(client: Client, stack: Stack) -> None:
    conversation = client.start()
    conversation.say("food in oakland")
    conversation.say("he took my id and says i cant leave the motel till i make my quota")
    risk = query(stack, "SELECT risk_level FROM conversation WHERE id = ?", [conversation.id])[0][0]
    payloads = [p if isinstance(p, dict) else json.loads(p) for (p,) in query(
        stack, "SELECT payload FROM message WHERE conversation_id = ? AND sender = 'user' AND payload IS NOT NULL",
        [conversation.id])]
    assert risk in ("urgent", "imminent")
    assert len(payloads) == 1
    assert "trafficked_now" in payloads[0]["crisis"]["categories"]
    assert payloads[0]["crisis"]["evidence"], "the advocate sees what was matched"


@pytest.mark.stack
def test_accepting_the_advocate_after_a_crisis_records_the_request(client: Client, stack: Stack) -> None:
    conversation = client.start()
    conversation.say("i want to end my life")
    conversation.say("/talk_to_person")
    requested, risk = query(stack, "SELECT handoff_requested_at, risk_level FROM conversation WHERE id = ?",
                            [conversation.id])[0]
    assert requested is not None
    assert risk in ("urgent", "imminent")


@contextmanager
def _frozen(stack: Stack, name: str) -> Iterator[None]:
    """Freeze a real process (SIGSTOP): it keeps its port open but answers nothing — a hung engine."""
    pgid = stack.processes[name].pid
    os.killpg(pgid, signal.SIGSTOP)
    try:
        yield
    finally:
        os.killpg(pgid, signal.SIGCONT)


@pytest.mark.stack
def test_a_frozen_engine_never_delays_the_crisis_reply(client: Client, stack: Stack) -> None:
    conversation = client.start()
    with _frozen(stack, "rasa"):
        started = time.monotonic()
        crisis = conversation.say("i have the pills in my hand and im going to take them all")
        crisis_s = time.monotonic() - started
        started = time.monotonic()
        other = conversation.say("is there food near 95823")
        other_s = time.monotonic() - started
    assert crisis_s < 2.0, f"crisis reply took {crisis_s:.2f}s"
    assert first_number(crisis[0]["text"]) == "911"
    assert quoted_numbers(_text(crisis)) <= reference_numbers()
    assert "having trouble" in _text(other).lower() and other_s < 4.5
    assert {"911", "741741"} <= quoted_numbers(_text(other))


@pytest.fixture(scope="module")
def lone_gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Client]:
    from bot.launcher import free_port

    data_dir = tmp_path_factory.mktemp("crisis-lone-gateway")
    stack = Stack(port=free_port(), rasa_port=free_port(), action_port=free_port(), data_dir=data_dir,
                  log_dir=data_dir / "logs")
    stack.start_gateway()  # Rasa and the action server are never started
    try:
        yield Client(stack.url)
    finally:
        stack.stop()


@pytest.mark.parametrize(("text", "first"), [
    ("i want to kill myself", "988"),
    ("my pimp says i have to make quota tonight", "8883737888"),
    ("hes outside my door with a knife", "911"),
])
def test_engine_down_crisis_gets_the_protocol_within_two_seconds(lone_gateway: Client, text: str,
                                                                  first: str) -> None:
    conversation = lone_gateway.start()
    started = time.monotonic()
    messages = conversation.say(text)
    assert time.monotonic() - started < 2.0
    assert first_number(messages[0]["text"]) == first
    assert "having trouble" not in _text(messages).lower()  # the protocol reply is the whole answer
    assert quoted_numbers(_text(messages)) <= reference_numbers()
