"""Erasure and retention: everything about a conversation, from every store we control.

Stores, and what goes from each:
- the gateway database: the conversation, its messages (with crisis verdicts), its handoff and the
  advocates' notes on it, and, for SMS, the `sms_senders` row (sealed number, lookup key) and queued
  outbound texts. The desk's audit log stays (who viewed or wrote when, by handoff number): it holds no
  message text, and is what lets a supervisor check how a conversation was handled;
- Rasa's tracker store (`tracker_store` in endpoints.yml: SQLite in the data directory, or the PostgreSQL
  database of DATABASE_URL): every event whose sender id is the conversation id.

On SQLite both files are written with `secure_delete` on, so deleted rows are overwritten with zeros rather
than left in free pages, and the gateway's write-ahead log is checkpointed and truncated after an erasure.

Retention (`RETENTION_DAYS`, default 30): conversations idle longer than that are erased whole; in longer
conversations, messages and notes older than that are deleted, as are Rasa events older than that, and
Rasa events of any sender id that is no conversation of ours (an erasure that raced an engine write).
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import bindparam, create_engine, delete, event, inspect, select, text
from sqlalchemy.pool import NullPool

from bot.desk.models import LoginFailure
from bot.handoff.models import Handoff, Note
from bot.store import Conversation, ConversationStore, Message
from channels.sms.store import SmsOutbox, SmsSeen, SmsSender

log = logging.getLogger(__name__)
SEEN_SIDS_KEPT = dt.timedelta(days=1)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def enable_secure_delete(store: ConversationStore) -> None:
    """Every new SQLite connection overwrites deleted content with zeros."""
    if store.engine.dialect.name != "sqlite":
        return

    @event.listens_for(store.engine.sync_engine, "connect")
    def _secure_delete(dbapi_connection: Any, _: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA secure_delete = ON")
        cursor.close()


class RasaTrackerStore:
    """Rasa's SQL tracker store (table `events`, one row per event, `sender_id` = conversation id): the SQLite
    file in the data directory, or DATABASE_URL's PostgreSQL database (bot/endpoints.py). Blocking
    SQLAlchemy in a thread: Rasa owns the table, we only count and delete its rows."""

    def __init__(self, url: str) -> None:
        from resources.db import sync_url

        self.url = sync_url(url)
        self._sqlite = self.url.startswith("sqlite")
        # SQLite: a connection per call (the file may not exist yet, and Rasa writes it from its own process).
        self._engine = create_engine(self.url, poolclass=NullPool if self._sqlite else None,
                                     **({"connect_args": {"timeout": 30}} if self._sqlite else
                                        {"pool_pre_ping": True, "pool_size": 2, "max_overflow": 2}))
        if self._sqlite:
            event.listen(self._engine, "connect", _secure_delete_pragma)

    def _ready(self) -> bool:
        if self._sqlite:
            database = self._engine.url.database or ""
            if not Path(database).exists():
                return False  # never create the file: Rasa has not written a tracker yet
        return inspect(self._engine).has_table("events")

    def _run(self, sql: str, params: dict[str, Any] | None = None) -> int:
        if not self._ready():
            return 0
        with self._engine.begin() as connection:
            return int(connection.execute(text(sql), params or {}).rowcount or 0)

    def _rows(self, sql: str, params: dict[str, Any] | None = None) -> list[Any]:
        if not self._ready():
            return []
        with self._engine.connect() as connection:
            return list(connection.execute(text(sql), params or {}))

    def _delete_senders(self, ids: list[str]) -> int:
        total = 0
        for start in range(0, len(ids), 500):
            chunk = ids[start:start + 500]
            statement = text("DELETE FROM events WHERE sender_id IN :ids").bindparams(bindparam("ids", expanding=True))
            if not self._ready():
                return total
            with self._engine.begin() as connection:
                total += int(connection.execute(statement, {"ids": chunk}).rowcount or 0)
        return total

    async def delete_senders(self, sender_ids: Iterable[str]) -> int:
        ids = list(sender_ids)
        return await asyncio.to_thread(self._delete_senders, ids) if ids else 0

    async def delete_before(self, cutoff: dt.datetime) -> int:
        return await asyncio.to_thread(self._run, "DELETE FROM events WHERE timestamp < :cutoff",
                                       {"cutoff": cutoff.timestamp()})

    async def sender_ids(self) -> list[str]:
        rows = await asyncio.to_thread(self._rows, "SELECT DISTINCT sender_id FROM events")
        return [row[0] for row in rows]

    async def count(self, sender_id: str) -> int:
        rows = await asyncio.to_thread(self._rows, "SELECT COUNT(*) FROM events WHERE sender_id = :sender",
                                       {"sender": sender_id})
        return int(rows[0][0]) if rows else 0

    def close(self) -> None:
        self._engine.dispose()


def _secure_delete_pragma(dbapi_connection: Any, _: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA secure_delete = ON")
    cursor.close()


@dataclass
class ErasureReport:
    messages: int = 0
    handoffs: int = 0
    notes: int = 0
    phone_numbers: int = 0
    outbound_texts: int = 0
    engine_events: int = 0
    conversations: int = 0

    def add(self, other: ErasureReport) -> None:
        for name, value in asdict(other).items():
            setattr(self, name, getattr(self, name) + value)

    def to_dict(self) -> dict[str, int]:
        return asdict(self)


@dataclass
class PurgeReport(ErasureReport):
    old_messages: int = 0
    old_notes: int = 0
    seen_message_sids: int = 0
    opt_out_records: int = 0
    old_engine_events: int = 0
    orphan_engine_events: int = 0


@dataclass
class Erasure:
    store: ConversationStore
    tracker: RasaTrackerStore | None = None
    _lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    async def erase_conversation(self, conversation_id: str) -> ErasureReport:
        report = await self._erase_rows([conversation_id])
        if self.tracker is not None:
            report.engine_events = await self.tracker.delete_senders([conversation_id])
        await self._truncate_wal()
        log.info("conversation erased", extra={"event": "erasure", "counts": report.to_dict()})
        return report

    async def _erase_rows(self, ids: list[str]) -> ErasureReport:
        report = ErasureReport()
        if not ids:
            return report
        async with self.store.sessions.begin() as session:
            handoff_ids = list(await session.scalars(select(Handoff.id).where(Handoff.conversation_id.in_(ids))))
            if handoff_ids:
                report.notes = _count(await session.execute(delete(Note).where(Note.handoff_id.in_(handoff_ids))))
            report.handoffs = _count(await session.execute(delete(Handoff).where(Handoff.conversation_id.in_(ids))))
            report.messages = _count(await session.execute(delete(Message).where(Message.conversation_id.in_(ids))))
            report.outbound_texts = _count(await session.execute(
                delete(SmsOutbox).where(SmsOutbox.conversation_id.in_(ids))))
            report.phone_numbers = _count(await session.execute(
                delete(SmsSender).where(SmsSender.conversation_id.in_(ids))))
            report.conversations = _count(await session.execute(delete(Conversation).where(Conversation.id.in_(ids))))
        return report

    async def purge(self, retention_days: int, now: dt.datetime | None = None) -> PurgeReport:
        """Everything older than the window, from every store."""
        async with self._lock:
            now = now or _now()
            cutoff = now - dt.timedelta(days=retention_days)
            report = PurgeReport()
            async with self.store.sessions() as session:
                expired = list(await session.scalars(select(Conversation.id)
                                                     .where(Conversation.last_activity_at < cutoff)))
            for start in range(0, len(expired), 200):
                report.add(await self._erase_rows(expired[start:start + 200]))
            async with self.store.sessions.begin() as session:
                report.old_messages = _count(await session.execute(delete(Message).where(Message.created_at < cutoff)))
                report.old_notes = _count(await session.execute(delete(Note).where(Note.created_at < cutoff)))
                report.outbound_texts += _count(await session.execute(
                    delete(SmsOutbox).where(SmsOutbox.created_at < cutoff)))
                report.seen_message_sids = _count(await session.execute(
                    delete(SmsSeen).where(SmsSeen.seen_at < now - SEEN_SIDS_KEPT)))
                # The desk's login rate limit only needs its last 15 minutes of wrong passwords.
                await session.execute(delete(LoginFailure).where(LoginFailure.at < now - SEEN_SIDS_KEPT))
                # Opt-outs (and an unanswered "delete my messages") with no conversation: Twilio keeps its own
                # opt-out list and blocks texts to those numbers, so ours goes with the window too.
                report.opt_out_records = _count(await session.execute(
                    delete(SmsSender).where(SmsSender.updated_at < cutoff)))
            if self.tracker is not None:
                report.engine_events = await self.tracker.delete_senders(expired)
                report.old_engine_events = await self.tracker.delete_before(cutoff)
                async with self.store.sessions() as session:
                    known = set(await session.scalars(select(Conversation.id)))
                orphans = [s for s in await self.tracker.sender_ids() if s not in known]
                report.orphan_engine_events = await self.tracker.delete_senders(orphans)
            await self._truncate_wal()
            log.info("retention purge done", extra={"event": "purge", "retention_days": retention_days,
                                                     "counts": report.to_dict()})
            return report

    async def _truncate_wal(self) -> None:
        """Copy the log into the database (where secure_delete zeroed the rows) and empty it. A reader that
        still holds an older snapshot makes the checkpoint stop short (busy): the erased rows' old pages would
        stay in the log, so it is tried again, briefly, until it completes."""
        if self.store.engine.dialect.name != "sqlite":
            return
        for attempt in range(20):
            with contextlib.suppress(Exception):
                async with self.store.sessions.writing(), self.store.engine.connect() as connection:
                    result = await connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
                    busy = result.first()
                    if busy is not None and busy[0] == 0:
                        return
            await asyncio.sleep(0.05 * (attempt + 1))
        log.warning("write-ahead log not truncated after an erasure: a reader held it", extra={"event": "wal_busy"})


def _count(result: Any) -> int:
    return int(getattr(result, "rowcount", 0) or 0)
