"""The SMS building blocks together over HTTP, with requests signed by the twilio package: the route, the
handler's order (dedupe → keywords → choices → redaction → core), and what reaches the core and the logs."""

from __future__ import annotations

import logging
import xml.etree.ElementTree as ET
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from bot.privacy.pseudonym import PhoneKeys
from bot.privacy.redact import default_redactor
from bot.privacy.sealed import Sealer, generate_key
from bot.replies import PERSON_BUTTON
from channels.sms.config import WEBHOOK_PATH, TwilioSettings
from channels.sms.handler import InMemorySmsState, SmsHandler, SmsTurn
from channels.sms.route import sms_route
from tests.fakes.fake_twilio import ACCOUNT_SID, AUTH_TOKEN, encode_form, inbound_params, sign_webhook

PUBLIC = "https://navigator.example.org"
PHONE = "+19165550123"


@dataclass
class Harness:
    base_url: str
    session: aiohttp.ClientSession
    turns: list[SmsTurn] = field(default_factory=list)
    erased: list[str] = field(default_factory=list)
    sealed: dict[str, str] = field(default_factory=dict)

    async def text(self, body: str, from_number: str = PHONE, **extra: Any) -> tuple[int, list[str]]:
        params = inbound_params(body, from_number=from_number, **extra)
        return await self.post(params, sign_webhook(PUBLIC + WEBHOOK_PATH, params))

    async def post(self, params: dict[str, str], headers: dict[str, str]) -> tuple[int, list[str]]:
        async with self.session.post(self.base_url + WEBHOOK_PATH, data=encode_form(params), headers=headers) as resp:
            text = await resp.text()
            if resp.status != 200:
                return resp.status, []
            assert resp.content_type == "text/xml"
            return 200, [m.text or "" for m in ET.fromstring(text.encode())]


@pytest.fixture
async def harness() -> AsyncIterator[Harness]:
    settings = TwilioSettings(account_sid=ACCOUNT_SID, auth_token=AUTH_TOKEN, sender="+14155550100",
                              public_base_url=PUBLIC)
    sealer = Sealer.from_env({"SEALING_KEY": generate_key()})
    h: Harness

    async def core(turn: SmsTurn) -> list[dict[str, Any]]:
        h.turns.append(turn)
        return [{"text": f"you said: {turn.text}",
                 "buttons": [{"title": "Find a bed", "payload": "/bed"}, PERSON_BUTTON]}]

    async def erase(key: str) -> None:
        h.erased.append(key)
        h.sealed.pop(key, None)

    async def remember(key: str, number: str) -> None:
        h.sealed[key] = sealer.seal(number, context=key)

    handler = SmsHandler(keys=PhoneKeys(b"k" * 32), state=InMemorySmsState(), redactor=default_redactor(),
                         core=core, erase=erase, remember_number=remember, own_keyword_replies=True)
    app = web.Application()
    app.router.add_post(WEBHOOK_PATH, sms_route(settings, handler))
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    async with aiohttp.ClientSession() as session:
        h = Harness(f"http://127.0.0.1:{port}", session)
        yield h
    await runner.cleanup()


async def test_message_is_redacted_before_the_core_and_choices_map_back(harness: Harness) -> None:
    status, bodies = await harness.text("my name is Maria, call me at 916-555-0199, i need a bed in 95823")
    assert status == 200 and len(bodies) == 1
    turn = harness.turns[0]
    assert turn.text == "my name is [name], call me at [phone], i need a bed in 95823"
    assert "916-555-0199" in turn.raw_text and "916-555-0199" not in repr(turn)
    assert turn.lookup_key != PHONE and "9165550123" not in turn.lookup_key
    assert bodies[0].endswith("1) Find a bed\n2) Talk to a person\nReply 1 or 2.")
    await harness.text("2")
    assert harness.turns[-1].text == "/talk_to_person"


async def test_bad_signature_is_403_and_nothing_is_processed(harness: Harness) -> None:
    params = inbound_params("hello")
    headers = sign_webhook(PUBLIC + WEBHOOK_PATH, params, auth_token="not-our-token")
    assert (await harness.post(params, headers))[0] == 403
    headers = sign_webhook(PUBLIC + WEBHOOK_PATH, params)
    del headers["X-Twilio-Signature"]
    assert (await harness.post(params, headers))[0] == 403
    assert harness.turns == [] and harness.sealed == {}
    # The MessageSid was not recorded either: the genuine delivery of it is processed.
    assert (await harness.post(params, sign_webhook(PUBLIC + WEBHOOK_PATH, params)))[0] == 200
    assert len(harness.turns) == 1


async def test_duplicate_message_sid_is_processed_once(harness: Harness) -> None:
    params = inbound_params("i need food")
    headers = sign_webhook(PUBLIC + WEBHOOK_PATH, params)
    first = await harness.post(params, headers)
    second = await harness.post(params, headers)
    assert first[0] == second[0] == 200 and first[1] and second[1] == []
    assert len(harness.turns) == 1


async def test_stop_then_message_then_start(harness: Harness) -> None:
    assert (await harness.text("STOP"))[1][0].startswith("You won't get more texts")
    assert await harness.text("are you there?") == (200, [])
    assert await harness.text("yes") != (200, [])  # YES while opted out opts back in
    assert harness.turns == []
    assert await harness.text("STOP") != (200, [])
    status, bodies = await harness.text("Start")
    assert status == 200
    assert bodies[0].startswith("You're back")
    await harness.text("i need a bed")
    assert [t.text for t in harness.turns] == ["i need a bed"]


async def test_sentence_with_stop_is_conversation(harness: Harness) -> None:
    await harness.text("stop hurting me")
    assert [t.raw_text for t in harness.turns] == ["stop hurting me"]


async def test_help(harness: Harness) -> None:
    bodies = (await harness.text("HELP"))[1]
    assert "National Runaway Safeline" in bodies[0] and harness.turns == []


async def test_delete_with_confirmation(harness: Harness) -> None:
    await harness.text("i need a bed")
    assert harness.sealed
    assert (await harness.text("delete my messages"))[1][0].startswith("Erase this whole conversation?")
    assert (await harness.text("YES"))[1][0].startswith("Done. We erased")
    assert len(harness.erased) == 1 and harness.sealed == {}


async def test_delete_not_confirmed_keeps_and_answers(harness: Harness) -> None:
    await harness.text("pls delete everything")
    bodies = (await harness.text("actually i need food"))[1]
    assert bodies[0].startswith("OK, nothing was erased.") and "you said: actually i need food" in bodies[0]
    assert harness.erased == []


async def test_picture_only(harness: Harness) -> None:
    params = inbound_params("", NumMedia="1", MessageSid="MM" + "c" * 32)
    bodies = (await harness.post(params, sign_webhook(PUBLIC + WEBHOOK_PATH, params)))[1]
    assert bodies[0].startswith("I can't see pictures") and harness.turns == []


async def test_number_only_sealed_and_never_logged(harness: Harness, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    for body in ("hi", "STOP", "START", "delete my messages", "no", "call me at 916-555-0199"):
        await harness.text(body)
    assert "9165550123" not in caplog.text and "555-0199" not in caplog.text and "0123" not in caplog.text
    (sealed,) = harness.sealed.values()
    assert "9165550123" not in sealed
