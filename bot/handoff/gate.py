"""The handoff as the conversation sees it: what happens to a youth's message while a person is (or will be)
with them, what the youth is told when they ask for a person, and how desk actions reach the youth.

While the handoff is queued or with an advocate the engine is not asked at all, so no bot message can
reach the youth (whatever Rasa's session expiry or slot extraction would do). Every youth message is
still crisis-screened by the caller, stored with its verdict, and pushed to the desk; the crisis lines
still go back to the youth at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from bot.crisis.verdict import CRISIS_LEVELS
from bot.handoff.hub import LiveHub
from bot.handoff.models import ACTIVE_STATES, Handoff
from bot.handoff.service import HandoffService
from bot.replies import gateway_text_with
from bot.store import ConversationStore, Message

log = logging.getLogger(__name__)
ChatMessage = dict[str, Any]


class Unknown:
    """Marks "the caller has not read the handoff" (None means it read it and there is none)."""


UNKNOWN = Unknown()
# Delivery beyond the live stream for messages that start on the desk side (e.g. SMS: channels/sms/outbox.py).
Outbound = Callable[[str, Message], Awaitable[None]]

# "bye", "back to bot", "end chat" … on their own (a long message that merely contains "bye" is for the advocate).
_END = re.compile(r"^\s*(?:/back_to_bot|(?:ok(?:ay)?[\s,]+)?(?:bye+|good\s*bye|goodbye|bye\s*bye|cya|"
                  r"(?:go\s+)?back\s+to\s+(?:the\s+)?bot|end\s+(?:the\s+)?chat|stop\s+(?:the\s+)?chat))"
                  r"[\s.!]*$", re.IGNORECASE)
BACK_TO_BOT_BUTTON = {"title": "Back to the bot", "payload": "/back_to_bot"}
# Changes to who is in the queue within this window are published as one recomputed queue.
QUEUE_COALESCE_S = 0.05


def is_end_request(text: str) -> bool:
    return bool(_END.match(text))


def desk_message(message: Message) -> dict[str, Any]:
    """A stored message as the desk shows it (user messages carry their crisis verdict and evidence)."""
    payload = message.payload or {}
    shown: dict[str, Any] = {"id": message.id, "sender": message.sender, "text": message.text,
                             "at": message.created_at.isoformat() if message.created_at else None}
    if message.sender == "user" and payload.get("crisis"):
        shown["crisis"] = payload["crisis"]
    if payload.get("resources"):
        shown["resources"] = payload["resources"]
    return shown


def youth_event(message: Message) -> dict[str, Any]:
    payload = message.payload or {}
    shown: dict[str, Any] = {"id": message.id, "sender": message.sender, "text": message.text}
    for key in ("resources", "buttons"):
        if payload.get(key):
            shown[key] = payload[key]
    return {"type": "message", "message": shown}


@dataclass
class HandoffGate:
    service: HandoffService
    hub: LiveHub
    store: ConversationStore
    desk_hours: str
    outbound: list[Outbound] = field(default_factory=list)
    desk_hours_es: str | None = None  # told to Spanish conversations; None: `desk_hours` as written

    def hours(self, language: str) -> str:
        return self.desk_hours_es if language == "es" and self.desk_hours_es else self.desk_hours
    _queue_dirty: bool = field(default=False, repr=False)
    _queue_task: asyncio.Task[None] | None = field(default=None, repr=False)

    async def _deliver(self, conversation_id: str, message: Message) -> None:
        for deliver in self.outbound:
            try:
                await deliver(conversation_id, message)
            except Exception:  # the message is stored and on the stream; a failed hand-over is logged
                log.exception("outbound delivery failed")

    # ----------------------------------------------------------------------------- youth → gateway
    async def route(self, conversation_id: str, text: str, verdict: dict[str, Any], lead: list[ChatMessage],
                    language: str, known: Handoff | Unknown | None = UNKNOWN,
                    client_key: str | None = None) -> list[ChatMessage] | None:
        """The replies for a message sent during a handoff, or None when the bot has the conversation.
        `known`: the handoff as the caller just read it (with the token check), to save a query."""
        handoff = await self.service.for_conversation(conversation_id) if isinstance(known, Unknown) else known
        if handoff is None or handoff.state not in ACTIVE_STATES:
            return None
        crisis = verdict if verdict.get("level", "none") != "none" else None
        replies = list(lead)
        ended = is_end_request(text) and await self.service.youth_ends(conversation_id) is not None
        if ended:
            replies.append({"text": gateway_text_with("handoff_youth_ended", language)})
        elif handoff.state == "queued" and not lead:
            position = await self.service.position(conversation_id) or 1
            replies.append({"text": gateway_text_with("handoff_still_waiting", language, position=position),
                            "buttons": [BACK_TO_BOT_BUTTON]})
        # Stored (one transaction) before anything is pushed: a desk never shows what the database lacks.
        stored = await self.store.record_exchange(conversation_id, text, [("system", m) for m in replies],
                                                  crisis=crisis, client_key=client_key)
        for message in stored:
            await self.hub.to_desks({"type": "message", "handoff_id": handoff.id, "message": desk_message(message)},
                                    advocate_id=handoff.advocate_id, state=handoff.state)
        if crisis and crisis.get("level") in CRISIS_LEVELS:
            await self.hub.to_desks({"type": "alert", "handoff_id": handoff.id, "level": crisis["level"],
                                     "categories": crisis.get("categories", [])},
                                    advocate_id=handoff.advocate_id, state=handoff.state)
        if ended:
            await self.publish_state(await self.service.get(handoff.id) or handoff)
            self.queue_changed()
        elif crisis and handoff.state == "queued":
            await self.publish_item(handoff.id)  # its level and evidence changed; nobody else's place did
        return replies

    async def requested(self, conversation_id: str, priority: str, language: str) -> list[ChatMessage]:
        """The youth asked for a person (the engine's `handoff` control field): queue them and say honestly
        where they are in line, or, when nobody is on duty, when the team is in and who answers 24/7."""
        advocates = await self.service.on_duty()
        if advocates == 0:
            return [{"text": gateway_text_with("handoff_no_advocate", language, hours=self.hours(language))}]
        await self.service.request(conversation_id, "crisis" if priority == "crisis" else "normal")
        position = await self.service.position(conversation_id) or 1
        minutes = await self.service.estimated_wait_minutes(position, advocates)
        return [{"text": gateway_text_with("handoff_queued", language, position=position, minutes=minutes),
                 "buttons": [BACK_TO_BOT_BUTTON]}]

    async def after_bot_exchange(self, verdict: dict[str, Any], requested: bool) -> None:
        """A new request, or a crisis the bot answered: the desk's queue changes (and a crisis alerts)."""
        if requested or verdict.get("level") in CRISIS_LEVELS:
            self.queue_changed()

    # ----------------------------------------------------------------------------- desk → youth
    async def tell_youth(self, conversation_id: str, key: str, language: str = "en", **values: Any) -> Message:
        """A notice from the desk side (joined, transferred, back to the bot …), stored and pushed live."""
        text = gateway_text_with(key, language, hours=self.hours(language), **values)
        message = await self.store.add_message(conversation_id, "desk", {"text": text})
        await self.hub.to_youth(conversation_id, youth_event(message))
        await self._deliver(conversation_id, message)
        return message

    async def advocate_says(self, handoff: Handoff, text: str, resources: list[dict[str, Any]] | None = None,
                            also: Callable[[Message], Iterable[object]] | None = None) -> Message:
        """Stored with `also` (the audit entry) in one transaction, then pushed to the youth first."""
        payload: dict[str, Any] = {"text": text}
        if resources:
            payload["resources"] = resources
        message = await self.store.add_message(handoff.conversation_id, "advocate", payload, also=also)
        await self.hub.to_youth(handoff.conversation_id, youth_event(message))
        await self.hub.to_desks({"type": "message", "handoff_id": handoff.id, "message": desk_message(message)},
                                advocate_id=handoff.advocate_id, state=handoff.state)
        await self._deliver(handoff.conversation_id, message)
        return message

    async def publish_state(self, handoff: Handoff) -> None:
        await self.hub.to_youth(handoff.conversation_id, {"type": "state", "state": handoff.state})
        await self.hub.to_desks({"type": "handoff", "handoff_id": handoff.id, "state": handoff.state,
                                 "version": handoff.version}, advocate_id=handoff.advocate_id, state="queued")

    async def publish_queue(self) -> None:
        """The whole queue, recomputed now (prefer `queue_changed`, which coalesces)."""
        items = [i.to_dict() for i in await self.service.queue()]
        await self.hub.to_desks({"type": "queue", "items": items}, state="queued")

    async def publish_item(self, handoff_id: int) -> None:
        """One waiting conversation changed (its level or evidence): the desks update that entry only."""
        item = await self.service.item(handoff_id)
        if item is not None and item.state in ("queued", "flagged"):
            await self.hub.to_desks({"type": "queue_item", "item": item.to_dict()}, state="queued")

    def queue_changed(self) -> None:
        """Who is in the queue changed. The queue is recomputed once for every change within
        QUEUE_COALESCE_S (fifty youths asking at once cost one recomputation, not fifty), off the request."""
        self._queue_dirty = True
        if self._queue_task is None or self._queue_task.done():
            self._queue_task = asyncio.get_running_loop().create_task(self._publish_queue_soon())

    async def _publish_queue_soon(self) -> None:
        while self._queue_dirty:
            await asyncio.sleep(QUEUE_COALESCE_S)
            self._queue_dirty = False
            try:
                await self.publish_queue()
            except Exception:  # the desks re-read the queue on their next action or reconnect
                log.exception("publishing the queue failed")

    async def close(self) -> None:
        if self._queue_task is not None:
            self._queue_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._queue_task

    async def desk_closing(self) -> None:
        """Nobody on duty any more: everyone waiting is told so, with the hours and the 24/7 lines."""
        for conversation_id in await self.service.return_queued_to_bot():
            conversation = await self.store.conversation(conversation_id)
            await self.tell_youth(conversation_id, "handoff_desk_closing",
                                  conversation.language if conversation else "en")
            await self.hub.to_youth(conversation_id, {"type": "state", "state": "bot"})
        self.queue_changed()
