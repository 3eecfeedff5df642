"""What the deployment's environment means for each process: database URLs per driver, and the endpoints
file Rasa reads.

`DATABASE_URL` (postgresql://user:password@host:port/db) puts the gateway's tables, the directory and Rasa's
SQL tracker store in that one PostgreSQL database; `REDIS_URL` (redis://[:password@]host:port/db) gives Rasa a
Redis lock store (so two Rasa servers never process one conversation's messages at once) and the gateways
their cross-instance messaging. With neither, the repository's endpoints.yml is used as it is: SQLite
files in the data directory and Rasa's in-memory lock store, one process each.
"""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import SplitResult, unquote, urlsplit

import yaml

POSTGRES_SCHEMES = ("postgresql", "postgres")
# Rasa's lock keys are prefixed so one Redis can serve several deployments (alphanumeric only, says Rasa).
RASA_LOCK_PREFIX = "navigator"
# Rasa's RedisLockStore, but the engine keeps answering while Redis is away (channels/bridge/lock_store.py).
RASA_LOCK_STORE = "channels.bridge.lock_store.FallbackRedisLockStore"
# The password never goes into the generated file: Rasa expands this variable when it reads it.
RASA_DB_PASSWORD_ENV = "NAVIGATOR_RASA_DB_PASSWORD"
RASA_REDIS_PASSWORD_ENV = "NAVIGATOR_RASA_REDIS_PASSWORD"


class ConfigError(ValueError):
    """A DATABASE_URL or REDIS_URL the navigator cannot use; the message says what is wrong."""


def _scheme(url: str) -> str:
    return url.split("://", 1)[0].split("+", 1)[0].lower() if "://" in url else ""


def is_postgres(url: str) -> bool:
    return _scheme(url) in POSTGRES_SCHEMES


def _with_driver(url: str, driver: str) -> str:
    """postgresql[+anything]://… or postgres://… → postgresql+<driver>://…"""
    rest = url.split("://", 1)[1]
    return f"postgresql+{driver}://{rest}"


def async_database_url(url: str) -> str:
    """The gateway's (asyncio) URL: asyncpg for PostgreSQL, aiosqlite for SQLite."""
    if is_postgres(url):
        return _with_driver(url, "asyncpg")
    if url.startswith("sqlite:///"):
        return "sqlite+aiosqlite:///" + url.removeprefix("sqlite:///")
    return url


def sync_database_url(url: str) -> str:
    """The directory's, the migrations' and retention's (blocking) URL: psycopg 3 for PostgreSQL."""
    if is_postgres(url):
        return _with_driver(url, "psycopg")
    if url.startswith("sqlite+aiosqlite://"):
        return "sqlite://" + url.removeprefix("sqlite+aiosqlite://")
    return url


def check_database_url(url: str) -> None:
    if not url:
        return
    scheme = _scheme(url)
    if scheme not in (*POSTGRES_SCHEMES, "sqlite"):
        raise ConfigError(f"DATABASE_URL must start with postgresql:// or sqlite:///, not {scheme or url[:12]!r}")
    if scheme in POSTGRES_SCHEMES:
        parts = urlsplit(url)
        if not parts.hostname or not parts.path.strip("/"):
            raise ConfigError("DATABASE_URL needs a host and a database name: postgresql://user@host:5432/dbname")


def check_redis_url(url: str) -> None:
    if not url:
        return
    parts = urlsplit(url)
    if parts.scheme not in ("redis", "rediss") or not parts.hostname:
        raise ConfigError("REDIS_URL must look like redis://[:password@]host:6379/0 (or rediss:// for TLS)")
    _redis_db(parts)


def _redis_db(parts: SplitResult) -> int:
    path = parts.path.strip("/")
    if not path:
        return 0
    if not path.isdigit():
        raise ConfigError(f"REDIS_URL's database must be a number, not {path!r}")
    return int(path)


def rasa_tracker_url(database_url: str, data_dir: Path) -> str:
    """Where Rasa keeps its trackers, as a blocking SQLAlchemy URL (retention and erasure reach it there)."""
    if is_postgres(database_url):
        return sync_database_url(database_url)
    return f"sqlite:///{data_dir / 'rasa_tracker.db'}"


def rasa_endpoints(base: dict[str, object], database_url: str, redis_url: str) -> tuple[dict[str, object],
                                                                                         dict[str, str]]:
    """Rasa's endpoints (the repository's, with the tracker and lock stores the environment asks for) and
    the environment variables the generated file refers to (passwords)."""
    check_database_url(database_url)
    check_redis_url(redis_url)
    endpoints = dict(base)
    env: dict[str, str] = {}
    if is_postgres(database_url):
        parts = urlsplit(database_url)
        tracker: dict[str, object] = {"type": "SQL", "dialect": "postgresql", "url": parts.hostname,
                                      "port": parts.port or 5432, "db": unquote(parts.path.strip("/"))}
        if parts.username:
            tracker["username"] = unquote(parts.username)
        if parts.password:
            tracker["password"] = "${" + RASA_DB_PASSWORD_ENV + "}"
            env[RASA_DB_PASSWORD_ENV] = unquote(parts.password)
        if parts.query:  # e.g. sslmode=require
            tracker["query"] = dict(pair.split("=", 1) for pair in parts.query.split("&") if "=" in pair)
        endpoints["tracker_store"] = tracker
    if redis_url:
        parts = urlsplit(redis_url)
        lock: dict[str, object] = {"type": RASA_LOCK_STORE, "url": parts.hostname, "port": parts.port or 6379,
                                   "db": _redis_db(parts), "key_prefix": RASA_LOCK_PREFIX,
                                   "use_ssl": parts.scheme == "rediss"}
        if parts.password:
            lock["password"] = "${" + RASA_REDIS_PASSWORD_ENV + "}"
            env[RASA_REDIS_PASSWORD_ENV] = unquote(parts.password)
        if parts.username:
            lock["username"] = unquote(parts.username)
        endpoints["lock_store"] = lock
    return endpoints, env


def write_rasa_endpoints(repo_endpoints: Path, target: Path, database_url: str,
                         redis_url: str) -> tuple[Path, dict[str, str]]:
    """The endpoints file for Rasa and the extra environment it needs. Without DATABASE_URL/REDIS_URL that is
    the repository's file itself; otherwise a file derived from it in the data directory (no secrets in it)."""
    if not is_postgres(database_url) and not redis_url:
        check_database_url(database_url)
        return repo_endpoints, {}
    base = yaml.safe_load(repo_endpoints.read_text()) or {}
    endpoints, env = rasa_endpoints(base, database_url, redis_url)
    target.parent.mkdir(parents=True, exist_ok=True)
    text = ("# Generated by bot/launcher.py from endpoints.yml, DATABASE_URL and REDIS_URL; do not edit.\n"
            + yaml.safe_dump(endpoints, sort_keys=False))
    tmp = target.with_suffix(".tmp")
    tmp.write_text(text)
    os.replace(tmp, target)
    return target, env
