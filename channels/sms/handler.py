"""One verified inbound SMS → the bodies to answer with. The order is the privacy design:

1. dedupe by MessageSid (Twilio redelivers when we are slow; a youth must not get two answers, and a
   message must not be stored twice);
2. the phone number becomes a keyed hash straight away (bot.privacy.pseudonym); the number itself only
   goes to `remember_number`, which seals it (bot.privacy.sealed);
3. the conversation's language (bot.conversation.conversation_language, as on the web: read from the first
   messages, remembered, switched by "español"/"english"), so keyword replies are in it too;
4. carrier keywords (STOP/START/HELP, Twilio's OptOutType when present) and "delete my messages"
   with its confirmation; while opted out nothing is processed, stored or sent;
5. a numbered reply becomes the payload of the button it chose;
6. redaction; the conversation core gets the redacted text to store and hand to the engine, and the raw
   text only in memory, for the crisis screen;
7. the reply rendered for SMS (in the conversation's language), and its choices remembered for the next message.

The state and the conversation core are protocols, so the lead wires them to the gateway store and
ConversationCore after the desk rewrite (issue 13); `InMemorySmsState` is for tests and a laptop.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from bot.privacy.pseudonym import PhoneKeys
from bot.privacy.redact import Redactor
from channels.sms.format import Choice, choice_payload, render
from channels.sms.keywords import Keyword, classify, is_confirmation, is_refusal, normalize, sms_text
from channels.sms.twilio_webhook import InboundSms

log = logging.getLogger(__name__)
_TWILIO_OPT_OUT_TYPES = {"STOP": Keyword.OPT_OUT, "START": Keyword.OPT_IN, "HELP": Keyword.HELP}


@dataclass(frozen=True, slots=True)
class SmsTurn:
    """What the conversation core gets for one SMS."""

    lookup_key: str  # HMAC of the number: find (or start) the conversation with it, never show it
    text: str  # redacted: the only form that may be stored, logged or sent to the engine
    raw_text: str = field(repr=False)  # in memory only, for the crisis screen
    channel: str = "sms"
    language: str = "en"  # the conversation's, for this message (the handler already decided and stored it)


class SmsState(Protocol):
    async def first_delivery(self, message_sid: str) -> bool:
        """Record the MessageSid; False when it was seen before."""
        ...

    async def opted_out(self, key: str) -> bool: ...

    async def set_opted_out(self, key: str, value: bool) -> None: ...

    async def choices(self, key: str) -> list[Choice]: ...

    async def set_choices(self, key: str, choices: Sequence[Choice]) -> None: ...

    async def delete_pending(self, key: str) -> bool: ...

    async def set_delete_pending(self, key: str, value: bool) -> None: ...


class InMemorySmsState:
    """For tests and a laptop. MessageSids are kept for the last `max_sids` deliveries (Twilio retries
    within minutes, so a bounded window is enough)."""

    def __init__(self, max_sids: int = 100_000) -> None:
        self._sids: OrderedDict[str, None] = OrderedDict()
        self._max_sids = max_sids
        self._opted_out: set[str] = set()
        self._choices: dict[str, list[Choice]] = {}
        self._delete_pending: set[str] = set()

    async def first_delivery(self, message_sid: str) -> bool:
        if message_sid in self._sids:
            return False
        self._sids[message_sid] = None
        while len(self._sids) > self._max_sids:
            self._sids.popitem(last=False)
        return True

    async def opted_out(self, key: str) -> bool:
        return key in self._opted_out

    async def set_opted_out(self, key: str, value: bool) -> None:
        (self._opted_out.add if value else self._opted_out.discard)(key)

    async def choices(self, key: str) -> list[Choice]:
        return list(self._choices.get(key, []))

    async def set_choices(self, key: str, choices: Sequence[Choice]) -> None:
        self._choices[key] = list(choices)

    async def delete_pending(self, key: str) -> bool:
        return key in self._delete_pending

    async def set_delete_pending(self, key: str, value: bool) -> None:
        (self._delete_pending.add if value else self._delete_pending.discard)(key)


Core = Callable[[SmsTurn], Awaitable[list[dict[str, Any]]]]
Eraser = Callable[[str], Awaitable[None]]
NumberKeeper = Callable[[str, str], Awaitable[None]]
# (lookup_key, body, remember) → the language to answer in; with `remember`, kept with the phone's
# conversation when it has one (not while opted out: then nothing of a message is stored).
LanguageOf = Callable[[str, str, bool], Awaitable[str]]


@dataclass
class SmsHandler:
    keys: PhoneKeys
    state: SmsState
    redactor: Redactor
    core: Core
    # Erase everything about the conversation of this lookup key, in every store (incl. the sealed number).
    erase: Eraser
    # Seal and store the number for later replies: (lookup_key, E.164 number).
    remember_number: NumberKeeper
    # Twilio's default opt-out handling answers STOP/START itself; with Advanced Opt-Out off and our own
    # texts wanted (they name a 24/7 line), set True.
    own_keyword_replies: bool = False
    # Without `language_of` (a laptop, unit tests) every reply is in `language`.
    language: str = "en"
    language_of: LanguageOf | None = None

    async def handle(self, sms: InboundSms) -> list[str]:
        if not await self.state.first_delivery(sms.message_sid):
            log.info("sms duplicate delivery ignored")
            return []
        try:
            key = self.keys.lookup_key(sms.from_number)
        except ValueError:
            log.warning("sms from a sender that is not a phone number ignored")
            return []
        opted_out = await self.state.opted_out(key)
        language = (self.language if self.language_of is None
                    else await self.language_of(key, sms.body, not opted_out))
        keyword = _TWILIO_OPT_OUT_TYPES.get(sms.opt_out_type or "") or classify(sms.body, opted_out=opted_out)
        if keyword is Keyword.OPT_OUT:
            await self.state.set_opted_out(key, True)
            await self.state.set_choices(key, [])
            log.info("sms opt-out")
            return [sms_text("opted_out", language)] if self.own_keyword_replies else []
        if keyword is Keyword.OPT_IN:
            await self.state.set_opted_out(key, False)
            return [sms_text("opted_in", language)] if self.own_keyword_replies else []
        if keyword is Keyword.HELP:
            # "AYUDA" is asking for the Spanish help, whatever the conversation was in so far.
            return [sms_text("help", "es" if normalize(sms.body) == "ayuda" else language)]
        if await self.state.opted_out(key):
            # Nothing is processed, stored or sent until START: Twilio would block any reply anyway.
            return []
        prefix: list[dict[str, Any]] = []
        if await self.state.delete_pending(key):
            await self.state.set_delete_pending(key, False)
            if keyword is Keyword.DELETE or is_confirmation(sms.body):
                await self.erase(key)
                await self.state.set_choices(key, [])
                log.info("sms conversation erased on request")
                return [sms_text("erased", language)]
            # "Anything else keeps it" — and anything else is also a message, so it is answered as one.
            if is_refusal(sms.body):
                return [sms_text("delete_kept", language)]
            prefix.append({"text": sms_text("delete_kept", language)})
        elif keyword is Keyword.DELETE:
            await self.state.set_delete_pending(key, True)
            return [sms_text("delete_confirm", language)]
        await self.remember_number(key, sms.from_number)
        if sms.num_media:
            prefix.append({"text": sms_text("media_not_read", language)})
            if not sms.body.strip():
                return render(prefix, language=language).bodies
        payload = choice_payload(sms.body, await self.state.choices(key))
        if payload is not None:
            turn = SmsTurn(lookup_key=key, text=payload, raw_text=payload, language=language)
        else:
            turn = SmsTurn(lookup_key=key, text=self.redactor.redact(sms.body), raw_text=sms.body, language=language)
        messages = await self.core(turn)
        reply = render([*prefix, *messages], language=language)
        await self.state.set_choices(key, reply.choices)
        return reply.bodies
