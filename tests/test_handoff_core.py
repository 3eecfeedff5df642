"""The handoff state machine inside a real gateway app (aiohttp test server, real crisis screen, real
SQLite), with a scripted engine that counts its calls and an injectable clock: time passing (hours of
silence, far past Rasa's 60-minute session expiry) never lets a bot message reach the youth."""

from __future__ import annotations

import datetime as dt
import math
import time
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import select

from bot.gateway.app import create_app
from bot.gateway.keys import ACCOUNTS, CORE, GATE, HANDOFFS, STORE
from bot.handoff.gate import QUEUE_COALESCE_S
from bot.settings import Settings
from bot.store import Message


class ScriptedEngine:
    """Stands in for Rasa: "person" asks for a handoff (as action_talk_to_person does); anything else gets
    a bot answer. Every call is counted, so a test can prove the engine was never asked."""

    def __init__(self) -> None:
        self.calls: list[str] = []

    async def send(self, sender: str, text: str, metadata: dict[str, Any], timeout_s: float | None = None):
        self.calls.append(text)
        if text in ("person", "/talk_to_person"):
            priority = "crisis" if (metadata.get("crisis") or {}).get("level") else "normal"
            return [{"custom": {"text": "Sometimes you just need a real person. I hear you.",
                                "handoff": "requested", "handoff_priority": priority}}]
        return [{"custom": {"text": f"bot answer to {text}"}}]

    async def ready(self) -> bool:
        return True


class Clock:
    def __init__(self) -> None:
        self.now = dt.datetime(2030, 1, 1, 22, 0, tzinfo=dt.UTC)

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += dt.timedelta(**delta)


@pytest.fixture
async def gateway(tmp_path: Path, gateway_database_url: str):
    clock = Clock()
    # Every simulated youth comes from the same address: lift the per-address limits (not the per-sender).
    settings = Settings(data_dir=tmp_path, ip_per_min=100_000, ip_burst=100_000, new_conversations_per_min=100_000,
                        database_url=gateway_database_url)
    app = create_app(settings, clock=clock)
    client = TestClient(TestServer(app))
    await client.start_server()
    engine = ScriptedEngine()
    app[CORE].engine = engine  # type: ignore[assignment]
    yield app, client, engine, clock
    await client.close()


async def _start(client: TestClient) -> tuple[str, dict[str, str]]:
    response = await client.post("/api/conversations")
    body = await response.json()
    return body["conversation_id"], {"Authorization": f"Bearer {body['token']}"}


async def _say(client: TestClient, conversation: tuple[str, dict[str, str]], text: str) -> list[dict[str, Any]]:
    conversation_id, headers = conversation
    response = await client.post(f"/api/conversations/{conversation_id}/messages", json={"text": text},
                                 headers=headers)
    assert response.status == 200, await response.text()
    return (await response.json())["messages"]


async def _senders_after(app, conversation_id: str, after_id: int) -> list[str]:
    async with app[STORE].sessions() as session:
        rows = await session.scalars(select(Message.sender).where(Message.conversation_id == conversation_id,
                                                                  Message.id > after_id))
        return list(rows)


async def _last_id(app, conversation_id: str) -> int:
    return max(m.id for m in await app[STORE].messages(conversation_id))


async def test_no_bot_message_during_a_handoff_even_after_hours_of_silence(gateway) -> None:
    app, client, engine, clock = gateway
    advocate = await app[ACCOUNTS].add_user("night-shift", "advocate", "a long enough password")
    await app[ACCOUNTS].set_duty(advocate.id, True)
    conversation = await _start(client)
    replies = await _say(client, conversation, "person")
    assert "number 1 in line" in replies[-1]["text"] and "911" in replies[-1]["text"]
    asked = len(engine.calls)
    start_id = await _last_id(app, conversation[0])

    clock.advance(minutes=61)  # past Rasa's default session expiry
    replies = await _say(client, conversation, "hello? anyone")
    assert [r["text"] for r in replies if "bot answer" in r["text"]] == []
    assert "in line" in replies[-1]["text"]

    handoff = await app[HANDOFFS].for_conversation(conversation[0])
    assert handoff is not None and handoff.state == "queued"
    assert await app[HANDOFFS].claim(handoff.id, advocate.id)
    clock.advance(hours=3)
    assert await _say(client, conversation, "are you still there") == []
    clock.advance(hours=20)
    assert await _say(client, conversation, "hi") == []

    assert len(engine.calls) == asked, "the engine must not be asked while a person has the conversation"
    assert "bot" not in await _senders_after(app, conversation[0], start_id)
    assert (await app[HANDOFFS].for_conversation(conversation[0])).state == "with_advocate"


async def test_crisis_during_a_handoff_still_gets_the_lines_at_once_and_raises_the_level(gateway) -> None:
    app, client, engine, _ = gateway
    advocate = await app[ACCOUNTS].add_user("ana", "advocate", "a long enough password")
    await app[ACCOUNTS].set_duty(advocate.id, True)
    conversation = await _start(client)
    await _say(client, conversation, "person")
    replies = await _say(client, conversation, "im going to kms tonight")
    assert replies[0]["text"].startswith("If you're in danger") and "988" in replies[0]["text"]
    [item] = await app[HANDOFFS].queue()
    assert item.level == "imminent" and "suicidal" in item.categories and item.evidence
    assert len(engine.calls) == 1


async def test_youth_can_end_the_handoff_and_the_bot_answers_again(gateway) -> None:
    app, client, _, _ = gateway
    advocate = await app[ACCOUNTS].add_user("ana", "advocate", "a long enough password")
    await app[ACCOUNTS].set_duty(advocate.id, True)
    conversation = await _start(client)
    await _say(client, conversation, "person")
    replies = await _say(client, conversation, "back to bot")
    assert "back with me" in replies[-1]["text"]
    assert (await app[HANDOFFS].for_conversation(conversation[0])).state == "bot"
    assert (await _say(client, conversation, "food"))[0]["text"] == "bot answer to food"
    # A long message that merely contains "bye" is for the advocate, not an exit.
    await _say(client, conversation, "person")
    await _say(client, conversation, "my mom said bye and left me at the station")
    assert (await app[HANDOFFS].for_conversation(conversation[0])).state == "queued"
    await _say(client, conversation, "bye")
    assert (await app[HANDOFFS].for_conversation(conversation[0])).state == "bot"


async def test_nobody_on_duty_gives_hours_and_24_7_lines_and_nobody_waits_unattended(gateway) -> None:
    app, client, _, _ = gateway
    conversation = await _start(client)
    text = (await _say(client, conversation, "person"))[-1]["text"]
    assert "No advocate is on right now" in text and "10am" in text and "911" in text and "988" not in text
    assert "1-800-786-2929" in text  # the runaway safeline, from resources/data/hotlines.yaml
    assert await app[HANDOFFS].for_conversation(conversation[0]) is None or \
        (await app[HANDOFFS].for_conversation(conversation[0])).state == "bot"

    advocate = await app[ACCOUNTS].add_user("ana", "advocate", "a long enough password")
    await app[ACCOUNTS].set_duty(advocate.id, True)
    await _say(client, conversation, "person")
    assert (await app[HANDOFFS].for_conversation(conversation[0])).state == "queued"
    await app[ACCOUNTS].set_duty(advocate.id, False)
    await app[GATE].desk_closing()
    assert (await app[HANDOFFS].for_conversation(conversation[0])).state == "bot"
    notices = [m for m in await app[STORE].messages(conversation[0]) if m.sender == "desk"]
    assert notices and "signed off" in notices[-1].text


async def test_the_queue_orders_by_crisis_level_then_waiting_time(gateway) -> None:
    app, client, _, clock = gateway
    advocate = await app[ACCOUNTS].add_user("ana", "advocate", "a long enough password")
    await app[ACCOUNTS].set_duty(advocate.id, True)
    first, second, third = await _start(client), await _start(client), await _start(client)
    await _say(client, first, "person")
    clock.advance(minutes=5)
    await _say(client, second, "person")
    clock.advance(minutes=5)
    await _say(client, third, "person")
    await _say(client, third, "hes outside the door right now")
    queue = [i for i in await app[HANDOFFS].queue() if i.state == "queued"]
    assert [i.conversation_id for i in queue] == [third[0], first[0], second[0]]
    assert queue[0].level == "imminent"
    assert all("conversation_id" not in i.to_dict() for i in queue)


# ------------------------------------------------------------------------------ latency-related behaviour
class DeskEvents:
    """A desk WebSocket stand-in: records what the hub pushes to a supervisor (who sees everything)."""

    def __init__(self, app) -> None:
        from bot.handoff.hub import DeskListener

        self.events: list[dict[str, Any]] = []
        app[GATE].hub.add_desk(DeskListener(0, "supervisor", self.record))

    async def record(self, event: dict[str, Any]) -> None:
        self.events.append(event)

    def of(self, kind: str) -> list[dict[str, Any]]:
        return [e for e in self.events if e["type"] == kind]


async def _settle() -> None:
    import asyncio



    await asyncio.sleep(QUEUE_COALESCE_S * 4)


async def test_the_gateway_database_is_wal_with_synchronous_normal_and_a_busy_timeout(gateway) -> None:
    app, _, _, _ = gateway
    if app[STORE].engine.dialect.name != "sqlite":
        pytest.skip("SQLite's journal and busy-timeout settings: nothing to check on PostgreSQL (services pass)")
    async with app[STORE].engine.connect() as connection:
        mode = (await connection.exec_driver_sql("PRAGMA journal_mode")).scalar()
        sync = (await connection.exec_driver_sql("PRAGMA synchronous")).scalar()
        busy = (await connection.exec_driver_sql("PRAGMA busy_timeout")).scalar()
    assert (mode, sync) == ("wal", 1)  # 1 = NORMAL
    assert 1000 <= busy <= 10000


async def test_fifty_requests_at_once_cost_one_queue_recomputation(gateway) -> None:
    import asyncio

    app, client, _, _ = gateway
    advocate = await app[ACCOUNTS].add_user("ana", "advocate", "a long enough password")
    await app[ACCOUNTS].set_duty(advocate.id, True)
    desk = DeskEvents(app)
    conversations = [await _start(client) for _ in range(50)]
    started = time.monotonic()
    await asyncio.gather(*(_say(client, c, "person") for c in conversations))
    await _settle()
    windows = math.ceil((time.monotonic() - started) / QUEUE_COALESCE_S)
    queues = desk.of("queue")
    # At most one recomputation per coalescing window the burst spanned (how many depends on how busy the
    # machine is), and never one per request.
    assert 1 <= len(queues) <= windows, (len(queues), windows)
    assert len(queues) < len(conversations), len(queues)
    assert len([i for i in queues[-1]["items"] if i["state"] == "queued"]) == 50
    desk.events.clear()
    for _ in range(50):
        app[GATE].queue_changed()
    await _settle()
    assert len(desk.of("queue")) == 1
    # Positions handed out are the queue's own order, each once.
    positions = sorted([await app[HANDOFFS].position(c[0]) for c in conversations])
    assert positions == list(range(1, 51))


async def test_a_youth_message_while_waiting_pushes_a_delta_not_the_queue(gateway) -> None:
    app, client, _, _ = gateway
    advocate = await app[ACCOUNTS].add_user("ana", "advocate", "a long enough password")
    await app[ACCOUNTS].set_duty(advocate.id, True)
    conversation = await _start(client)
    await _say(client, conversation, "person")
    await _settle()
    desk = DeskEvents(app)
    replies = await _say(client, conversation, "hello? anyone")
    assert "number 1 in line" in replies[-1]["text"]
    await _settle()
    assert [e["type"] for e in desk.events] == ["message", "message"]  # the youth's, and the "still waiting"
    await _say(client, conversation, "he's outside the door right now")
    await _settle()
    assert desk.of("queue") == []
    [delta] = desk.of("queue_item")
    assert delta["item"]["level"] == "imminent" and delta["item"]["evidence"]
    assert "conversation_id" not in delta["item"]


async def test_an_advocate_message_and_its_audit_entry_commit_together(gateway) -> None:
    from bot.desk.models import AuditEntry
    from bot.gateway.keys import AUDIT

    app, client, _, _ = gateway
    advocate = await app[ACCOUNTS].add_user("ana", "advocate", "a long enough password")
    await app[ACCOUNTS].set_duty(advocate.id, True)
    conversation = await _start(client)
    await _say(client, conversation, "person")
    handoff = await app[HANDOFFS].for_conversation(conversation[0])
    assert await app[HANDOFFS].claim(handoff.id, advocate.id)
    handoff = await app[HANDOFFS].get(handoff.id)
    audit = app[AUDIT]
    message = await app[GATE].advocate_says(
        handoff, "I'm here", also=lambda m: [audit.entry("message", advocate.id, "ana", handoff.id, message_id=m.id)])
    async with app[STORE].sessions() as session:
        [entry] = list(await session.scalars(select(AuditEntry).where(AuditEntry.action == "message")))
    assert entry.detail == {"message_id": message.id} and entry.handoff_id == handoff.id

    def broken(_: Message) -> list[object]:
        raise RuntimeError("audit could not be written")

    with pytest.raises(RuntimeError):
        await app[GATE].advocate_says(handoff, "never stored without its audit entry", also=broken)
    assert "never stored without its audit entry" not in [m.text for m in await app[STORE].messages(conversation[0])]


async def test_the_desk_learns_the_need_of_the_last_search_and_only_known_codes(gateway) -> None:
    app, client, engine, _ = gateway
    advocate = await app[ACCOUNTS].add_user("ana", "advocate", "a long enough password")
    await app[ACCOUNTS].set_duty(advocate.id, True)
    conversation = await _start(client)
    original = engine.send

    async def searching(sender: str, text: str, metadata: dict[str, Any], timeout_s: float | None = None):
        if text == "shelter and food near me":
            return [{"custom": {"text": "Here are places:", "search_need": ["shelter", "my address", "food", 7]}}]
        return await original(sender, text, metadata, timeout_s)

    engine.send = searching  # type: ignore[method-assign]
    replies = await _say(client, conversation, "shelter and food near me")
    assert replies == [{"text": "Here are places:"}], "control fields never reach the youth"
    await _say(client, conversation, "person")
    [item] = await app[HANDOFFS].queue()
    assert item.needs == ["shelter", "food"] and item.to_dict()["needs"] == ["shelter", "food"]


async def test_erasing_tells_the_desks_and_the_queue_lets_go(gateway) -> None:
    app, client, _, _ = gateway
    advocate = await app[ACCOUNTS].add_user("ana", "advocate", "a long enough password")
    await app[ACCOUNTS].set_duty(advocate.id, True)
    conversation = await _start(client)
    await _say(client, conversation, "person")
    handoff = await app[HANDOFFS].for_conversation(conversation[0])
    await _settle()
    desk = DeskEvents(app)
    response = await client.delete(f"/api/conversations/{conversation[0]}", headers=conversation[1])
    assert response.status == 200
    await _settle()
    assert {"type": "handoff", "handoff_id": handoff.id, "state": "erased"}.items() <= desk.of("handoff")[0].items()
    assert desk.of("queue")[-1]["items"] == []


async def test_login_failures_outlive_a_gateway_restart(tmp_path: Path) -> None:
    from bot.desk.accounts import LoginLimiter
    from bot.gateway.app import open_store

    settings = Settings(data_dir=tmp_path)
    store = await open_store(settings)
    keys = ("name:ana", "ip:10.0.0.1")
    for _ in range(5):
        await LoginLimiter(store).failed(*keys)
    assert await LoginLimiter(store).blocked(*keys)
    await store.close()

    store = await open_store(settings)  # a new process, as far as the limiter knows
    limiter = LoginLimiter(store)
    assert await limiter.blocked("name:ana")
    assert not await limiter.blocked("name:bo", "ip:10.0.0.2")
    later = LoginLimiter(store, clock=lambda: dt.datetime.now(dt.UTC) + dt.timedelta(minutes=16))
    assert not await later.blocked("name:ana"), "the window passes"
    await limiter.succeeded("name:ana")
    async with store.engine.connect() as connection:
        stored = [r[0] for r in await connection.exec_driver_sql("SELECT key_hash FROM desk_login_failure")]
    assert "name:ana" not in stored and "ip:10.0.0.1" not in stored and len(stored) == 5  # hashed; ip's kept
    await store.close()
