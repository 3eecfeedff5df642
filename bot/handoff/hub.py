"""Live events: pushes to the desks' WebSockets and to each youth's stream, inside one gateway process.

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
        targets = [d.send for d in list(self.desks) if d.sees(advocate_id, state)]
        await _fan_out(targets, event)

    async def to_user(self, user_id: int, event: dict[str, Any]) -> None:
        await _fan_out([d.send for d in list(self.desks) if d.user_id == user_id], event)

    async def to_youth(self, conversation_id: str, event: dict[str, Any]) -> None:
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
