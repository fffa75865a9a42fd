"""alarm outbox (intake.alarms.tables): alarms raised by the site's [alarms] rules, one delivery
per channel with its retry state, and every delivery attempt. Operational rows, not chained.
New tables only, no existing rows.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-04 18:09:45
"""
from __future__ import annotations

from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('alarm',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('rule', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('event', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('lane', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('key', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('body', sa.JSON(), nullable=True),
    sa.Column('suppressed', sa.Boolean(), nullable=False),
    sa.Column('held_back', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('alarm', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_alarm_key'), ['key'], unique=False)
        batch_op.create_index('ix_alarm_rule_lane_at', ['rule', 'lane', 'at'], unique=False)

    op.create_table('alarm_delivery',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('alarm_id', sa.Integer(), nullable=False),
    sa.Column('channel', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('last_error', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
    sa.Column('sent_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['alarm_id'], ['alarm.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('alarm_delivery', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_alarm_delivery_alarm_id'), ['alarm_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_alarm_delivery_status'), ['status'], unique=False)

    op.create_table('alarm_attempt',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('delivery_id', sa.Integer(), nullable=False),
    sa.Column('at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('ok', sa.Boolean(), nullable=False),
    sa.Column('result', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
    sa.ForeignKeyConstraint(['delivery_id'], ['alarm_delivery.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('alarm_attempt', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_alarm_attempt_delivery_id'), ['delivery_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('alarm_attempt', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_alarm_attempt_delivery_id'))

    op.drop_table('alarm_attempt')
    with op.batch_alter_table('alarm_delivery', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_alarm_delivery_status'))
        batch_op.drop_index(batch_op.f('ix_alarm_delivery_alarm_id'))

    op.drop_table('alarm_delivery')
    with op.batch_alter_table('alarm', schema=None) as batch_op:
        batch_op.drop_index('ix_alarm_rule_lane_at')
        batch_op.drop_index(batch_op.f('ix_alarm_key'))

    op.drop_table('alarm')
