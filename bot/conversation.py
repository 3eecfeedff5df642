"""The conversation core: what happens to one inbound message, whatever channel it came from.

Order matters: the crisis layer reads the message first, then the engine answers; if the engine is down
or slow, the gateway answers itself, so nobody is ever met with silence.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, Protocol

from bot.engine import ChatMessage, EngineClient, EngineUnavailable, to_chat_messages
from bot.replies import engine_unavailable_messages
from bot.store import ConversationStore

log = logging.getLogger(__name__)


class CrisisScreen(Protocol):
    """What the conversation core needs from the crisis layer (bot.crisis)."""

    def screen(self, text: str) -> tuple[dict[str, Any], list[ChatMessage]]:
        """The verdict as a dict, and the protocol messages that must lead the reply (maybe none)."""
        ...


@dataclass
class ConversationCore:
    store: ConversationStore
    engine: EngineClient
    crisis: CrisisScreen | None = None

    async def handle(self, conversation_id: str, text: str, channel: str, language: str = "en") -> list[ChatMessage]:
        verdict: dict[str, Any] = {}
        lead: list[ChatMessage] = []
        if self.crisis is not None:
            verdict, lead = self.crisis.screen(text)
        metadata = {"channel": channel, "language": language, "crisis": verdict}
        control: dict[str, Any] = {}
        try:
            output = await self.engine.send(conversation_id, text, metadata)
            messages, control = to_chat_messages(output)
            if not messages:
                # An action failed inside the engine: it answers 200 with nothing. Never leave silence.
                raise EngineUnavailable("engine returned no messages")
            sender = "bot"
        except EngineUnavailable as exc:
            log.warning("engine unavailable: %s", exc)
            messages = [] if lead else engine_unavailable_messages(language)
            sender = "system"
        replies = [("system", m) for m in lead] + [(sender, m) for m in messages]
        await self.store.record_exchange(
            conversation_id, text, replies, handoff_requested=control.get("handoff") == "requested"
        )
        return [message for _, message in replies]
