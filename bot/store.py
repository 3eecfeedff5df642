"""The gateway's own records: conversations (with a hashed bearer token) and their messages."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import JSON, Boolean, Connection, DateTime, ForeignKey, Index, Integer, String, Text, inspect, select
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

if TYPE_CHECKING:
    from bot.insights.dimensions import Fact

RISK_LEVELS = ("none", "concern", "urgent", "imminent")


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


class Message(GatewayBase):
    __tablename__ = "message"
    __table_args__ = (Index("ix_message_conversation", "conversation_id", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    conversation_id: Mapped[str] = mapped_column(ForeignKey("conversation.id", ondelete="CASCADE"))
    # "user" (the youth or caregiver), "bot", "system" (gateway's own replies), "advocate" (a person at the
    # desk) and "desk" (the gateway's notices about the handoff, pushed to the youth's stream)
    sender: Mapped[str] = mapped_column(String(12))
    text: Mapped[str] = mapped_column(Text, default="")
    payload: Mapped[dict[str, Any] | None] = mapped_column(JSON(none_as_null=True))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=_now)


def _add_new_columns(connection: Connection) -> None:
    """Columns added since a database was created (all nullable or with a server default): added in place,
    so an upgrade keeps every conversation. Anything more than that belongs to a real migration."""
    inspector = inspect(connection)
    for table in GatewayBase.metadata.sorted_tables:
        present = {c["name"] for c in inspector.get_columns(table.name)}
        for column in table.columns:
            if column.name in present:
                continue
            ddl = f"ALTER TABLE {table.name} ADD COLUMN {column.name} {column.type.compile(connection.dialect)}"
            if column.server_default is not None:
                ddl += f" DEFAULT '{column.server_default.arg}'"
            connection.exec_driver_sql(ddl)


async def add_facts(session: Any, facts: Iterable[Fact]) -> None:
    from bot.insights.recorder import add_facts as add  # its table is defined on top of this module

    await add(session, facts)


@dataclass(frozen=True)
class NewConversation:
    id: str
    token: str


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class ConversationStore:
    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self.sessions = async_sessionmaker(engine, expire_on_commit=False)

    @classmethod
    def from_url(cls, url: str) -> ConversationStore:
        connect_args = {"timeout": 30} if url.startswith("sqlite") else {}
        return cls(create_async_engine(url, connect_args=connect_args, pool_pre_ping=not url.startswith("sqlite")))

    async def create_schema(self) -> None:
        async with self.engine.begin() as connection:
            if self.engine.dialect.name == "sqlite":
                await connection.exec_driver_sql("PRAGMA journal_mode=WAL")
            await connection.run_sync(GatewayBase.metadata.create_all)
            await connection.run_sync(_add_new_columns)

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
        async with self.sessions() as session:
            conversation = await session.get(Conversation, conversation_id)
        if conversation is None or not hmac.compare_digest(conversation.token_hash, hash_token(token)):
            return None
        return conversation

    async def record_exchange(
        self, conversation_id: str, user_text: str, replies: list[tuple[str, dict[str, Any]]],
        crisis: dict[str, Any] | None = None, handoff_requested: bool = False, insights: Iterable[Fact] = (),
    ) -> list[Message]:
        """The user's message (with the crisis verdict, evidence included, for the advocate) and the replies
        it got, in one transaction — with the insight counters this exchange adds (bot/insights/)."""
        async with self.sessions.begin() as session:
            await add_facts(session, insights)
            stored = [Message(conversation_id=conversation_id, sender="user", text=user_text,
                              payload={"crisis": crisis} if crisis else None, created_at=_now())]
            stored += [Message(conversation_id=conversation_id, sender=sender, text=str(payload.get("text", "")),
                               payload=payload, created_at=_now()) for sender, payload in replies]
            session.add_all(stored)
            conversation = await session.get(Conversation, conversation_id)
            if conversation is not None:
                conversation.last_activity_at = _now()
                if handoff_requested and conversation.handoff_requested_at is None:
                    conversation.handoff_requested_at = _now()
                level = (crisis or {}).get("level", "none")
                if RISK_LEVELS.index(level) > RISK_LEVELS.index(conversation.risk_level or "none"):
                    conversation.risk_level, conversation.risk_at = level, _now()
                elif level in ("urgent", "imminent") and level == conversation.risk_level:
                    conversation.risk_at = _now()  # a new crisis message flags the conversation again
        return stored

    async def record_insights(self, facts: Iterable[Fact]) -> None:
        """Insight counters on their own (an exchange stored elsewhere, e.g. during a handoff)."""
        facts = list(facts)
        if facts:
            async with self.sessions.begin() as session:
                await add_facts(session, facts)

    async def add_message(self, conversation_id: str, sender: str, payload: dict[str, Any]) -> Message:
        """One message not written by the youth (an advocate's, or the desk's notice to the youth)."""
        async with self.sessions.begin() as session:
            message = Message(conversation_id=conversation_id, sender=sender, text=str(payload.get("text", "")),
                              payload=payload, created_at=_now())
            session.add(message)
            conversation = await session.get(Conversation, conversation_id)
            if conversation is not None:
                conversation.last_activity_at = _now()
        return message

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

    async def conversation(self, conversation_id: str) -> Conversation | None:
        async with self.sessions() as session:
            return await session.get(Conversation, conversation_id)

    async def messages(self, conversation_id: str) -> list[Message]:
        async with self.sessions() as session:
            result = await session.scalars(
                select(Message).where(Message.conversation_id == conversation_id).order_by(Message.id)
            )
            return list(result)
