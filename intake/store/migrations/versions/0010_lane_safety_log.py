"""lane safety log: latched lane faults and technicians' resets (intake.store.lane_events)

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03 12:59:17
"""
from __future__ import annotations

from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('lane_event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('lane', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('faults', sa.JSON(), nullable=True),
    sa.Column('by', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
    sa.Column('login', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('request_id', sa.Integer(), nullable=True),
    sa.Column('at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('lane_event', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_lane_event_lane'), ['lane'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('lane_event', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_lane_event_lane'))

    op.drop_table('lane_event')
