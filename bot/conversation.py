"""The conversation core: what happens to one inbound message, whatever channel it came from.

Order matters: the crisis layer reads the message first and its protocol reply leads; then the engine
answers. If the engine is down or slow, the gateway answers itself, so nobody is ever met with silence —
and a crisis reply never waits for a slow engine longer than `crisis_timeout_s`. While a person has the
conversation (bot/handoff/), the engine is not asked at all: the handoff gate takes the message.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from bot.engine import INSIGHT_FIELD, ChatMessage, EngineClient, EngineUnavailable, to_chat_messages
from bot.handoff.gate import UNKNOWN, Unknown
from bot.insights.dimensions import Fact, event_fact, facts_from_control
from bot.language import detect_language
from bot.replies import engine_unavailable_messages, gateway_text_with
from bot.store import Conversation, ConversationStore
from resources.models import CATEGORIES

if TYPE_CHECKING:
    from bot.handoff.gate import HandoffGate
    from bot.handoff.models import Handoff

log = logging.getLogger(__name__)
CRISIS_LEVELS = frozenset({"urgent", "imminent"})


def need_codes(value: Any) -> str | None:
    """The engine's `search_need` control field (the categories of the search it just ran) as stored for
    the desk: known category codes only, comma-separated; anything else is dropped, never stored."""
    if not isinstance(value, list | tuple):
        return None
    codes = [c for c in dict.fromkeys(value) if isinstance(c, str) and c in CATEGORIES]
    return ",".join(codes[:4]) or None


async def conversation_language(store: ConversationStore, conversation: Conversation | None, text: str,
                                remember: bool = True) -> str:
    """The language to answer this inbound message in, for every channel (web API, SMS), remembered with the
    conversation: read from the first messages, then kept unless the person switches ("español", "english")
    or clearly writes in the other language (bot/language.py). `conversation` None: there is none yet (an
    SMS keyword from a new phone), so nothing is stored; the first real message stores it. `remember` False:
    decide, but store nothing (an SMS while opted out)."""
    if conversation is None:
        return detect_language(text, None)
    # A new conversation's column holds the default, not a choice: its first message decides.
    previous = conversation.language if await store.has_user_messages(conversation.id) else None
    language = detect_language(text, previous)
    if remember and language != conversation.language:
        await store.set_language(conversation.id, language)
    return language


class TextRedactor(Protocol):
    def redact(self, text: str) -> str: ...


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
    handoff: HandoffGate | None = None
    # Replaces what identifies a person (bot.privacy.redact) before anything is stored, logged or handed on.
    redactor: TextRedactor | None = None

    async def handle(self, conversation_id: str, text: str, channel: str, language: str = "en",
                     redacted: str | None = None, handoff: Handoff | Unknown | None = UNKNOWN,
                     client_key: str | None = None) -> list[ChatMessage]:
        """`text` is what the person typed: only the crisis screen reads it, in memory. Everything after it
        (the store, the desk, the engine and Rasa's tracker, logs) gets the redacted text — `redacted` when
        the channel already made it, else made here. `handoff`: the conversation's handoff row (None: it has
        none) when the caller already read it, to save a query; by default the handoff gate reads it.
        `client_key`: the client's idempotency key; raises store.DuplicateMessage if it is already stored."""
        verdict: dict[str, Any] = {}
        lead: list[ChatMessage] = []
        if self.crisis is not None:
            verdict, lead = self.crisis.screen(text, language)
        if redacted is None:
            redacted = self.redactor.redact(text) if self.redactor is not None else text
        text = redacted
        if verdict.get("evidence") and self.redactor is not None:
            # The matched words are shown to advocates: they are the youth's words, so they are redacted too.
            verdict = {**verdict, "evidence": [self.redactor.redact(str(e)) for e in verdict["evidence"]]}
        in_crisis = verdict.get("level") in CRISIS_LEVELS
        if self.handoff is not None:
            routed = await self.handoff.route(conversation_id, text, verdict, lead, language, known=handoff,
                                              client_key=client_key)
            if routed is not None:
                if in_crisis:  # the protocol answered during a handoff: counted, with nothing else known
                    await self.store.record_insights(_facts([], {}, ["crisis_protocol"], language, channel))
                return routed
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
        requested = control.get("handoff") == "requested"
        searches, context = facts_from_control(control.get(INSIGHT_FIELD, []), language, channel)
        events = ["crisis_protocol"] if in_crisis else []
        replies = [("system", m) for m in lead] + [(sender, m) for m in messages]
        if requested:
            # The action only says it heard them; what happens next (queue or desk hours) is the gateway's.
            priority = str(control.get("handoff_priority") or "normal")
            if self.handoff is not None:
                replies += [("system", m) for m in await self.handoff.requested(conversation_id, priority, language)]
                handoff = await self.handoff.service.for_conversation(conversation_id)
                events.append("went_to_advocate" if handoff is not None and handoff.state == "queued"
                              else "no_advocate_on_duty")
            else:
                events.append("no_advocate_on_duty")
                replies.append(("system", {"text": gateway_text_with("handoff_no_advocate", language,
                                                                     hours="soon")}))
        await self.store.record_exchange(
            conversation_id, text, replies,
            crisis=verdict if verdict.get("level", "none") != "none" else None,
            handoff_requested=requested, need=need_codes(control.get("search_need")),
            insights=_facts(searches, context, events, language, channel), client_key=client_key,
        )
        if self.handoff is not None:
            await self.handoff.after_bot_exchange(verdict, requested)
        return [message for _, message in replies]


def _facts(searches: list[Fact], context: dict[str, Any], events: list[str], language: str, channel: str
           ) -> list[Fact]:
    """What this exchange adds to the insight counters: the searches the actions reported, and the crisis
    protocol or handoff the gateway itself saw, under the search context of this turn when there is one."""
    extra = [event_fact(outcome, context, language, channel) for outcome in events]
    return searches + [f for f in extra if f is not None]
