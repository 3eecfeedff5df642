"""The SMS channel's state in the gateway database, and the link from a phone to its conversation.

    sms_senders(lookup_key PK, conversation_id, sealed_number, opted_out, opted_out_at, choices_json,
                delete_pending, updated_at)
    sms_seen(message_sid PK, seen_at)            — purged after a day (Twilio redelivers within minutes)
    sms_outbox(id, conversation_id, payload, idempotency_key, parts_sent, attempts, next_attempt_at, created_at)

`lookup_key` is the HMAC of the number (bot.privacy.pseudonym): it *finds* the conversation; the
conversation id itself is random, so erasing the conversation (which deletes this row, sealed number
included) leaves nothing that links a later text from the same phone to the erased one. The number is only
kept sealed (bot.privacy.sealed), bound to its lookup key, to answer later (advocate) messages.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import JSON, Boolean, DateTime, Integer, String, Text, delete, select, update
from sqlalchemy.orm import Mapped, mapped_column

from bot.privacy.sealed import Sealer
from bot.store import ConversationStore, GatewayBase
from channels.sms.format import Choice


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class SmsSender(GatewayBase):
    __tablename__ = "sms_senders"

    lookup_key: Mapped[str] = mapped_column(String(64), primary_key=True)
    conversation_id: Mapped[str | None] = mapped_column(String(64), index=True)
    sealed_number: Mapped[str | None] = mapped_column(Text)
    opted_out: Mapped[bool] = mapped_column(Boolean, default=False)
    opted_out_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    choices_json: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON(none_as_null=True))
    delete_pending: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=_now, index=True)


class SmsSeen(GatewayBase):
    __tablename__ = "sms_seen"

    message_sid: Mapped[str] = mapped_column(String(40), primary_key=True)
    seen_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=_now, index=True)


class SmsOutbox(GatewayBase):
    """A message that starts on our side (an advocate's, a desk notice) waiting to be texted. The row is
    deleted once every part is sent: nothing is kept here longer than delivery takes."""

    __tablename__ = "sms_outbox"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    conversation_id: Mapped[str] = mapped_column(String(64), index=True)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    # Random, never reused (row ids can be after a delete): Twilio answers a repeated key with the old message.
    idempotency_key: Mapped[str] = mapped_column(String(64))
    parts_sent: Mapped[int] = mapped_column(Integer, default=0)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=_now, index=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=_now)


def _insert(store: ConversationStore) -> Any:
    if store.engine.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert


@dataclass
class SqlSmsState:
    """channels.sms.handler.SmsState on the gateway database."""

    store: ConversationStore

    async def first_delivery(self, message_sid: str) -> bool:
        # One atomic insert: two concurrent deliveries of one MessageSid cannot both pass.
        statement = _insert(self.store)(SmsSeen).values(message_sid=message_sid, seen_at=_now())
        async with self.store.sessions.begin() as session:
            result = await session.execute(statement.on_conflict_do_nothing(index_elements=["message_sid"]))
        return result.rowcount == 1  # type: ignore[attr-defined]

    async def _row(self, key: str) -> SmsSender | None:
        async with self.store.sessions() as session:
            return await session.get(SmsSender, key)

    async def _upsert(self, key: str, **values: Any) -> None:
        values["updated_at"] = _now()
        statement = _insert(self.store)(SmsSender).values(lookup_key=key, **values)
        async with self.store.sessions.begin() as session:
            await session.execute(statement.on_conflict_do_update(index_elements=["lookup_key"], set_=values))

    async def _update(self, key: str, **values: Any) -> None:
        async with self.store.sessions.begin() as session:
            await session.execute(update(SmsSender).where(SmsSender.lookup_key == key)
                                  .values(updated_at=_now(), **values))

    async def opted_out(self, key: str) -> bool:
        row = await self._row(key)
        return bool(row and row.opted_out)

    async def set_opted_out(self, key: str, value: bool) -> None:
        if value:
            await self._upsert(key, opted_out=True, opted_out_at=_now())
        else:
            await self._update(key, opted_out=False, opted_out_at=None)

    async def choices(self, key: str) -> list[Choice]:
        row = await self._row(key)
        return [Choice(int(c["number"]), str(c["title"]), str(c["payload"])) for c in (row.choices_json or [])
                ] if row else []

    async def set_choices(self, key: str, choices: Sequence[Choice]) -> None:
        # Update only: after an erasure there is no row, and none may come back from this.
        await self._update(key, choices_json=[{"number": c.number, "title": c.title, "payload": c.payload}
                                              for c in choices] or None)

    async def delete_pending(self, key: str) -> bool:
        row = await self._row(key)
        return bool(row and row.delete_pending)

    async def set_delete_pending(self, key: str, value: bool) -> None:
        if value:
            await self._upsert(key, delete_pending=True)
        else:
            await self._update(key, delete_pending=False)


@dataclass
class SmsConversations:
    """Phone (by lookup key) → conversation, and the sealed number for later replies."""

    store: ConversationStore
    sealer: Sealer
    _locks: dict[str, asyncio.Lock] = field(default_factory=dict)

    async def remember_number(self, key: str, number: str) -> None:
        async with self.store.sessions() as session:
            row = await session.get(SmsSender, key)
        if row is not None and row.sealed_number:
            return
        sealed = self.sealer.seal(number, context=key)
        statement = _insert(self.store)(SmsSender).values(lookup_key=key, sealed_number=sealed, updated_at=_now())
        async with self.store.sessions.begin() as session:
            await session.execute(statement.on_conflict_do_update(
                index_elements=["lookup_key"], set_={"sealed_number": sealed, "updated_at": _now()}))

    async def conversation_for(self, key: str) -> str:
        """The conversation of this phone, started (with a random id) on its first message."""
        lock = self._locks.setdefault(key, asyncio.Lock())
        try:
            async with lock:
                async with self.store.sessions() as session:
                    row = await session.get(SmsSender, key)
                if (row is not None and row.conversation_id
                        and await self.store.conversation(row.conversation_id) is not None):
                    return row.conversation_id
                created = await self.store.create(channel="sms")
                statement = _insert(self.store)(SmsSender).values(
                    lookup_key=key, conversation_id=created.id, updated_at=_now())
                async with self.store.sessions.begin() as session:
                    await session.execute(statement.on_conflict_do_update(
                        index_elements=["lookup_key"], set_={"conversation_id": created.id, "updated_at": _now()}))
                return created.id
        finally:
            if not lock.locked():
                self._locks.pop(key, None)

    async def conversation_of_key(self, key: str) -> str | None:
        async with self.store.sessions() as session:
            row = await session.get(SmsSender, key)
        return row.conversation_id if row else None

    async def sender_of(self, conversation_id: str) -> SmsSender | None:
        async with self.store.sessions() as session:
            return await session.scalar(select(SmsSender).where(SmsSender.conversation_id == conversation_id))

    async def touch(self, conversation_id: str) -> None:
        async with self.store.sessions.begin() as session:
            await session.execute(update(SmsSender).where(SmsSender.conversation_id == conversation_id)
                                  .values(updated_at=_now()))

    async def forget_key(self, key: str) -> int:
        async with self.store.sessions.begin() as session:
            result = await session.execute(delete(SmsSender).where(SmsSender.lookup_key == key))
        return int(result.rowcount or 0)  # type: ignore[attr-defined]
