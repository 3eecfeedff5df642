"""Alembic environment: run by bot/migrate.py with an open connection (never from an alembic.ini)."""

from __future__ import annotations

from alembic import context

from bot.migrate import PG_LOCK_ID, configure

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations with `python -m bot migrate` (bot/migrate.py), not the alembic command")

configure(context, connection)
with context.begin_transaction():
    if connection.dialect.name == "postgresql":
        # Gateways starting together: one migrates, the others wait here and then find nothing to do.
        connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({PG_LOCK_ID})")
    context.run_migrations()
