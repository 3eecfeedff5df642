"""Several gateways, one outbox: each gateway runs an SMS outbox worker on the shared PostgreSQL database, and
every queued text is sent once (each worker claims rows before sending), not once per gateway."""

from __future__ import annotations

import asyncio
import datetime as dt
import os

import aiohttp

from bot.migrate import upgrade
from bot.privacy.sealed import Sealer
from bot.store import Conversation, ConversationStore
from channels.sms.config import TwilioSettings
from channels.sms.outbox import SmsOutboxWorker
from channels.sms.store import SmsOutbox, SmsSender
from channels.sms.twilio_rest import RetryPolicy, TwilioRestClient
from tests.fakes.fake_twilio import ACCOUNT_SID, AUTH_TOKEN, running_fake_twilio
from tests.services import fresh_database

ROWS = 30


async def test_two_gateways_workers_send_each_queued_text_once() -> None:
    sealer = Sealer((os.urandom(32),))
    now = dt.datetime.now(dt.UTC)
    with fresh_database("navoutbox") as url:
        upgrade(url)
        stores = [ConversationStore.from_url(url.replace("postgresql://", "postgresql+asyncpg://"))
                  for _ in range(2)]
        try:
            async with stores[0].sessions.begin() as session:
                for n in range(ROWS):
                    key = f"lookup-{n}"
                    session.add(Conversation(id=f"c{n}", token_hash="x", channel="sms"))
                    session.add(SmsSender(lookup_key=key, conversation_id=f"c{n}",
                                          sealed_number=sealer.seal(f"+1916555{n:04d}", context=key)))
            async with stores[0].sessions.begin() as session:  # conversations first: the outbox refers to them
                session.add_all([SmsOutbox(conversation_id=f"c{n}", payload={"text": f"reply {n}"},
                                           idempotency_key=f"key{n}", next_attempt_at=now, created_at=now)
                                 for n in range(ROWS)])
            async with running_fake_twilio() as fake, aiohttp.ClientSession() as http:
                config = TwilioSettings(account_sid=ACCOUNT_SID, auth_token=AUTH_TOKEN, sender="+14155550100",
                                        public_base_url="https://navigator.example.org", api_base=fake.base_url)
                workers = [SmsOutboxWorker(store, sealer, TwilioRestClient(http, config, RetryPolicy()))
                           for store in stores]
                finished = await asyncio.gather(*(worker.drain() for worker in workers))
                assert sum(finished) == ROWS
                sent = [request.idempotency_token for request in fake.requests]
                assert sorted(sent) == sorted(f"key{n}:0" for n in range(ROWS)), "each text sent exactly once"
                assert sum(await asyncio.gather(*(worker.drain() for worker in workers))) == 0
        finally:
            for store in stores:
                await store.close()
