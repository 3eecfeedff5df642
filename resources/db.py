"""One engine per process for the directory, from `DATABASE_URL` (default: SQLite under var/)."""

from __future__ import annotations

import os
from pathlib import Path

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.orm import Session, sessionmaker

REPO_ROOT = Path(__file__).resolve().parents[1]


def default_database_url() -> str:
    data_dir = Path(os.environ.get("NAVIGATOR_DATA_DIR", REPO_ROOT / "var"))
    return f"sqlite:///{data_dir / 'navigator.db'}"


def database_url() -> str:
    return os.environ.get("DATABASE_URL") or default_database_url()


def sync_url(url: str) -> str:
    """The directory uses the synchronous driver; the gateway may be configured with an async one."""
    for prefix, replacement in (
        ("sqlite+aiosqlite://", "sqlite://"),
        ("postgresql+asyncpg://", "postgresql+psycopg://"),
        ("postgresql://", "postgresql+psycopg://"),
        ("postgres://", "postgresql+psycopg://"),
    ):
        if url.startswith(prefix):
            return replacement + url.removeprefix(prefix)
    return url


def make_engine(url: str | None = None) -> Engine:
    url = sync_url(url or database_url())
    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 30})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, pool_pre_ping=True)


def _sqlite_pragmas(dbapi_connection: object, _record: object) -> None:
    cursor = dbapi_connection.cursor()  # type: ignore[attr-defined]
    # WAL lets the action server read while the loader or gateway writes.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    # A statewide directory is ~100 MB: keep the hot index pages in memory (64 MB cache, 256 MB mapped).
    cursor.execute("PRAGMA cache_size=-65536")
    cursor.execute("PRAGMA mmap_size=268435456")
    cursor.close()


def create_schema(engine: Engine) -> None:
    """The schema by migration (bot/migrations/, shared with the gateway: one database, one history), then the
    search index filled in for a directory made before it existed."""
    from bot.migrate import upgrade

    upgrade(engine.url.render_as_string(hide_password=False))
    with engine.connect() as connection:
        empty_index = connection.execute(text("SELECT NOT EXISTS (SELECT 1 FROM search_point)")).scalar()
        has_located = connection.execute(text("SELECT EXISTS (SELECT 1 FROM service_at_location)")).scalar()
    if empty_index and has_located:
        from resources.store import rebuild_search_points

        with session_factory(engine)() as session, session.begin():
            rebuild_search_points(session)


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)
