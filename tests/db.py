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


def columns(stack: Stack, table: str) -> list[str]:
    from sqlalchemy import inspect

    return [c["name"] for c in inspect(engine_for(gateway_url(stack))).get_columns(table)]


def timestamp(stack: Stack, value: Any) -> Any:
    """A datetime as the stack's database stores it (SQLAlchemy writes SQLite DateTime as naive UTC text)."""
    if on_postgres(stack):
        return value
    return value.astimezone(__import__("datetime").UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


def cli_env(stack: Stack, base: dict[str, str]) -> dict[str, str]:
    """Environment for a command run against the stack's stores (purge, insights export)."""
    env = {**base, "NAVIGATOR_DATA_DIR": str(stack.data_dir)}
    if stack.database_url:
        env["DATABASE_URL"] = stack.database_url
    else:
        env.pop("DATABASE_URL", None)
    return env


def table_dump(stack: Stack) -> dict[str, str]:
    """PostgreSQL: every table of the stack's database (ours and Rasa's `events`), each row as text, lowercased:
    where the SQLite runs scan the database files' bytes, this is what a query can still find."""
    from sqlalchemy import inspect

    engine = engine_for(gateway_url(stack))
    dump: dict[str, str] = {}
    with engine.connect() as connection:
        for table in inspect(engine).get_table_names():
            rows = connection.execute(text(f'SELECT t::text FROM "{table}" t')).scalars()
            dump[table] = "\n".join(rows).lower()
    return dump
