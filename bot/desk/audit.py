"""The desk's append-only audit log: who viewed, claimed, wrote to, transferred or closed which conversation."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select

from bot.desk.models import AuditEntry
from bot.store import ConversationStore

AUDITED = frozenset({
    "login", "login_failed", "logout", "duty", "view_transcript", "claim", "message", "resource", "note",
    "transfer", "requeue", "close", "return_to_bot", "dismiss", "insights_view", "insights_export",
})


def _utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass
class AuditLog:
    store: ConversationStore
    clock: Callable[[], dt.datetime] = field(default=_utc_now)

    def entry(self, action: str, user_id: int | None, user_name: str, handoff_id: int | None = None,
              **detail: Any) -> AuditEntry:
        """An entry to add inside another transaction (a message and its audit entry commit together)."""
        if action not in AUDITED:
            raise ValueError(f"unknown audit action {action!r}")
        return AuditEntry(at=self.clock(), user_id=user_id, user_name=user_name, action=action,
                          handoff_id=handoff_id, detail=detail or None)

    async def record(self, action: str, user_id: int | None, user_name: str, handoff_id: int | None = None,
                     **detail: Any) -> None:
        entry = self.entry(action, user_id, user_name, handoff_id, **detail)
        async with self.store.sessions.begin() as session:
            session.add(entry)

    async def entries(self, limit: int = 200, handoff_id: int | None = None) -> list[dict[str, Any]]:
        query = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit)
        if handoff_id is not None:
            query = query.where(AuditEntry.handoff_id == handoff_id)
        async with self.store.sessions() as session:
            rows = list(await session.scalars(query))
        return [{"id": e.id, "at": e.at.isoformat(), "user": e.user_name, "action": e.action,
                 "handoff_id": e.handoff_id, "detail": e.detail or {}} for e in rows]
