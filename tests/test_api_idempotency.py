"""A message sent again with the same `client_message_id` (a phone that lost its connection before the answer
came, a retry through another gateway) is stored once and answered with the replies it got the first time."""

from __future__ import annotations

import json
import secrets
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import Client
from tests.db import query

pytestmark = pytest.mark.stack


def _user_messages(stack: Any, conversation_id: str) -> list[str]:
    rows = query(stack, "select text from message where conversation_id = ? and sender = 'user' order by id",
                 [conversation_id])
    return [r[0] for r in rows]


def _send(conversation: Any, text: str, key: str) -> Any:
    return conversation.send_raw(json.dumps({"text": text, "client_message_id": key}).encode())


def test_the_same_message_sent_twice_is_stored_once_and_answered_alike(stack: Any, client: Client) -> None:
    conversation = client.start()
    key = secrets.token_hex(12)
    first = _send(conversation, "i need food in fresno", key)
    again = _send(conversation, "i need food in fresno", key)
    assert first.status == again.status == 200
    assert again.body.get("repeated") is True and "repeated" not in first.body
    assert [m["text"] for m in again.body["messages"]] == [m["text"] for m in first.body["messages"]]
    assert again.body["messages"] and again.body["messages"][0].get("resources") == \
        first.body["messages"][0].get("resources")
    assert _user_messages(stack, conversation.id) == ["i need food in fresno"]
    # A new key is a new message, even with the same words.
    assert _send(conversation, "i need food in fresno", secrets.token_hex(12)).status == 200
    assert len(_user_messages(stack, conversation.id)) == 2


def test_simultaneous_copies_are_stored_once(stack: Any, client: Client) -> None:
    conversation = client.start()
    key = secrets.token_hex(12)
    with ThreadPoolExecutor(6) as pool:
        replies = list(pool.map(lambda _: _send(conversation, "need a shelter in oakland tonight", key), range(6)))
    assert all(r.status == 200 and r.body["messages"] for r in replies), replies
    assert _user_messages(stack, conversation.id) == ["need a shelter in oakland tonight"]


def test_a_key_belongs_to_its_conversation(stack: Any, client: Client) -> None:
    key = secrets.token_hex(12)
    one, other = client.start(), client.start()
    assert _send(one, "hi", key).status == 200
    reply = _send(other, "hi", key)
    assert reply.status == 200 and "repeated" not in reply.body
    assert _user_messages(stack, other.id) == ["hi"]


def test_a_crisis_message_sent_again_gets_the_lines_again(stack: Any, client: Client) -> None:
    conversation = client.start()
    key = secrets.token_hex(12)
    first = _send(conversation, "i want to kill myself", key)
    again = _send(conversation, "i want to kill myself", key)
    assert "988" in first.body["messages"][0]["text"]
    assert [m["text"] for m in again.body["messages"]] == [m["text"] for m in first.body["messages"]]
    assert _user_messages(stack, conversation.id) == ["i want to kill myself"]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(key=st.one_of(st.text(max_size=80), st.integers(), st.none(), st.lists(st.text(max_size=3), max_size=2),
                     st.booleans()))
def test_client_message_ids_are_checked(stack: Any, client: Client, key: Any) -> None:
    conversation = client.start()
    reply = _send(conversation, "hi", key)
    valid = key is None or (isinstance(key, str) and 8 <= len(key) <= 64
                            and all(c.isascii() and (c.isalnum() or c in "-_") for c in key))
    if valid:
        assert reply.status == 200, reply
    else:
        assert reply.status == 400 and "client_message_id" in reply.body["error"], reply
        assert _user_messages(stack, conversation.id) == []
