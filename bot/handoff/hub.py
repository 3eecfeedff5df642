"""Live events: pushes to the desks' WebSockets and to each youth's stream. Within one gateway process
directly; with REDIS_URL set, also to the other gateways of the deployment (bot/handoff/relay.py), which
deliver them to their own sockets.

Nothing here is the record: every message is stored before it is pushed, and a desk or chat page that
reconnects (after a network blip or a gateway restart) reads what it missed from the database.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import weakref
from collections import defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSCloseCode, web

from bot.handoff.relay import RedisRelay

log = logging.getLogger(__name__)
Send = Callable[[dict[str, Any]], Awaitable[None]]


@dataclass(eq=False)
class DeskListener:
    user_id: int
    role: str
    send: Send

    def sees(self, advocate_id: int | None, state: str) -> bool:
        """Supervisors see everything; advocates the waiting and flagged conversations and their own."""
        return self.role == "supervisor" or state in ("queued", "flagged") or advocate_id == self.user_id


@dataclass
class LiveHub:
    desks: set[DeskListener] = field(default_factory=set)
    youth: dict[str, set[Send]] = field(default_factory=lambda: defaultdict(set))
    sockets: weakref.WeakSet[web.WebSocketResponse] = field(default_factory=weakref.WeakSet)
    # Set when REDIS_URL is: every event also goes to the other gateway instances.
    relay: RedisRelay | None = None

    async def close_all(self) -> None:
        """On shutdown: pages reconnect to the next gateway and read what they missed from the database."""
        for socket in list(self.sockets):
            with contextlib.suppress(Exception):
                await socket.close(code=WSCloseCode.GOING_AWAY, message=b"gateway restarting")

    def add_desk(self, listener: DeskListener) -> None:
        self.desks.add(listener)

    def remove_desk(self, listener: DeskListener) -> None:
        self.desks.discard(listener)

    def add_youth(self, conversation_id: str, send: Send) -> None:
        self.youth[conversation_id].add(send)

    def remove_youth(self, conversation_id: str, send: Send) -> None:
        listeners = self.youth.get(conversation_id)
        if listeners is not None:
            listeners.discard(send)
            if not listeners:
                self.youth.pop(conversation_id, None)

    async def to_desks(self, event: dict[str, Any], advocate_id: int | None = None, state: str = "queued") -> None:
        await self._desks_here(event, advocate_id, state)
        if self.relay is not None:
            self.relay.publish({"to": "desks", "event": event, "advocate_id": advocate_id, "state": state})

    async def to_user(self, user_id: int, event: dict[str, Any]) -> None:
        await self._user_here(user_id, event)
        if self.relay is not None:
            self.relay.publish({"to": "user", "event": event, "user_id": user_id})

    async def to_youth(self, conversation_id: str, event: dict[str, Any]) -> None:
        await self._youth_here(conversation_id, event)
        if self.relay is not None:
            self.relay.publish({"to": "youth", "event": event, "conversation_id": conversation_id})

    async def relayed(self, message: dict[str, Any]) -> None:
        """An event another gateway published: delivered to this process's sockets only."""
        event, to = message.get("event"), message.get("to")
        if not isinstance(event, dict):
            return
        if to == "desks":
            await self._desks_here(event, message.get("advocate_id"), str(message.get("state", "queued")))
        elif to == "user" and isinstance(message.get("user_id"), int):
            await self._user_here(message["user_id"], event)
        elif to == "youth" and isinstance(message.get("conversation_id"), str):
            await self._youth_here(message["conversation_id"], event)

    async def _desks_here(self, event: dict[str, Any], advocate_id: int | None, state: str) -> None:
        await _fan_out([d.send for d in list(self.desks) if d.sees(advocate_id, state)], event)

    async def _user_here(self, user_id: int, event: dict[str, Any]) -> None:
        await _fan_out([d.send for d in list(self.desks) if d.user_id == user_id], event)

    async def _youth_here(self, conversation_id: str, event: dict[str, Any]) -> None:
        await _fan_out(list(self.youth.get(conversation_id, ())), event)


async def _fan_out(targets: list[Send], event: dict[str, Any]) -> None:
    if not targets:
        return
    if len(targets) == 1:  # the common case (one advocate, one chat page): no task per send
        await _safe(targets[0], event)
        return
    results = await asyncio.gather(*(_safe(send, event) for send in targets))
    del results


async def _safe(send: Send, event: dict[str, Any]) -> None:
    # A closed socket must not stop the others; the reader task removes it.
    with contextlib.suppress(Exception):
        await asyncio.wait_for(send(event), timeout=5)
