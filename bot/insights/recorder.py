"""Adding facts to the counters, inside the caller's transaction (the gateway records them with the
exchange they came from, so both are written or neither is)."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from bot.insights.dimensions import Fact, iso_week
from bot.insights.models import InsightCount


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


async def add_facts(session: AsyncSession, facts: Iterable[Fact], when: dt.datetime | None = None) -> None:
    week = iso_week(when or _now())
    counts = Counter(facts)
    if not counts:
        return
    dialect = session.get_bind().dialect.name
    for fact, n in counts.items():
        key: dict[str, Any] = {"week": week, "outcome": fact.outcome, "category": fact.category,
                               "county": fact.county, "age_band": fact.age_band, "language": fact.language,
                               "channel": fact.channel}
        if dialect in ("sqlite", "postgresql"):
            insert = sqlite.insert if dialect == "sqlite" else postgresql.insert
            stmt = insert(InsightCount).values(**key, count=n)
            stmt = stmt.on_conflict_do_update(index_elements=list(key),
                                              set_={"count": InsightCount.count + n})
            await session.execute(stmt)
        else:  # anything else: read, then write, in the caller's transaction
            row = await session.scalar(select(InsightCount).filter_by(**key))
            if row is None:
                session.add(InsightCount(**key, count=n))
            else:
                row.count += n
