"""Desk accounts, login sessions and the append-only audit log (SQLAlchemy 2 typed models)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, Boolean, DateTime, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from bot.store import GatewayBase

ROLES = ("advocate", "supervisor")


class DeskUser(GatewayBase):
    __tablename__ = "desk_user"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[str] = mapped_column(String(12))
    password_hash: Mapped[str] = mapped_column(String(255))
    on_duty: Mapped[bool] = mapped_column(Boolean, default=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class DeskSession(GatewayBase):
    """A login: the cookie carries a random token; only its hash is stored, with the session's CSRF token."""

    __tablename__ = "desk_session"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("desk_user.id", ondelete="CASCADE"), index=True)
    csrf: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class LoginFailure(GatewayBase):
    """A wrong password, kept for the login rate limit's window so a gateway restart does not reset it.
    `key_hash` is the SHA-256 of "name:<account name>" or "ip:<client address>"; rows older than the
    window are deleted as new ones come in, and a successful login deletes its name's rows."""

    __tablename__ = "desk_login_failure"
    __table_args__ = (Index("ix_desk_login_failure_key", "key_hash", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    key_hash: Mapped[str] = mapped_column(String(64))
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class AuditEntry(GatewayBase):
    """Append-only: the code only ever inserts, and database triggers refuse UPDATE and DELETE (created by the
    baseline migration, bot/migrations/versions/0001_baseline.py, on SQLite and PostgreSQL)."""

    __tablename__ = "desk_audit"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), index=True)
    user_id: Mapped[int | None] = mapped_column(Integer)
    user_name: Mapped[str] = mapped_column(String(64), default="")
    action: Mapped[str] = mapped_column(String(32))
    handoff_id: Mapped[int | None] = mapped_column(Integer, index=True)
    detail: Mapped[dict[str, Any] | None] = mapped_column(JSON(none_as_null=True))
