"""scale identity on weighings, measurements on inspections, stored tare date

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-28 14:43:53.066278
"""
from __future__ import annotations

from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Nullable additions only: rows linked before them keep verifying (intake.store.chain.late_columns).
    with op.batch_alter_table('inspection', schema=None) as batch_op:
        batch_op.add_column(sa.Column('measurements', sa.JSON(), nullable=True))

    with op.batch_alter_table('vehicle', schema=None) as batch_op:
        batch_op.add_column(sa.Column('stored_tare_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))

    with op.batch_alter_table('weighing', schema=None) as batch_op:
        batch_op.add_column(sa.Column('indicator', sqlmodel.sql.sqltypes.AutoString(), nullable=True))
        batch_op.add_column(sa.Column('scale_max_kg', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('scale_e_kg', sa.Float(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('weighing', schema=None) as batch_op:
        batch_op.drop_column('scale_e_kg')
        batch_op.drop_column('scale_max_kg')
        batch_op.drop_column('indicator')

    with op.batch_alter_table('vehicle', schema=None) as batch_op:
        batch_op.drop_column('stored_tare_at')

    with op.batch_alter_table('inspection', schema=None) as batch_op:
        batch_op.drop_column('measurements')
