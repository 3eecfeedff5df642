"""The migrations are the schema: on a fresh SQLite file and a fresh PostgreSQL database they produce exactly
what the models describe (Alembic's autogenerate finds nothing to do), they adopt a database made before
migrations existed without losing a row, and concurrent starts do not trip over each other."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from bot.migrate import current_revision, head, pending_changes, target_metadata, upgrade
from bot.settings import REPO_ROOT
from tests.services import fresh_database


def test_one_head() -> None:
    """Revisions form one line (two heads would leave a database half-migrated), ending at the newest file."""
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    from bot.migrate import MIGRATIONS_DIR

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    heads = ScriptDirectory.from_config(config).get_heads()
    newest = max(p.name.split("_")[0] for p in (MIGRATIONS_DIR / "versions").glob("[0-9]*.py"))
    assert heads == [head()] == [newest]


def test_sqlite_head_matches_the_models(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'navigator.db'}"
    upgrade(url)
    assert current_revision(url) == head()
    assert pending_changes(url) == []
    upgrade(url)  # a second start finds nothing to do
    assert current_revision(url) == head()


def test_a_model_change_without_a_migration_is_noticed(tmp_path: Path) -> None:
    """The check above can fail: a table the models lack shows up as a difference."""
    url = f"sqlite:///{tmp_path / 'navigator.db'}"
    upgrade(url)
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(text("ALTER TABLE conversation DROP COLUMN need"))
    engine.dispose()
    assert any("need" in repr(change) for change in pending_changes(url))


def test_postgres_head_matches_the_models() -> None:
    with fresh_database("navmig") as url:
        upgrade(url)
        assert current_revision(url) == head()
        assert pending_changes(url) == []
        engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://"))
        try:
            with engine.begin() as connection:
                connection.execute(text("INSERT INTO desk_audit (at, user_name, action) VALUES (now(), 'a', 'x')"))
            with pytest.raises(Exception, match="append-only"), engine.begin() as connection:
                connection.execute(text("UPDATE desk_audit SET action = 'y'"))
        finally:
            engine.dispose()


def test_gateways_starting_together_on_postgres_migrate_once() -> None:
    """Separate processes, as several gateways are: one migrates, the others wait on the advisory lock."""
    with fresh_database("navmig") as url:
        env = {**os.environ, "DATABASE_URL": url, "PYTHONPATH": str(REPO_ROOT)}
        starts = [subprocess.Popen([sys.executable, "-m", "bot", "migrate"], cwd=REPO_ROOT, env=env,
                                   stdout=subprocess.PIPE, stderr=subprocess.STDOUT) for _ in range(3)]
        outputs = [process.communicate(timeout=120)[0].decode() for process in starts]
        assert [process.returncode for process in starts] == [0, 0, 0], outputs
        assert current_revision(url) == head()


def test_a_database_made_before_migrations_is_adopted_with_its_rows(tmp_path: Path) -> None:
    """As the old create_all and "added columns" code left it: every table, but columns added later
    missing, and no alembic_version."""
    url = f"sqlite:///{tmp_path / 'old.db'}"
    engine = create_engine(url)
    for metadata in target_metadata():
        metadata.create_all(engine)
    now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M:%S.%f")  # as SQLAlchemy stores it on SQLite
    with engine.begin() as connection:
        for column in ("need", "language", "risk_at"):
            connection.execute(text(f"ALTER TABLE conversation DROP COLUMN {column}"))
        connection.execute(text("ALTER TABLE service DROP COLUMN retired_on"))
        # Newer than any database made before migrations: revision 0002 and later add them.
        connection.execute(text("DROP INDEX ux_message_client_key"))
        connection.execute(text("ALTER TABLE message DROP COLUMN client_key"))
        connection.execute(text("INSERT INTO conversation (id, token_hash, channel, created_at, last_activity_at, "
                                "risk_level, delete_pending) VALUES ('old', 'h', 'web', :t, :t, 'none', 0)"),
                           {"t": now})
        connection.execute(text("INSERT INTO message (conversation_id, sender, text, created_at) "
                                "VALUES ('old', 'user', 'kept', :t)"), {"t": now})
    engine.dispose()
    upgrade(url)
    assert current_revision(url) == head()
    engine = create_engine(url)
    with engine.connect() as connection:
        assert connection.execute(text("SELECT text FROM message WHERE conversation_id = 'old'")).all() == [("kept",)]
        assert connection.execute(text("SELECT need, language FROM conversation")).all() == [(None, None)]
        connection.execute(text("SELECT retired_on FROM service")).all()
    engine.dispose()
