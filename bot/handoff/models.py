"""Tables of the handoff: one row per conversation that ever asked for (or was picked up by) a person."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from bot.store import GatewayBase

# bot → queued → with_advocate → bot | closed. "closed" routes like "bot": the conversation can go on.
STATES = ("bot", "queued", "with_advocate", "closed")
ACTIVE_STATES = frozenset({"queued", "with_advocate"})


class Handoff(GatewayBase):
    __tablename__ = "handoff"
    __table_args__ = (Index("ix_handoff_state", "state", "queued_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    conversation_id: Mapped[str] = mapped_column(ForeignKey("conversation.id", ondelete="CASCADE"), unique=True)
    state: Mapped[str] = mapped_column(String(16), default="bot")
    # "crisis" when asked for after a crisis reply; the queue is ordered by the conversation's risk level too.
    priority: Mapped[str] = mapped_column(String(10), default="normal")
    queued_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    claimed_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    advocate_id: Mapped[int | None] = mapped_column(ForeignKey("desk_user.id"))
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    # Bumped on every change, so a desk can tell a stale view from a fresh one.
    version: Mapped[int] = mapped_column(Integer, default=0)
    episodes: Mapped[int] = mapped_column(Integer, default=0)
    outcome: Mapped[list[str] | None] = mapped_column(JSON(none_as_null=True))


class Note(GatewayBase):
    """An advocate's private note: never shown to the youth."""

    __tablename__ = "desk_note"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    handoff_id: Mapped[int] = mapped_column(ForeignKey("handoff.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("desk_user.id"))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


def as_utc(value: dt.datetime | None) -> dt.datetime | None:
    """SQLite hands datetimes back without a zone; they were written in UTC."""
    if value is None:
        return None
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


JsonDict = dict[str, Any]
