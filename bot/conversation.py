"""The conversation core: what happens to one inbound message, whatever channel it came from.

Order matters: the crisis layer reads the message first and its protocol reply leads; then the engine
answers. If the engine is down or slow, the gateway answers itself, so nobody is ever met with silence —
and a crisis reply never waits for a slow engine longer than `crisis_timeout_s`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, Protocol

from bot.engine import ChatMessage, EngineClient, EngineUnavailable, to_chat_messages
from bot.replies import engine_unavailable_messages
from bot.store import ConversationStore

log = logging.getLogger(__name__)
CRISIS_LEVELS = frozenset({"urgent", "imminent"})


class CrisisScreen(Protocol):
    """What the conversation core needs from the crisis layer (bot.crisis.screen)."""

    def screen(self, text: str, language: str = "en") -> tuple[dict[str, Any], list[ChatMessage]]:
        """The verdict as a dict, and the protocol messages that must lead the reply (maybe none)."""
        ...


@dataclass
class ConversationCore:
    store: ConversationStore
    engine: EngineClient
    crisis: CrisisScreen | None = None
    crisis_timeout_s: float = 1.5

    async def handle(self, conversation_id: str, text: str, channel: str, language: str = "en") -> list[ChatMessage]:
        verdict: dict[str, Any] = {}
        lead: list[ChatMessage] = []
        if self.crisis is not None:
            verdict, lead = self.crisis.screen(text, language)
        in_crisis = verdict.get("level") in CRISIS_LEVELS
        # The engine needs the level and kind, not the words that matched (those stay with the advocate).
        engine_verdict = {k: verdict[k] for k in ("level", "categories") if k in verdict}
        metadata = {"channel": channel, "language": language, "crisis": engine_verdict}
        control: dict[str, Any] = {}
        messages: list[ChatMessage] = []
        sender = "bot"
        try:
            output = await self.engine.send(conversation_id, text, metadata,
                                            timeout_s=self.crisis_timeout_s if in_crisis else None)
            messages, control = to_chat_messages(output)
            if not messages and not lead:
                # An action failed inside the engine: it answers 200 with nothing. Never leave silence.
                raise EngineUnavailable("engine returned no messages")
        except EngineUnavailable as exc:
            log.warning("engine unavailable: %s", exc)
            messages = [] if lead else engine_unavailable_messages(language)
            sender = "system"
        replies = [("system", m) for m in lead] + [(sender, m) for m in messages]
        await self.store.record_exchange(
            conversation_id, text, replies,
            crisis=verdict if verdict.get("level", "none") != "none" else None,
            handoff_requested=control.get("handoff") == "requested",
        )
        return [message for _, message in replies]
