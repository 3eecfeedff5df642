"""The SMS channel on the gateway: POST /sms/twilio, its state, and texts that start on our side.

Mounted only when Twilio is configured (TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN, TWILIO_FROM,
PUBLIC_BASE_URL; then PSEUDONYM_SECRET and SEALING_KEY are required too). Setting some of the Twilio
variables but not all is a configuration error, not a quiet "SMS off".

The route is outside the bearer-token API: the Twilio signature is its authentication. An address that
keeps sending badly signed requests is refused before any signature work.
"""

from __future__ import annotations

import logging
import os
from collections.abc import AsyncIterator, Mapping
from typing import Any

from aiohttp import web

from bot.conversation import conversation_language
from bot.gateway.keys import CORE, ERASURE, GATE, HANDOFFS, HTTP, LIMITS, STORE
from bot.gateway.limits import RateLimiter
from bot.privacy.pseudonym import PhoneKeys
from bot.privacy.redact import default_redactor
from bot.privacy.sealed import Sealer
from bot.replies import gateway_text
from channels.sms.config import WEBHOOK_PATH, SmsConfigError, TwilioSettings
from channels.sms.handler import SmsHandler, SmsTurn
from channels.sms.outbox import SmsOutboxWorker
from channels.sms.route import sms_route
from channels.sms.store import SmsConversations, SqlSmsState
from channels.sms.twilio_rest import TwilioRestClient
from channels.sms.twilio_webhook import InboundSms

log = logging.getLogger(__name__)
TWILIO_VARIABLES = ("TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "TWILIO_FROM", "PUBLIC_BASE_URL")


class SmsWiring:
    def __init__(self, twilio: TwilioSettings, keys: PhoneKeys, sealer: Sealer, own_keyword_replies: bool,
                 bad_burst: int = 20, bad_per_min: int = 10) -> None:
        self.twilio, self.keys, self.sealer = twilio, keys, sealer
        self.own_keyword_replies = own_keyword_replies
        self.handler: SmsHandler | None = None
        self.conversations: SmsConversations | None = None
        self.outbox: SmsOutboxWorker | None = None
        # Failed signatures per address (RATE_BAD_SIGNATURE_BURST / _PER_MIN): 20 at once, then 10 a minute.
        self.bad_requests = RateLimiter(bad_burst, bad_per_min)

    async def handle(self, sms: InboundSms) -> list[str]:
        assert self.handler is not None
        return await self.handler.handle(sms)


SMS = web.AppKey("sms", SmsWiring)


def configure(environ: Mapping[str, str] | None = None) -> SmsWiring | None:
    env = os.environ if environ is None else environ
    if not any(env.get(name, "").strip() for name in TWILIO_VARIABLES):
        log.info("sms channel off (no TWILIO_* settings)")
        return None
    twilio = TwilioSettings.from_env(env)  # raises SmsConfigError naming what is missing
    keys = PhoneKeys.from_env(dict(env))
    sealer = Sealer.from_env(dict(env))
    own = env.get("SMS_OWN_KEYWORD_REPLIES", "").lower() in ("1", "true", "yes")
    return SmsWiring(twilio, keys, sealer, own, bad_burst=_positive(env, "RATE_BAD_SIGNATURE_BURST", 20),
                     bad_per_min=_positive(env, "RATE_BAD_SIGNATURE_PER_MIN", 10))


def _positive(env: Mapping[str, str], name: str, default: int) -> int:
    value = env.get(name, "").strip()
    return max(1, int(value)) if value.isdigit() else default


def setup(app: web.Application, environ: Mapping[str, str] | None = None) -> bool:
    wiring = configure(environ)
    if wiring is None:
        return False
    app[SMS] = wiring
    app.cleanup_ctx.append(_resources)
    inner = sms_route(wiring.twilio, wiring)  # type: ignore[arg-type]

    async def sms_twilio(request: web.Request) -> web.Response:
        address = f"ip:{request.remote}"
        if wiring.bad_requests.exhausted(address):
            return web.Response(status=429, text="too many bad requests")
        response = await inner(request)
        if response.status == 403:  # a bad or missing signature (Twilio's own requests are all signed)
            wiring.bad_requests.allow(address)
        return response

    app.router.add_post(WEBHOOK_PATH, sms_twilio)
    return True


async def _resources(app: web.Application) -> AsyncIterator[None]:
    wiring, store = app[SMS], app[STORE]
    conversations = SmsConversations(store, wiring.sealer)
    wiring.conversations = conversations

    async def language_of(key: str, body: str, remember: bool) -> str:
        # The same rule as the web API (one function): the phone's conversation keeps its language.
        conversation_id = await conversations.conversation_of_key(key)
        conversation = await store.conversation(conversation_id) if conversation_id else None
        return await conversation_language(store, conversation, body, remember=remember)

    async def core(turn: SmsTurn) -> list[dict[str, Any]]:
        if not app[LIMITS].senders.allow(f"sms:{turn.lookup_key}"):
            log.info("sms sender rate limited")
            return [{"text": gateway_text("rate_limited", turn.language)}]
        conversation_id = await conversations.conversation_for(turn.lookup_key)
        conversation = await store.conversation(conversation_id)
        if conversation is not None and conversation.language != turn.language:
            # Just started by this message (language_of had no conversation to store it in).
            await store.set_language(conversation_id, turn.language)
        return await app[CORE].handle(conversation_id, turn.raw_text, "sms", turn.language, redacted=turn.text)

    async def erase(key: str) -> None:
        conversation_id = await conversations.conversation_of_key(key)
        if conversation_id is not None:
            handoff = await app[HANDOFFS].for_conversation(conversation_id)
            await app[ERASURE].erase_conversation(conversation_id)
            if handoff is not None:
                await app[GATE].hub.to_desks({"type": "handoff", "handoff_id": handoff.id, "state": "erased",
                                              "version": handoff.version + 1},
                                             advocate_id=handoff.advocate_id, state="queued")
                app[GATE].queue_changed()
        await conversations.forget_key(key)

    wiring.handler = SmsHandler(keys=wiring.keys, state=SqlSmsState(store), redactor=default_redactor(),
                                core=core, erase=erase, remember_number=conversations.remember_number,
                                own_keyword_replies=wiring.own_keyword_replies, language_of=language_of)
    client = TwilioRestClient(app[HTTP], wiring.twilio)
    worker = SmsOutboxWorker(store, wiring.sealer, client)
    wiring.outbox = worker
    app[GATE].outbound.append(worker.deliver)
    worker.start()
    yield
    await worker.stop()


__all__ = ["SMS", "SmsConfigError", "SmsWiring", "configure", "setup"]
