"""The gateway's own records: conversations (with a hashed bearer token) and their messages."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import hashlib
import hmac
import re
import secrets
from collections.abc import AsyncIterator, Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    case,
    event,
    func,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

if TYPE_CHECKING:
    from bot.insights.dimensions import Fact

RISK_LEVELS = ("none", "concern", "urgent", "imminent")
# What secrets.token_urlsafe makes (and the column holds): anything else is not a conversation of ours.
_CONVERSATION_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")
# SQLite: how long a write waits for another process's write (the CLI, a purge) before it fails.
SQLITE_BUSY_TIMEOUT_MS = 5000
SQLITE_POOL_SIZE = 15


class GatewayBase(DeclarativeBase):
    pass


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class Conversation(GatewayBase):
    __tablename__ = "conversation"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64))
    channel: Mapped[str] = mapped_column(String(20), default="web")
    language: Mapped[str] = mapped_column(String(8), default="en")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=_now)
    last_activity_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=_now, index=True)
    handoff_requested_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    # The most serious crisis level seen in this conversation (none < concern < urgent < imminent): the
    # advocate queue is ordered by it.
    risk_level: Mapped[str] = mapped_column(String(10), default="none", server_default="none")
    risk_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    # The youth asked to erase the conversation and was asked to confirm (the next message answers).
    delete_pending: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    # The need categories of the conversation's last directory search ("shelter,food"): codes from
    # resources.models.CATEGORIES only, never the youth's words. Shown in the advocate queue.
    need: Mapped[str | None] = mapped_column(String(120))


class Message(GatewayBase):
    __tablename__ = "message"
    __table_args__ = (Index("ix_message_conversation", "conversation_id", "id"),
                      Index("ux_message_client_key", "conversation_id", "client_key", unique=True))

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    conversation_id: Mapped[str] = mapped_column(ForeignKey("conversation.id", ondelete="CASCADE"))
    # "user" (the youth or caregiver), "bot", "system" (gateway's own replies), "advocate" (a person at the
    # desk) and "desk" (the gateway's notices about the handoff, pushed to the youth's stream)
    sender: Mapped[str] = mapped_column(String(12))
    text: Mapped[str] = mapped_column(Text, default="")
    payload: Mapped[dict[str, Any] | None] = mapped_column(JSON(none_as_null=True))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=_now)
    # The client's idempotency key for a user message (web API `client_message_id`): a request sent again
    # after a dropped connection, to this gateway or another, is answered from the store, not stored twice.
    client_key: Mapped[str | None] = mapped_column(String(64))


class DuplicateMessage(Exception):
    """This conversation already has a user message with this client key (a retry raced the original)."""


async def add_facts(session: Any, facts: Iterable[Fact]) -> None:
    from bot.insights.recorder import add_facts as add  # its table is defined on top of this module

    await add(session, facts)


@dataclass(frozen=True)
class NewConversation:
    id: str
    token: str


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def token_matches(conversation: Conversation | None, token: str) -> bool:
    return conversation is not None and hmac.compare_digest(conversation.token_hash, hash_token(token))


class SessionFactory:
    """`sessions()` opens a session for reading; `sessions.begin()` a transaction for writing.

    On SQLite the gateway's writes go one at a time through an asyncio lock: SQLite has one writer anyway,
    and a writer that finds the database locked sleeps in SQLite's busy handler (1, 2, 5 … 100 ms steps)
    while holding a pooled connection, so fifty simultaneous writes turned into a long tail. Queued on the
    event loop instead, each waits exactly as long as the writes before it take (~1 ms each in WAL mode with
    synchronous=NORMAL). Readers never wait (WAL). Write transactions must not nest (none do).
    """

    def __init__(self, maker: async_sessionmaker[AsyncSession], serialize: bool) -> None:
        self._maker = maker
        self._lock: asyncio.Lock | None = asyncio.Lock() if serialize else None

    def __call__(self, **kwargs: Any) -> AsyncSession:
        return self._maker(**kwargs)

    @contextlib.asynccontextmanager
    async def writing(self) -> AsyncIterator[None]:
        """Hold the write turn without a session (e.g. for a WAL checkpoint)."""
        if self._lock is None:
            yield
            return
        async with self._lock:
            yield

    @contextlib.asynccontextmanager
    async def begin(self) -> AsyncIterator[AsyncSession]:
        async with self.writing(), self._maker.begin() as session:
            yield session


def _sqlite_pragmas(engine: AsyncEngine) -> None:
    """Every new connection: WAL with synchronous=NORMAL (a commit does not wait for fsync; the WAL is
    synced at checkpoints, so an application crash loses nothing committed and a power cut at worst the
    last few commits, never the database's consistency) and a bounded busy timeout."""

    @event.listens_for(engine.sync_engine, "connect")
    def _pragmas(dbapi_connection: Any, _: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.close()


class ConversationStore:
    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        sqlite = engine.dialect.name == "sqlite"
        if sqlite:
            _sqlite_pragmas(engine)
        self.sessions = SessionFactory(async_sessionmaker(engine, expire_on_commit=False), serialize=sqlite)

    @classmethod
    def from_url(cls, url: str) -> ConversationStore:
        if url.startswith("sqlite"):
            # Connections stay open (each is a thread and a file handle, cheap): with the default pool of 5,
            # every burst opened and closed up to 10 overflow connections, each with its own thread.
            return cls(create_async_engine(url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000},
                                           pool_size=SQLITE_POOL_SIZE, max_overflow=5))
        return cls(create_async_engine(url, pool_pre_ping=True))

    async def close(self) -> None:
        await self.engine.dispose()

    async def create(self, channel: str = "web") -> NewConversation:
        conversation_id = secrets.token_urlsafe(18)
        token = secrets.token_urlsafe(32)
        async with self.sessions.begin() as session:
            session.add(Conversation(id=conversation_id, token_hash=hash_token(token), channel=channel))
        return NewConversation(conversation_id, token)

    async def authorize(self, conversation_id: str, token: str) -> Conversation | None:
        """The conversation if the token is its own; None for unknown ids and wrong tokens alike."""
        if not _CONVERSATION_ID.fullmatch(conversation_id):
            return None  # never one of ours (and a NUL in it is an error on PostgreSQL, not a miss)
        async with self.sessions() as session:
            conversation = await session.get(Conversation, conversation_id)
        return conversation if token_matches(conversation, token) else None

    async def record_exchange(
        self, conversation_id: str, user_text: str, replies: list[tuple[str, dict[str, Any]]],
        crisis: dict[str, Any] | None = None, handoff_requested: bool = False, need: str | None = None,
        insights: Iterable[Fact] = (), client_key: str | None = None,
    ) -> list[Message]:
        """The user's message (with the crisis verdict, evidence included, for the advocate), the replies
        it got, the conversation's new state (activity, risk level, last search's need) and the insight
        counters this exchange adds (bot/insights/), in one transaction. Raises DuplicateMessage, storing
        nothing, when `client_key` is already this conversation's."""
        try:
            return await self._record_exchange(conversation_id, user_text, replies, crisis, handoff_requested,
                                               need, insights, client_key)
        except IntegrityError:
            if client_key is not None and await self.replies_to(conversation_id, client_key) is not None:
                raise DuplicateMessage(client_key) from None
            raise

    async def _record_exchange(
        self, conversation_id: str, user_text: str, replies: list[tuple[str, dict[str, Any]]],
        crisis: dict[str, Any] | None, handoff_requested: bool, need: str | None, insights: Iterable[Fact],
        client_key: str | None,
    ) -> list[Message]:
        now = _now()
        async with self.sessions.begin() as session:
            await add_facts(session, insights)
            stored = [Message(conversation_id=conversation_id, sender="user", text=user_text,
                              payload={"crisis": crisis} if crisis else None, created_at=now,
                              client_key=client_key)]
            stored += [Message(conversation_id=conversation_id, sender=sender, text=str(payload.get("text", "")),
                               payload=payload, created_at=now) for sender, payload in replies]
            session.add_all(stored)
            values: dict[str, Any] = {"last_activity_at": now}
            if handoff_requested:
                values["handoff_requested_at"] = func.coalesce(Conversation.handoff_requested_at, now)
            if need:
                values["need"] = need
            level = (crisis or {}).get("level", "none")
            if level in RISK_LEVELS and level != "none":
                current = case({name: rank for rank, name in enumerate(RISK_LEVELS)},
                               value=func.coalesce(Conversation.risk_level, "none"), else_=0)
                rank = RISK_LEVELS.index(level)
                values["risk_level"] = case((current < rank, level), else_=Conversation.risk_level)
                if level in ("urgent", "imminent"):
                    # Raised to it, or a new crisis message at the same level: flagged again.
                    values["risk_at"] = case((current <= rank, now), else_=Conversation.risk_at)
                else:
                    values["risk_at"] = case((current < rank, now), else_=Conversation.risk_at)
            await session.flush()
            await session.execute(update(Conversation).where(Conversation.id == conversation_id).values(**values))
        return stored

    async def record_insights(self, facts: Iterable[Fact]) -> None:
        """Insight counters on their own (an exchange stored elsewhere, e.g. during a handoff)."""
        facts = list(facts)
        if facts:
            async with self.sessions.begin() as session:
                await add_facts(session, facts)

    async def add_message(self, conversation_id: str, sender: str, payload: dict[str, Any],
                          also: Callable[[Message], Iterable[object]] | None = None) -> Message:
        """One message not written by the youth (an advocate's, or the desk's notice to the youth), in one
        transaction with the conversation's activity time and whatever `also` adds for it (the audit entry
        that names the message's id)."""
        now = _now()
        async with self.sessions.begin() as session:
            message = Message(conversation_id=conversation_id, sender=sender, text=str(payload.get("text", "")),
                              payload=payload, created_at=now)
            session.add(message)
            if also is not None:
                await session.flush()  # the message's id, for what `also` records about it
                session.add_all(list(also(message)))
            await session.execute(update(Conversation).where(Conversation.id == conversation_id)
                                  .values(last_activity_at=now))
        return message

    async def replies_to(self, conversation_id: str, client_key: str) -> list[Message] | None:
        """What was answered to the user message with this client key (None: no such message stored)."""
        async with self.sessions() as session:
            asked = await session.scalar(select(Message.id).where(Message.conversation_id == conversation_id,
                                                                  Message.client_key == client_key))
            if asked is None:
                return None
            following = await session.scalars(
                select(Message).where(Message.conversation_id == conversation_id, Message.id > asked)
                .order_by(Message.id).limit(20))
            replies: list[Message] = []
            for message in following:
                if message.sender == "user":
                    break
                if message.sender in ("bot", "system"):
                    replies.append(message)
            return replies

    async def messages_after(self, conversation_id: str, after_id: int, senders: tuple[str, ...]) -> list[Message]:
        async with self.sessions() as session:
            result = await session.scalars(
                select(Message).where(Message.conversation_id == conversation_id, Message.id > after_id,
                                      Message.sender.in_(senders)).order_by(Message.id)
            )
            return list(result)

    async def set_delete_pending(self, conversation_id: str, value: bool) -> None:
        async with self.sessions.begin() as session:
            conversation = await session.get(Conversation, conversation_id)
            if conversation is not None:
                conversation.delete_pending = value

    async def has_user_messages(self, conversation_id: str) -> bool:
        async with self.sessions() as session:
            found = await session.scalar(select(Message.id).where(
                Message.conversation_id == conversation_id, Message.sender == "user").limit(1))
        return found is not None

    async def set_language(self, conversation_id: str, language: str) -> None:
        async with self.sessions.begin() as session:
            await session.execute(update(Conversation).where(Conversation.id == conversation_id)
                                  .values(language=language))

    async def conversation(self, conversation_id: str) -> Conversation | None:
        async with self.sessions() as session:
            return await session.get(Conversation, conversation_id)

    async def messages(self, conversation_id: str) -> list[Message]:
        async with self.sessions() as session:
            result = await session.scalars(
                select(Message).where(Message.conversation_id == conversation_id).order_by(Message.id)
            )
            return list(result)
