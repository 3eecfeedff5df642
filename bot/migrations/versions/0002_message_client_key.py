"""Messages carry the client's idempotency key, unique per conversation.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01

A web client may send the same message again after a dropped connection (to this gateway or another);
the key lets the gateway store it once and answer it from the store.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('message') as batch:
        batch.add_column(sa.Column('client_key', sa.String(length=64), nullable=True))
    op.create_index('ux_message_client_key', 'message', ['conversation_id', 'client_key'], unique=True)


def downgrade() -> None:
    op.drop_index('ux_message_client_key', table_name='message')
    with op.batch_alter_table('message') as batch:
        batch.drop_column('client_key')
