"""Reading the counters and the directory into a report (used by the desk page and the command line)."""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.insights.dimensions import PACIFIC, weeks_between
from bot.insights.gaps import directory_coverage
from bot.insights.models import DIMENSIONS, InsightCount
from bot.insights.report import Report, build_report
from bot.store import ConversationStore

VERIFIED_WITHIN_DAYS = 365


async def load_counts(store: ConversationStore, weeks: list[str]) -> list[dict[str, Any]]:
    async with store.sessions() as session:
        rows = await session.scalars(select(InsightCount).where(InsightCount.week.in_(weeks)))
        return [{**{d: getattr(r, d) for d in DIMENSIONS}, "count": r.count} for r in rows]


def today() -> dt.date:
    return dt.datetime.now(PACIFIC).date()


async def make_report(store: ConversationStore, directory: sessionmaker[Session] | None, start: dt.date,
                      end: dt.date, verified_within_days: int = VERIFIED_WITHIN_DAYS) -> Report:
    counts = await load_counts(store, weeks_between(start, end))
    coverage = None
    if directory is not None:
        def read() -> Any:
            with directory() as session:
                return directory_coverage(session, today(), verified_within_days)
        coverage = await asyncio.to_thread(read)
    return build_report(counts, start, end, coverage, verified_within_days)
