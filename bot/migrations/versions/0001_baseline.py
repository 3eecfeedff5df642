"""Baseline: the gateway's tables (conversations, handoff, desk, insights, SMS) and the directory's (HSDS).

Revision ID: 0001
Revises:
Create Date: 2026-12-01

Also adopts a database made before migrations existed (by create_all and the "added columns" code this
replaces): tables and indexes that are already there are kept, and columns added since such a database was
made are added in place, nullable or with their server default as that code did, so every row stays.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


AUDIT_REFUSAL = "the audit log is append-only"


def _table(name: str, *elements: Any, **kwargs: Any) -> None:
    """Create the table, or, in a database made before migrations, add the columns it lacks."""
    bind = op.get_bind()
    if not sa.inspect(bind).has_table(name):
        op.create_table(name, *elements, **kwargs)
        return
    present = {c["name"] for c in sa.inspect(bind).get_columns(name)}
    for column in elements:
        if isinstance(column, sa.Column) and column.name not in present:
            nullable = column.server_default is None or column.nullable
            op.add_column(name, sa.Column(column.name, column.type, server_default=column.server_default,
                                          nullable=nullable))


def _index(name: str, table: str, columns: list[str], **kwargs: Any) -> None:
    op.create_index(name, table, columns, if_not_exists=True, **kwargs)  # kept when adopting an old database


def _append_only_audit() -> None:
    """The desk's audit log refuses UPDATE and DELETE, in the database itself (not only in our code)."""
    if op.get_bind().dialect.name == "sqlite":
        for verb in ("UPDATE", "DELETE"):
            op.execute(f"CREATE TRIGGER IF NOT EXISTS desk_audit_no_{verb.lower()} BEFORE {verb} ON desk_audit "
                       f"BEGIN SELECT RAISE(ABORT, '{AUDIT_REFUSAL}'); END")
    elif op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE OR REPLACE FUNCTION desk_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS "
                   f"$$ BEGIN RAISE EXCEPTION '{AUDIT_REFUSAL}'; END $$")
        op.execute("DROP TRIGGER IF EXISTS desk_audit_append_only ON desk_audit")
        op.execute("CREATE TRIGGER desk_audit_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON desk_audit "
                   "FOR EACH STATEMENT EXECUTE FUNCTION desk_audit_append_only()")


def _drop_append_only_audit() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS desk_audit_no_update")
        op.execute("DROP TRIGGER IF EXISTS desk_audit_no_delete")
    elif op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS desk_audit_append_only ON desk_audit")
        op.execute("DROP FUNCTION IF EXISTS desk_audit_append_only()")


def upgrade() -> None:
    _table('conversation',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('channel', sa.String(length=20), nullable=False),
    sa.Column('language', sa.String(length=8), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_activity_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('handoff_requested_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('risk_level', sa.String(length=10), server_default='none', nullable=False),
    sa.Column('risk_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('delete_pending', sa.Boolean(), server_default='0', nullable=False),
    sa.Column('need', sa.String(length=120), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    _index(op.f('ix_conversation_last_activity_at'), 'conversation', ['last_activity_at'])

    _table('desk_audit',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('user_name', sa.String(length=64), nullable=False),
    sa.Column('action', sa.String(length=32), nullable=False),
    sa.Column('handoff_id', sa.Integer(), nullable=True),
    sa.Column('detail', sa.JSON(none_as_null=True), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    _index(op.f('ix_desk_audit_at'), 'desk_audit', ['at'])
    _index(op.f('ix_desk_audit_handoff_id'), 'desk_audit', ['handoff_id'])

    _table('desk_login_failure',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('key_hash', sa.String(length=64), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    _index('ix_desk_login_failure_key', 'desk_login_failure', ['key_hash', 'at'])

    _table('desk_user',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('role', sa.String(length=12), nullable=False),
    sa.Column('password_hash', sa.String(length=255), nullable=False),
    sa.Column('on_duty', sa.Boolean(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('name')
    )
    _table('insight_count',
    sa.Column('week', sa.String(length=8), nullable=False),
    sa.Column('outcome', sa.String(length=24), nullable=False),
    sa.Column('category', sa.String(length=24), nullable=False),
    sa.Column('county', sa.String(length=24), nullable=False),
    sa.Column('age_band', sa.String(length=10), nullable=False),
    sa.Column('language', sa.String(length=8), nullable=False),
    sa.Column('channel', sa.String(length=8), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('week', 'outcome', 'category', 'county', 'age_band', 'language', 'channel'),
    sqlite_with_rowid=False
    )
    _table('sms_outbox',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('conversation_id', sa.String(length=64), nullable=False),
    sa.Column('payload', sa.JSON(), nullable=False),
    sa.Column('idempotency_key', sa.String(length=64), nullable=False),
    sa.Column('parts_sent', sa.Integer(), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    _index(op.f('ix_sms_outbox_conversation_id'), 'sms_outbox', ['conversation_id'])
    _index(op.f('ix_sms_outbox_next_attempt_at'), 'sms_outbox', ['next_attempt_at'])

    _table('sms_seen',
    sa.Column('message_sid', sa.String(length=40), nullable=False),
    sa.Column('seen_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('message_sid')
    )
    _index(op.f('ix_sms_seen_seen_at'), 'sms_seen', ['seen_at'])

    _table('sms_senders',
    sa.Column('lookup_key', sa.String(length=64), nullable=False),
    sa.Column('conversation_id', sa.String(length=64), nullable=True),
    sa.Column('sealed_number', sa.Text(), nullable=True),
    sa.Column('opted_out', sa.Boolean(), nullable=False),
    sa.Column('opted_out_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('choices_json', sa.JSON(none_as_null=True), nullable=True),
    sa.Column('delete_pending', sa.Boolean(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('lookup_key')
    )
    _index(op.f('ix_sms_senders_conversation_id'), 'sms_senders', ['conversation_id'])
    _index(op.f('ix_sms_senders_updated_at'), 'sms_senders', ['updated_at'])

    _table('desk_session',
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('csrf', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['desk_user.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('token_hash')
    )
    _index(op.f('ix_desk_session_user_id'), 'desk_session', ['user_id'])

    _table('handoff',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('conversation_id', sa.String(length=64), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('priority', sa.String(length=10), nullable=False),
    sa.Column('queued_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('claimed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('advocate_id', sa.Integer(), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('episodes', sa.Integer(), nullable=False),
    sa.Column('outcome', sa.JSON(none_as_null=True), nullable=True),
    sa.ForeignKeyConstraint(['advocate_id'], ['desk_user.id'], ),
    sa.ForeignKeyConstraint(['conversation_id'], ['conversation.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('conversation_id')
    )
    _index('ix_handoff_state', 'handoff', ['state', 'queued_at'])

    _table('message',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('conversation_id', sa.String(length=64), nullable=False),
    sa.Column('sender', sa.String(length=12), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('payload', sa.JSON(none_as_null=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['conversation_id'], ['conversation.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    _index('ix_message_conversation', 'message', ['conversation_id', 'id'])

    _table('desk_note',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('handoff_id', sa.Integer(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['author_id'], ['desk_user.id'], ),
    sa.ForeignKeyConstraint(['handoff_id'], ['handoff.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    _index(op.f('ix_desk_note_handoff_id'), 'desk_note', ['handoff_id'])

    _table('change_log',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('service_id', sa.String(length=120), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('action', sa.String(length=30), nullable=False),
    sa.Column('source', sa.String(length=500), nullable=False),
    sa.Column('detail', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    _index(op.f('ix_change_log_service_id'), 'change_log', ['service_id'])

    _table('organization',
    sa.Column('id', sa.String(length=120), nullable=False),
    sa.Column('name', sa.String(length=300), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('url', sa.String(length=500), nullable=True),
    sa.Column('email', sa.String(length=200), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    _table('location',
    sa.Column('id', sa.String(length=120), nullable=False),
    sa.Column('organization_id', sa.String(length=120), nullable=False),
    sa.Column('name', sa.String(length=300), nullable=True),
    sa.Column('latitude', sa.Float(), nullable=False),
    sa.Column('longitude', sa.Float(), nullable=False),
    sa.Column('county', sa.String(length=60), nullable=False),
    sa.Column('confidential', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['organization_id'], ['organization.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    _index(op.f('ix_location_county'), 'location', ['county'])
    _index('ix_location_lat_lon', 'location', ['latitude', 'longitude'])
    _index(op.f('ix_location_organization_id'), 'location', ['organization_id'])

    _table('service',
    sa.Column('id', sa.String(length=120), nullable=False),
    sa.Column('organization_id', sa.String(length=120), nullable=False),
    sa.Column('name', sa.String(length=300), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('url', sa.String(length=500), nullable=True),
    sa.Column('email', sa.String(length=200), nullable=True),
    sa.Column('status', sa.String(length=30), nullable=False),
    sa.Column('alert', sa.Text(), nullable=True),
    sa.Column('minimum_age', sa.Integer(), nullable=True),
    sa.Column('maximum_age', sa.Integer(), nullable=True),
    sa.Column('cost', sa.String(length=30), nullable=True),
    sa.Column('always_open', sa.Boolean(), nullable=False),
    sa.Column('source_url', sa.String(length=1000), nullable=False),
    sa.Column('verified_on', sa.Date(), nullable=False),
    sa.Column('closed_on_holidays', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.Column('statewide', sa.Boolean(), nullable=False),
    sa.Column('retired_on', sa.Date(), nullable=True),
    sa.ForeignKeyConstraint(['organization_id'], ['organization.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    _index(op.f('ix_service_organization_id'), 'service', ['organization_id'])
    _index('ix_service_statewide_only', 'service', ['id'],
           sqlite_where=sa.text('statewide = 1'), postgresql_where=sa.text('statewide'))
    _index('ix_service_status', 'service', ['status'])

    _table('address',
    sa.Column('id', sa.String(length=120), nullable=False),
    sa.Column('location_id', sa.String(length=120), nullable=False),
    sa.Column('address_1', sa.String(length=300), nullable=True),
    sa.Column('city', sa.String(length=120), nullable=False),
    sa.Column('region', sa.String(length=120), nullable=True),
    sa.Column('state_province', sa.String(length=2), nullable=False),
    sa.Column('postal_code', sa.String(length=10), nullable=True),
    sa.Column('country', sa.String(length=2), nullable=False),
    sa.ForeignKeyConstraint(['location_id'], ['location.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('location_id')
    )
    _table('language',
    sa.Column('service_id', sa.String(length=120), nullable=False),
    sa.Column('code', sa.String(length=10), nullable=False),
    sa.ForeignKeyConstraint(['service_id'], ['service.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('service_id', 'code')
    )
    _table('phone',
    sa.Column('id', sa.String(length=150), nullable=False),
    sa.Column('service_id', sa.String(length=120), nullable=False),
    sa.Column('number', sa.String(length=80), nullable=False),
    sa.Column('type', sa.String(length=20), nullable=False),
    sa.Column('description', sa.String(length=300), nullable=True),
    sa.ForeignKeyConstraint(['service_id'], ['service.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    _index(op.f('ix_phone_service_id'), 'phone', ['service_id'])

    _table('schedule',
    sa.Column('id', sa.String(length=150), nullable=False),
    sa.Column('service_id', sa.String(length=120), nullable=False),
    sa.Column('weekday', sa.Integer(), nullable=False),
    sa.Column('opens_min', sa.Integer(), nullable=False),
    sa.Column('closes_min', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['service_id'], ['service.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    _index(op.f('ix_schedule_service_id'), 'schedule', ['service_id'])

    _table('search_point',
    sa.Column('service_id', sa.String(length=120), nullable=False),
    sa.Column('location_id', sa.String(length=120), nullable=False),
    sa.Column('category', sa.String(length=40), nullable=False),
    sa.Column('latitude', sa.Float(), nullable=False),
    sa.Column('longitude', sa.Float(), nullable=False),
    sa.Column('status', sa.String(length=30), nullable=False),
    sa.Column('minimum_age', sa.Integer(), nullable=True),
    sa.Column('maximum_age', sa.Integer(), nullable=True),
    sa.Column('always_open', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['service_id'], ['service.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('service_id', 'location_id', 'category')
    )
    _index('ix_search_point_find', 'search_point', ['category', 'latitude',
           'longitude', 'status', 'minimum_age', 'maximum_age', 'always_open', 'service_id'])
    _index('ix_search_point_location', 'search_point', ['location_id'])

    _table('service_area',
    sa.Column('id', sa.String(length=150), nullable=False),
    sa.Column('service_id', sa.String(length=120), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('extent_type', sa.String(length=30), nullable=False),
    sa.ForeignKeyConstraint(['service_id'], ['service.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    _index(op.f('ix_service_area_name'), 'service_area', ['name'])
    _index(op.f('ix_service_area_service_id'), 'service_area', ['service_id'])

    _table('service_at_location',
    sa.Column('id', sa.String(length=250), nullable=False),
    sa.Column('service_id', sa.String(length=120), nullable=False),
    sa.Column('location_id', sa.String(length=120), nullable=False),
    sa.ForeignKeyConstraint(['location_id'], ['location.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['service_id'], ['service.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('service_id', 'location_id')
    )
    _index(op.f('ix_service_at_location_location_id'), 'service_at_location', ['location_id'])
    _index(op.f('ix_service_at_location_service_id'), 'service_at_location', ['service_id'])

    _table('service_category',
    sa.Column('service_id', sa.String(length=120), nullable=False),
    sa.Column('category', sa.String(length=40), nullable=False),
    sa.ForeignKeyConstraint(['service_id'], ['service.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('service_id', 'category')
    )
    _index('ix_service_category_code', 'service_category', ['category', 'service_id'])

    _table('service_translation',
    sa.Column('service_id', sa.String(length=120), nullable=False),
    sa.Column('language', sa.String(length=10), nullable=False),
    sa.Column('name', sa.String(length=300), nullable=True),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('source_url', sa.String(length=1000), nullable=False),
    sa.ForeignKeyConstraint(['service_id'], ['service.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('service_id', 'language')
    )
    _table('service_tag',
    sa.Column('service_id', sa.String(length=120), nullable=False),
    sa.Column('tag', sa.String(length=40), nullable=False),
    sa.ForeignKeyConstraint(['service_id'], ['service.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('service_id', 'tag')
    )
    _append_only_audit()


def downgrade() -> None:
    _drop_append_only_audit()
    op.drop_table('service_translation')
    op.drop_table('service_tag')
    op.drop_index('ix_service_category_code', table_name='service_category')

    op.drop_table('service_category')
    op.drop_index(op.f('ix_service_at_location_service_id'), table_name='service_at_location')
    op.drop_index(op.f('ix_service_at_location_location_id'), table_name='service_at_location')

    op.drop_table('service_at_location')
    op.drop_index(op.f('ix_service_area_service_id'), table_name='service_area')
    op.drop_index(op.f('ix_service_area_name'), table_name='service_area')

    op.drop_table('service_area')
    op.drop_index('ix_search_point_location', table_name='search_point')
    op.drop_index('ix_search_point_find', table_name='search_point')

    op.drop_table('search_point')
    op.drop_index(op.f('ix_schedule_service_id'), table_name='schedule')

    op.drop_table('schedule')
    op.drop_index(op.f('ix_phone_service_id'), table_name='phone')

    op.drop_table('phone')
    op.drop_table('language')
    op.drop_table('address')
    op.drop_index('ix_service_status', table_name='service')
    op.drop_index('ix_service_statewide_only', table_name='service')
    op.drop_index(op.f('ix_service_organization_id'), table_name='service')

    op.drop_table('service')
    op.drop_index(op.f('ix_location_organization_id'), table_name='location')
    op.drop_index('ix_location_lat_lon', table_name='location')
    op.drop_index(op.f('ix_location_county'), table_name='location')

    op.drop_table('location')
    op.drop_table('organization')
    op.drop_index(op.f('ix_change_log_service_id'), table_name='change_log')

    op.drop_table('change_log')
    op.drop_index(op.f('ix_desk_note_handoff_id'), table_name='desk_note')

    op.drop_table('desk_note')
    op.drop_index('ix_message_conversation', table_name='message')

    op.drop_table('message')
    op.drop_index('ix_handoff_state', table_name='handoff')

    op.drop_table('handoff')
    op.drop_index(op.f('ix_desk_session_user_id'), table_name='desk_session')

    op.drop_table('desk_session')
    op.drop_index(op.f('ix_sms_senders_updated_at'), table_name='sms_senders')
    op.drop_index(op.f('ix_sms_senders_conversation_id'), table_name='sms_senders')

    op.drop_table('sms_senders')
    op.drop_index(op.f('ix_sms_seen_seen_at'), table_name='sms_seen')

    op.drop_table('sms_seen')
    op.drop_index(op.f('ix_sms_outbox_next_attempt_at'), table_name='sms_outbox')
    op.drop_index(op.f('ix_sms_outbox_conversation_id'), table_name='sms_outbox')

    op.drop_table('sms_outbox')
    op.drop_table('insight_count')
    op.drop_table('desk_user')
    op.drop_index('ix_desk_login_failure_key', table_name='desk_login_failure')

    op.drop_table('desk_login_failure')
    op.drop_index(op.f('ix_desk_audit_handoff_id'), table_name='desk_audit')
    op.drop_index(op.f('ix_desk_audit_at'), table_name='desk_audit')

    op.drop_table('desk_audit')
    op.drop_index(op.f('ix_conversation_last_activity_at'), table_name='conversation')

    op.drop_table('conversation')
