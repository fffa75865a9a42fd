"""Baseline: the first slice's tables, the weighing's audit fields, the audit chain and sync cursor.

Revision ID: 0001
Revises: (none)
Create Date: 2026-11-28 12:44:29.208543
"""
from __future__ import annotations

from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('chainlink',
    sa.Column('seq', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('record_uuid', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
    sa.Column('table_name', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('row_pk', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('mac', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.PrimaryKeyConstraint('seq'),
    sa.UniqueConstraint('record_uuid')
    )
    op.create_table('material',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('name_zh', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('material', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_material_code'), ['code'], unique=True)

    op.create_table('supplier',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('supplier', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_supplier_code'), ['code'], unique=True)

    op.create_table('synccursor',
    sa.Column('target', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('acked_seq', sa.Integer(), nullable=False),
    sa.Column('updated_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('target')
    )
    op.create_table('vehicle',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('plate', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('supplier_id', sa.Integer(), nullable=False),
    sa.Column('bed_length_mm', sa.Integer(), nullable=False),
    sa.Column('bed_width_mm', sa.Integer(), nullable=False),
    sa.Column('stored_tare_kg', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['supplier_id'], ['supplier.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('vehicle', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_vehicle_plate'), ['plate'], unique=True)

    op.create_table('deliveryorder',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('supplier_id', sa.Integer(), nullable=False),
    sa.Column('material_id', sa.Integer(), nullable=False),
    sa.Column('vehicle_id', sa.Integer(), nullable=False),
    sa.Column('expected_kg', sa.Integer(), nullable=False),
    sa.Column('is_open', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['material_id'], ['material.id'], ),
    sa.ForeignKeyConstraint(['supplier_id'], ['supplier.id'], ),
    sa.ForeignKeyConstraint(['vehicle_id'], ['vehicle.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('deliveryorder', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_deliveryorder_code'), ['code'], unique=True)
        batch_op.create_index(batch_op.f('ix_deliveryorder_vehicle_id'), ['vehicle_id'], unique=False)

    op.create_table('visit',
    sa.Column('id', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('lane', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('vehicle_id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('opened_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['order_id'], ['deliveryorder.id'], ),
    sa.ForeignKeyConstraint(['vehicle_id'], ['vehicle.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('visit', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_visit_opened_at'), ['opened_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_visit_vehicle_id'), ['vehicle_id'], unique=False)

    op.create_table('decision',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('visit_id', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('verdict', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('reasons', sa.JSON(), nullable=True),
    sa.Column('label', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('decided_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['visit_id'], ['visit.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('decision', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_decision_decided_at'), ['decided_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_decision_visit_id'), ['visit_id'], unique=False)

    op.create_table('sample',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('visit_id', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('blind_code', sa.Integer(), nullable=False),
    sa.Column('draw', sa.Float(), nullable=False),
    sa.Column('points_m', sa.JSON(), nullable=True),
    sa.Column('recorded_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['visit_id'], ['visit.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('sample', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sample_visit_id'), ['visit_id'], unique=False)

    op.create_table('weighing',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('visit_id', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('weight_kg', sa.Integer(), nullable=False),
    sa.Column('scale_port', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('cal_counter', sa.Integer(), nullable=False),
    sa.Column('cfg_counter', sa.Integer(), nullable=False),
    sa.Column('sw_version', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('sw_hash', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('recorded_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['visit_id'], ['visit.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('weighing', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_weighing_visit_id'), ['visit_id'], unique=False)

    op.create_table('inspection',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('sample_id', sa.Integer(), nullable=False),
    sa.Column('model_sha256', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('label', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('confidence', sa.Float(), nullable=True),
    sa.Column('probs', sa.JSON(), nullable=True),
    sa.Column('frames_agree', sa.Boolean(), nullable=False),
    sa.Column('faults', sa.JSON(), nullable=True),
    sa.Column('recorded_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['sample_id'], ['sample.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('inspection', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_inspection_sample_id'), ['sample_id'], unique=False)

    op.create_table('sampleresult',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('sample_id', sa.Integer(), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('mass_g', sa.Integer(), nullable=True),
    sa.Column('failure', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('recorded_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['sample_id'], ['sample.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('sampleresult', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sampleresult_sample_id'), ['sample_id'], unique=False)

    op.create_table('frame',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('inspection_id', sa.Integer(), nullable=False),
    sa.Column('path', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('sha256', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('quality_ok', sa.Boolean(), nullable=False),
    sa.Column('quality', sa.JSON(), nullable=True),
    sa.Column('label', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('confidence', sa.Float(), nullable=True),
    sa.ForeignKeyConstraint(['inspection_id'], ['inspection.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('frame', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_frame_inspection_id'), ['inspection_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('frame', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_frame_inspection_id'))

    op.drop_table('frame')
    with op.batch_alter_table('sampleresult', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sampleresult_sample_id'))

    op.drop_table('sampleresult')
    with op.batch_alter_table('inspection', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_inspection_sample_id'))

    op.drop_table('inspection')
    with op.batch_alter_table('weighing', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_weighing_visit_id'))

    op.drop_table('weighing')
    with op.batch_alter_table('sample', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sample_visit_id'))

    op.drop_table('sample')
    with op.batch_alter_table('decision', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_decision_visit_id'))
        batch_op.drop_index(batch_op.f('ix_decision_decided_at'))

    op.drop_table('decision')
    with op.batch_alter_table('visit', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_visit_vehicle_id'))
        batch_op.drop_index(batch_op.f('ix_visit_opened_at'))

    op.drop_table('visit')
    with op.batch_alter_table('deliveryorder', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_deliveryorder_vehicle_id'))
        batch_op.drop_index(batch_op.f('ix_deliveryorder_code'))

    op.drop_table('deliveryorder')
    with op.batch_alter_table('vehicle', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_vehicle_plate'))

    op.drop_table('vehicle')
    op.drop_table('synccursor')
    with op.batch_alter_table('supplier', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_supplier_code'))

    op.drop_table('supplier')
    with op.batch_alter_table('material', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_material_code'))

    op.drop_table('material')
    op.drop_table('chainlink')
