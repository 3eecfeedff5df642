"""Directory search for advocates: the same parser and `resources.search` the bot's actions use
(see actions/directory.py), run in a thread so the gateway's event loop stays free."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from resources.db import make_engine, session_factory
from resources.geo import gazetteer
from resources.query import parse_request
from resources.search import SearchQuery, search

MAX_CARDS = 8


@dataclass
class DeskDirectory:
    engine: Engine
    sessions: sessionmaker[Session]

    @classmethod
    def open(cls, database_url: str) -> DeskDirectory:
        engine = make_engine(database_url)
        return cls(engine, session_factory(engine))

    def close(self) -> None:
        self.engine.dispose()

    def find(self, text: str) -> tuple[list[dict[str, Any]], str | None]:
        """Cards for "shelter in oakland" (best first), or a hint when no kind of help is named."""
        request = parse_request(text, gazetteer())
        if not request.categories:
            return [], "name a kind of help, like shelter, food, clinic, legal or counseling, and a place"
        with self.sessions() as session:
            result = search(session, SearchQuery(categories=request.categories, place=request.place,
                                                 age=request.age, tags=request.tags))
        return [hit.to_card() for hit in result.hits[:MAX_CARDS]], None

    async def find_async(self, text: str) -> tuple[list[dict[str, Any]], str | None]:
        return await asyncio.to_thread(self.find, text)
