"""identification tags, lab results, sampling plan

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-28 13:15:53.006313
"""
from __future__ import annotations

from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def _has_table(name: str) -> bool:
    return sa.inspect(op.get_bind()).has_table(name)


def upgrade() -> None:
    if not _has_table('labresult'):  # created directly by an older start-up
        op.create_table('labresult',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('blind_code', sa.Integer(), nullable=False),
        sa.Column('property', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column('value', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column('unit', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column('lab', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column('verdict', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column('recorded_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint('id')
        )
        with op.batch_alter_table('labresult', schema=None) as batch_op:
            batch_op.create_index(batch_op.f('ix_labresult_blind_code'), ['blind_code'], unique=False)

    if not _has_table('sampling_commitment'):  # created directly by an older start-up
        op.create_table('sampling_commitment',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('site', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column('day', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column('sha256', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column('committed_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('site', 'day')
        )
        with op.batch_alter_table('sampling_commitment', schema=None) as batch_op:
            batch_op.create_index(batch_op.f('ix_sampling_commitment_day'), ['day'], unique=False)

    if not _has_table('sampling_reveal'):  # created directly by an older start-up
        op.create_table('sampling_reveal',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('site', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column('day', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column('seed_hex', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column('revealed_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('site', 'day')
        )
        with op.batch_alter_table('sampling_reveal', schema=None) as batch_op:
            batch_op.create_index(batch_op.f('ix_sampling_reveal_day'), ['day'], unique=False)

    if not _has_table('sampling_seed'):  # created directly by an older start-up
        op.create_table('sampling_seed',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('site', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column('day', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column('seed_hex', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('site', 'day')
        )
        with op.batch_alter_table('sampling_seed', schema=None) as batch_op:
            batch_op.create_index(batch_op.f('ix_sampling_seed_day'), ['day'], unique=False)

    if not _has_table('vehicletag'):  # created directly by an older start-up
        op.create_table('vehicletag',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('tag', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column('vehicle_id', sa.Integer(), nullable=False),
        sa.Column('active', sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(['vehicle_id'], ['vehicle.id'], ),
        sa.PrimaryKeyConstraint('id')
        )
        with op.batch_alter_table('vehicletag', schema=None) as batch_op:
            batch_op.create_index(batch_op.f('ix_vehicletag_tag'), ['tag'], unique=True)
            batch_op.create_index(batch_op.f('ix_vehicletag_vehicle_id'), ['vehicle_id'], unique=False)

    if not _has_table('sampling_selection'):  # created directly by an older start-up
        op.create_table('sampling_selection',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('visit_id', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column('site', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column('day', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column('supplier', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column('material', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column('history', sa.JSON(), nullable=True),
        sa.Column('params', sa.JSON(), nullable=True),
        sa.Column('load_kg', sa.Integer(), nullable=False),
        sa.Column('point_spec', sa.JSON(), nullable=True),
        sa.Column('bed_mm', sa.JSON(), nullable=True),
        sa.Column('draw', sa.Float(), nullable=False),
        sa.Column('rate', sa.Float(), nullable=False),
        sa.Column('mode', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column('reason', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column('sampled', sa.Boolean(), nullable=False),
        sa.Column('lot_id', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column('lot_no', sa.Integer(), nullable=False),
        sa.Column('points_m', sa.JSON(), nullable=True),
        sa.Column('plan_error', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column('recorded_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['visit_id'], ['visit.id'], ),
        sa.PrimaryKeyConstraint('id')
        )
        with op.batch_alter_table('sampling_selection', schema=None) as batch_op:
            batch_op.create_index(batch_op.f('ix_sampling_selection_day'), ['day'], unique=False)
            batch_op.create_index(batch_op.f('ix_sampling_selection_lot_id'), ['lot_id'], unique=False)
            batch_op.create_index(batch_op.f('ix_sampling_selection_material'), ['material'], unique=False)
            batch_op.create_index(batch_op.f('ix_sampling_selection_supplier'), ['supplier'], unique=False)
            batch_op.create_index(batch_op.f('ix_sampling_selection_visit_id'), ['visit_id'], unique=True)


def downgrade() -> None:
    with op.batch_alter_table('sampling_selection', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sampling_selection_visit_id'))
        batch_op.drop_index(batch_op.f('ix_sampling_selection_supplier'))
        batch_op.drop_index(batch_op.f('ix_sampling_selection_material'))
        batch_op.drop_index(batch_op.f('ix_sampling_selection_lot_id'))
        batch_op.drop_index(batch_op.f('ix_sampling_selection_day'))

    op.drop_table('sampling_selection')
    with op.batch_alter_table('vehicletag', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_vehicletag_vehicle_id'))
        batch_op.drop_index(batch_op.f('ix_vehicletag_tag'))

    op.drop_table('vehicletag')
    with op.batch_alter_table('sampling_seed', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sampling_seed_day'))

    op.drop_table('sampling_seed')
    with op.batch_alter_table('sampling_reveal', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sampling_reveal_day'))

    op.drop_table('sampling_reveal')
    with op.batch_alter_table('sampling_commitment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sampling_commitment_day'))

    op.drop_table('sampling_commitment')
    with op.batch_alter_table('labresult', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_labresult_blind_code'))

    op.drop_table('labresult')
