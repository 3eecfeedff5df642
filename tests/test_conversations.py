"""Conversation tests through the real stack (gateway → bridge → Rasa → action server → directory).

Each YAML file in tests/conversations/ holds conversations; each step says what the person writes and what
the reply must (and must not) contain. Every reply of every step is also checked for the product's
invariants: never empty, and every number it quotes is a reference hotline or a number in the directory.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy import select

from resources.db import make_engine
from resources.models import Phone
from tests.conftest import Client
from tests.db import gateway_url
from tests.numbers import digits, first_number, quoted_numbers, reference_numbers

CONVERSATIONS = sorted((Path(__file__).parent / "conversations").glob("*.yml"))
ROOT = Path(__file__).resolve().parents[1]


def _load() -> list[Any]:
    cases = []
    for path in CONVERSATIONS:
        for case in yaml.safe_load(path.read_text(encoding="utf-8")):
            _check_strings(case, f"{path.name}: {case.get('name')}")
            cases.append(pytest.param(case, id=f"{path.stem}: {case['name']}"))
    return cases


def _check_strings(case: dict[str, Any], where: str) -> None:
    """YAML reads a bare yes/no/16 as a bool or a number: insist on strings so a test says what it means."""
    for step in case["steps"]:
        expect = step.get("expect") or {}
        values = [step["user"], *([expect["leads_with"]] if "leads_with" in expect else [])]
        values += [v for key in ("says", "says_any", "not_says") for v in expect.get(key, [])]
        bad = [v for v in values if not isinstance(v, str)]
        if bad:
            raise ValueError(f"{where}: quote these values in the YAML: {bad!r}")


@pytest.fixture(scope="module")
def allowed_numbers(stack) -> frozenset[str]:
    engine = make_engine(gateway_url(stack))
    with engine.connect() as connection:
        directory = {digits(n) for n in connection.scalars(select(Phone.number))}
        directory |= {n for number in connection.scalars(select(Phone.number)) for n in quoted_numbers(number)}
    engine.dispose()
    return reference_numbers() | frozenset(directory)


def _reply_text(messages: list[dict[str, Any]]) -> str:
    parts = []
    for message in messages:
        parts.append(message.get("text", ""))
        for card in message.get("resources") or []:
            parts.extend(str(card.get(k) or "") for k in ("name", "phone", "text", "address", "hours"))
    return "\n".join(parts)


def _check_step(messages: list[dict[str, Any]], expect: dict[str, Any], allowed: frozenset[str], where: str) -> None:
    assert messages, f"{where}: empty reply (dead end)"
    text = _reply_text(messages)
    lowered = text.lower()
    quoted = quoted_numbers(text)
    assert quoted <= allowed, f"{where}: numbers not in the reference or directory: {quoted - allowed}"
    if (lead := expect.get("leads_with")) is not None:
        first = first_number(messages[0].get("text", ""))
        assert first == digits(lead), f"{where}: expected {lead} as the first number, got {first}:\n{text}"
    for needle in expect.get("says", []):
        assert needle.lower() in lowered, f"{where}: expected {needle!r} in reply:\n{text}"
    if any_of := expect.get("says_any"):
        assert any(n.lower() in lowered for n in any_of), f"{where}: expected one of {any_of} in reply:\n{text}"
    for needle in expect.get("not_says", []):
        assert needle.lower() not in lowered, f"{where}: did not expect {needle!r} in reply:\n{text}"
    cards = [card for message in messages for card in message.get("resources") or []]
    if expect.get("no_cards"):
        assert not cards, f"{where}: expected no resource cards, got {[c['name'] for c in cards]}"
    if spec := expect.get("cards"):
        assert len(cards) >= spec.get("min", 1), f"{where}: expected cards, reply was:\n{text}"
        if categories := spec.get("categories"):
            wrong = [(c["name"], c["category"]) for c in cards if c["category"] not in categories]
            assert not wrong, f"{where}: cards outside {categories}: {wrong}"
        if (limit := spec.get("max_distance_km")) is not None:
            far = [(c["name"], c["distance_km"]) for c in cards
                   if c["distance_km"] is not None and c["distance_km"] > limit]
            assert not far, f"{where}: cards farther than {limit} km: {far}"
        if spec.get("local"):
            assert any(c["distance_km"] is not None for c in cards), f"{where}: no local card: {text}"
        for card in cards:
            assert card["verified_on"] and card["source_url"], f"{where}: card without provenance: {card}"
    titles = [b["title"] for message in messages for b in message.get("buttons") or []]
    for title in expect.get("buttons", []):
        assert title in titles, f"{where}: expected button {title!r}, got {titles}"


@pytest.mark.stack
@pytest.mark.parametrize("case", _load())
def test_conversation(case: dict[str, Any], client: Client, allowed_numbers: frozenset[str]) -> None:
    conversation = client.start()
    for index, step in enumerate(case["steps"], start=1):
        messages = conversation.say(step["user"])
        where = f"step {index} ({step['user']!r})"
        _check_step(messages, step.get("expect") or {}, allowed_numbers, where)


def test_there_are_at_least_forty_conversations() -> None:
    assert len(_load()) >= 40


def test_reply_checker_rejects_unknown_numbers() -> None:
    with pytest.raises(AssertionError, match="numbers not in the reference"):
        _check_step([{"text": "call 1-555-867-5309"}], {}, reference_numbers(), "self-test")
    with pytest.raises(AssertionError, match="dead end"):
        _check_step([], {}, reference_numbers(), "self-test")
    _check_step([{"text": json.dumps("call 988")}], {}, reference_numbers(), "self-test")
