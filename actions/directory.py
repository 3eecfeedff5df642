"""The action server's handle on the directory: one engine and gazetteer per process."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from functools import cache

from sqlalchemy.orm import Session, sessionmaker

from resources.db import make_engine, session_factory
from resources.geo import Gazetteer, gazetteer
from resources.search import SearchQuery, SearchResult, search


@dataclass(frozen=True)
class Directory:
    sessions: sessionmaker[Session]
    gazetteer: Gazetteer

    def find(self, query: SearchQuery) -> SearchResult:
        with self.sessions() as session:
            return search(session, query)

    async def find_async(self, query: SearchQuery) -> SearchResult:
        # The query is short but synchronous; keep the action server's event loop free meanwhile.
        return await asyncio.to_thread(self.find, query)


@cache
def directory() -> Directory:
    """rasa-sdk builds actions without arguments, so the process-wide directory is created on first use."""
    return Directory(sessions=session_factory(make_engine()), gazetteer=gazetteer())
