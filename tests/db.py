"""Reading a stack's databases from tests, whatever the engine: the gateway's (and directory's) database and
Rasa's tracker store, by the stack's DATABASE_URL (PostgreSQL) or its SQLite files. SQL is written with `?`
placeholders, as before; they become bound parameters for either engine."""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from typing import Any

from sqlalchemy import Engine, create_engine, text
from sqlalchemy.pool import NullPool

from bot.endpoints import is_postgres, rasa_tracker_url, sync_database_url
from bot.launcher import Stack

_PLACEHOLDER = re.compile(r"\?")


def gateway_url(stack: Stack) -> str:
    """The stack's gateway/directory database as a blocking SQLAlchemy URL."""
    if is_postgres(stack.database_url):
        return sync_database_url(stack.database_url)
    return f"sqlite:///{stack.data_dir / 'navigator.db'}"


def tracker_url(stack: Stack) -> str:
    return rasa_tracker_url(stack.database_url, stack.data_dir)


def on_postgres(stack: Stack) -> bool:
    return is_postgres(stack.database_url)


@functools.cache
def engine_for(url: str) -> Engine:
    if url.startswith("sqlite"):
        # A connection per query: the gateway writes the file from its own process all the while.
        return create_engine(url, poolclass=NullPool, connect_args={"timeout": 30})
    return create_engine(url, pool_size=2, max_overflow=2, pool_pre_ping=True)


def run(url: str, sql: str, params: Iterable[Any] = ()) -> list[tuple[Any, ...]]:
    values = list(params)
    count = iter(range(len(values)))
    named = _PLACEHOLDER.sub(lambda _: f":p{next(count)}", sql)
    with engine_for(url).begin() as connection:
        result = connection.execute(text(named), {f"p{i}": v for i, v in enumerate(values)})
        return [tuple(row) for row in result] if result.returns_rows else []


def query(stack: Stack, sql: str, params: Iterable[Any] = ()) -> list[tuple[Any, ...]]:
    return run(gateway_url(stack), sql, params)


def rasa_query(stack: Stack, sql: str, params: Iterable[Any] = ()) -> list[tuple[Any, ...]]:
    return run(tracker_url(stack), sql, params)
