"""Metrology: scale verification records, calibration records and the audit-trail event
counters (intake/metrology/tables.py), all chained.

Revision ID: 0004
Revises: 0001 (set to the head at merge time; 0002/0003 are being written in parallel)
Create Date: 2026-11-28 13:08:56.868385
"""
from __future__ import annotations

from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = '0004'
down_revision = '0001'
branch_labels = None
depends_on = None


def _exists(name: str) -> bool:
    # Tables registered before this migration existed were created directly at start
    # (intake.store.db._create_unmigrated); leave those in place.
    return sa.inspect(op.get_bind()).has_table(name)


def upgrade() -> None:
    if not _exists('calibrationrecord'):
        _calibrationrecord()
    if not _exists('eventcounter'):
        _eventcounter()
    if not _exists('verificationrecord'):
        _verificationrecord()


def _calibrationrecord() -> None:
    op.create_table('calibrationrecord',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('transmitter', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('max_kg', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('e_kg', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('gain_kg_per_count', sa.Float(), nullable=False),
    sa.Column('zero_counts', sa.Float(), nullable=False),
    sa.Column('worst_residual_e', sa.Float(), nullable=False),
    sa.Column('points', sa.JSON(), nullable=True),
    sa.Column('file_name', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
    sa.Column('file_sha256', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('cal_counter', sa.Integer(), nullable=False),
    sa.Column('technician', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
    sa.Column('sw_version', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('sw_hash', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('recorded_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )


def _eventcounter() -> None:
    op.create_table('eventcounter',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('counter', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('value', sa.Integer(), nullable=False),
    sa.Column('total', sa.Integer(), nullable=False),
    sa.Column('parameters', sa.JSON(), nullable=True),
    sa.Column('source', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('sw_version', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('sw_hash', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('recorded_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('counter', 'total', name='uq_eventcounter_counter_total')
    )
    with op.batch_alter_table('eventcounter', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_eventcounter_counter'), ['counter'], unique=False)


def _verificationrecord() -> None:
    op.create_table('verificationrecord',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('indicator', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('protocol', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('max_kg', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('e_kg', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('accuracy_class', sqlmodel.sql.sqltypes.AutoString(length=4), nullable=False),
    sa.Column('in_service', sa.Boolean(), nullable=False),
    sa.Column('passed', sa.Boolean(), nullable=False),
    sa.Column('steps', sa.JSON(), nullable=True),
    sa.Column('technician', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
    sa.Column('cal_counter', sa.Integer(), nullable=False),
    sa.Column('cfg_counter', sa.Integer(), nullable=False),
    sa.Column('sw_version', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('sw_hash', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('recorded_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )


def downgrade() -> None:
    op.drop_table('verificationrecord')
    with op.batch_alter_table('eventcounter', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_eventcounter_counter'))

    op.drop_table('eventcounter')
    op.drop_table('calibrationrecord')
