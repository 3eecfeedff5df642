"""The insight counters: one row per combination of dimensions and ISO week, holding a count.

No id, no conversation, no timestamp: the primary key is the dimensions themselves, and on SQLite the table
is WITHOUT ROWID, so not even the order in which rows first appeared is kept."""

from __future__ import annotations

from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from bot.store import GatewayBase


class InsightCount(GatewayBase):
    __tablename__ = "insight_count"
    __table_args__ = {"sqlite_with_rowid": False}  # noqa: RUF012  (SQLAlchemy reads it as is)

    week: Mapped[str] = mapped_column(String(8), primary_key=True)  # "2026-W07"
    outcome: Mapped[str] = mapped_column(String(24), primary_key=True)
    category: Mapped[str] = mapped_column(String(24), primary_key=True)
    county: Mapped[str] = mapped_column(String(24), primary_key=True)
    age_band: Mapped[str] = mapped_column(String(10), primary_key=True)
    language: Mapped[str] = mapped_column(String(8), primary_key=True)
    channel: Mapped[str] = mapped_column(String(8), primary_key=True)
    count: Mapped[int] = mapped_column(Integer, default=0)


DIMENSIONS = ("week", "outcome", "category", "county", "age_band", "language", "channel")
