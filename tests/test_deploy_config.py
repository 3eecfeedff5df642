"""DATABASE_URL and REDIS_URL → each process's configuration (bot/endpoints.py, bot/settings.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from bot.endpoints import ConfigError, async_database_url, sync_database_url, write_rasa_endpoints
from bot.handoff.relay import channel_for
from bot.settings import REPO_ROOT, Settings

REPO_ENDPOINTS = REPO_ROOT / "endpoints.yml"


def test_without_either_variable_rasa_reads_the_repository_file(tmp_path: Path) -> None:
    path, env = write_rasa_endpoints(REPO_ENDPOINTS, tmp_path / "generated.yml", "", "")
    assert path == REPO_ENDPOINTS and env == {} and not (tmp_path / "generated.yml").exists()
    settings = Settings(data_dir=tmp_path)
    assert settings.gateway_database_url == f"sqlite+aiosqlite:///{tmp_path / 'navigator.db'}"
    assert settings.rasa_tracker_url == f"sqlite:///{tmp_path / 'rasa_tracker.db'}"


def test_postgres_and_redis_give_rasa_sql_tracker_and_redis_lock_stores_without_secrets_in_the_file(
        tmp_path: Path) -> None:
    path, env = write_rasa_endpoints(REPO_ENDPOINTS, tmp_path / "generated.yml",
                                     "postgresql://nav:p%40ss@db.internal:6543/navigator?sslmode=require",
                                     "rediss://:redispw@cache.internal:6380/3")
    written = path.read_text()
    assert "p@ss" not in written and "redispw" not in written
    endpoints = yaml.safe_load(written)
    assert endpoints["action_endpoint"] == yaml.safe_load(REPO_ENDPOINTS.read_text())["action_endpoint"]
    assert endpoints["tracker_store"] == {
        "type": "SQL", "dialect": "postgresql", "url": "db.internal", "port": 6543, "db": "navigator",
        "username": "nav", "password": "${NAVIGATOR_RASA_DB_PASSWORD}", "query": {"sslmode": "require"}}
    assert endpoints["lock_store"] == {
        "type": "channels.bridge.lock_store.FallbackRedisLockStore", "url": "cache.internal", "port": 6380, "db": 3,
        "key_prefix": "navigator",
        "use_ssl": True, "password": "${NAVIGATOR_RASA_REDIS_PASSWORD}"}
    assert env == {"NAVIGATOR_RASA_DB_PASSWORD": "p@ss", "NAVIGATOR_RASA_REDIS_PASSWORD": "redispw"}
    # Rasa expands ${…} only in plain (unquoted) scalars
    assert "url: http://127.0.0.1:${ACTION_PORT}/webhook" in written


def test_redis_alone_keeps_the_sqlite_tracker(tmp_path: Path) -> None:
    path, _ = write_rasa_endpoints(REPO_ENDPOINTS, tmp_path / "generated.yml", "", "redis://127.0.0.1:6379")
    endpoints = yaml.safe_load(path.read_text())
    assert endpoints["tracker_store"]["dialect"] == "sqlite" and endpoints["lock_store"]["db"] == 0


@pytest.mark.parametrize("url", ["postgresql://u@h/db", "postgres://u@h/db", "postgresql+asyncpg://u@h/db"])
def test_each_process_gets_its_driver(url: str) -> None:
    assert async_database_url(url) == "postgresql+asyncpg://u@h/db"
    assert sync_database_url(url) == "postgresql+psycopg://u@h/db"


@pytest.mark.parametrize(("variable", "value", "says"), [
    ("DATABASE_URL", "mysql://u@h/db", "postgresql://"),
    ("DATABASE_URL", "postgresql://host-without-db", "database name"),
    ("REDIS_URL", "localhost:6379", "redis://"),
    ("REDIS_URL", "redis://h:6379/zero", "number"),
])
def test_a_wrong_url_stops_the_start_with_a_clear_message(monkeypatch: pytest.MonkeyPatch, variable: str,
                                                          value: str, says: str) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(ConfigError, match=says):
        Settings.from_env()


def test_live_event_channel_is_per_deployment_and_free_of_the_password() -> None:
    one = channel_for("postgresql+psycopg://nav:secret@db/navigator")
    assert one == channel_for("postgresql+psycopg://nav:other@db/navigator")
    assert "secret" not in one and one != channel_for("postgresql+psycopg://nav:secret@db/staging")
    assert channel_for("", "/srv/a") != channel_for("", "/srv/b")
