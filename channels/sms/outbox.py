"""Texts that start on our side (advocate replies, desk notices): queued in `sms_outbox`, sent by a worker.

The desk stores the message and pushes it to the youth's stream as for the web chat; for an SMS
conversation the handoff gate also calls `SmsOutbox.enqueue`. The worker opens the sealed number in memory,
renders the message for SMS and sends each part with `TwilioRestClient.send(…, idempotency_key=key:part)`
(which itself retries 429/5xx with backoff). When its attempts run out the row stays queued with a later
`next_attempt_at` (exponential, up to 10 minutes); other errors drop it, and 21610 (the youth texted STOP)
records the opt-out. A sent row is deleted. The number and the body are never logged.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import delete, select, update

from bot.privacy.sealed import SealedDataError, Sealer
from bot.store import ConversationStore, Message
from channels.sms.format import render
from channels.sms.store import SmsOutbox, SmsSender
from channels.sms.twilio_rest import TwilioRestClient, TwilioSendError

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 12
MAX_DELAY_S = 600.0
CLAIM_LEASE_S = 120.0


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _as_utc(value: dt.datetime) -> dt.datetime:
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


@dataclass
class SmsOutboxWorker:
    store: ConversationStore
    sealer: Sealer
    client: TwilioRestClient
    clock: Callable[[], dt.datetime] = _now
    poll_s: float = 5.0
    _wake: asyncio.Event = field(default_factory=asyncio.Event)
    _task: asyncio.Task[None] | None = None

    async def deliver(self, conversation_id: str, message: Message) -> None:
        """The handoff gate's outbound hook: queue it when this conversation is an SMS one."""
        payload: dict[str, Any] = {"text": message.text}
        if (message.payload or {}).get("resources"):
            payload["resources"] = message.payload["resources"]  # type: ignore[index]
        async with self.store.sessions() as session:  # most conversations are web chats: a read decides
            found = (await session.execute(select(SmsSender.lookup_key, SmsSender.opted_out)
                                           .where(SmsSender.conversation_id == conversation_id))).first()
        if found is None or found.opted_out:
            return
        async with self.store.sessions.begin() as session:
            sender = await session.scalar(select(SmsSender).where(SmsSender.conversation_id == conversation_id))
            if sender is None or sender.opted_out:
                return
            session.add(SmsOutbox(conversation_id=conversation_id, payload=payload,
                                  idempotency_key=secrets.token_hex(16), next_attempt_at=self.clock(),
                                  created_at=self.clock()))
        self._wake.set()

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _run(self) -> None:
        while True:
            try:
                await self.drain()
            except Exception:  # never let the worker die: the rows stay queued for the next round
                log.exception("sms outbox round failed")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=self.poll_s)
            self._wake.clear()

    async def drain(self) -> int:
        """Send what is due; the number of rows finished (sent or dropped)."""
        now = self.clock()
        async with self.store.sessions.begin() as session:
            due_ids = list(await session.scalars(select(SmsOutbox.id).where(SmsOutbox.next_attempt_at <= now)
                                                 .order_by(SmsOutbox.id).limit(50)))
            if not due_ids:
                return 0
            # Claimed for a lease: with several gateways, each worker sends a row once. Another worker's claim
            # of the same rows re-checks the condition after ours commits (PostgreSQL) or waits its turn
            # (SQLite) and gets none; a worker that dies mid-send leaves the row to be retried after the lease.
            claimed = list(await session.scalars(
                update(SmsOutbox).where(SmsOutbox.id.in_(due_ids), SmsOutbox.next_attempt_at <= now)
                .values(next_attempt_at=now + dt.timedelta(seconds=CLAIM_LEASE_S)).returning(SmsOutbox.id)
                .execution_options(synchronize_session=False)))
            due = list(await session.scalars(select(SmsOutbox).where(SmsOutbox.id.in_(claimed))
                                             .order_by(SmsOutbox.id)))
        finished = 0
        for row in due:
            finished += await self._send(row)
        return finished

    async def _send(self, row: SmsOutbox) -> int:
        async with self.store.sessions() as session:
            sender = await session.scalar(select(SmsSender).where(SmsSender.conversation_id == row.conversation_id))
        if sender is None or sender.opted_out or not sender.sealed_number:
            await self._drop(row.id)  # erased, or opted out since: nothing may be sent
            return 1
        try:
            number = self.sealer.open(sender.sealed_number, context=sender.lookup_key)
        except SealedDataError:
            log.error("sms outbox: sealed number does not open (key rotated away?)", extra={"outbox_id": row.id})
            await self._drop(row.id)
            return 1
        conversation = await self.store.conversation(row.conversation_id)
        # An advocate's card or choices read "Llama al …", "Responde 1 o 2" in a Spanish conversation.
        parts = render([row.payload], language=conversation.language if conversation else "en").bodies
        for index in range(row.parts_sent, len(parts)):
            try:
                await self.client.send(number, parts[index], idempotency_key=f"{row.idempotency_key}:{index}")
            except TwilioSendError as exc:
                if exc.opted_out:
                    async with self.store.sessions.begin() as session:
                        await session.execute(update(SmsSender).where(SmsSender.lookup_key == sender.lookup_key)
                                              .values(opted_out=True, opted_out_at=self.clock()))
                    log.info("sms outbox: recipient opted out (21610)", extra={"outbox_id": row.id})
                    await self._drop(row.id)
                    return 1
                if exc.retryable and row.attempts + 1 < MAX_ATTEMPTS:
                    delay = min(MAX_DELAY_S, 5.0 * 2 ** row.attempts)
                    async with self.store.sessions.begin() as session:
                        await session.execute(update(SmsOutbox).where(SmsOutbox.id == row.id).values(
                            parts_sent=index, attempts=row.attempts + 1,
                            next_attempt_at=self.clock() + dt.timedelta(seconds=delay)))
                    log.warning("sms outbox: send failed, queued again", extra={
                        "outbox_id": row.id, "status": exc.status, "code": exc.code, "retry_in_s": delay})
                    return 0
                log.error("sms outbox: send failed, dropped", extra={
                    "outbox_id": row.id, "status": exc.status, "code": exc.code})
                await self._drop(row.id)
                return 1
            async with self.store.sessions.begin() as session:
                await session.execute(update(SmsOutbox).where(SmsOutbox.id == row.id).values(parts_sent=index + 1))
        await self._drop(row.id)
        log.info("sms outbox: sent", extra={"outbox_id": row.id, "parts": len(parts)})
        return 1

    async def _drop(self, outbox_id: int) -> None:
        async with self.store.sessions.begin() as session:
            await session.execute(delete(SmsOutbox).where(SmsOutbox.id == outbox_id))
