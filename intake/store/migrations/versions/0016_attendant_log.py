"""attendant log (intake.store.attendant): drivers' calls, attendants' requests from the console
and the gate's answers, chained. New table only, no existing rows.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-06 21:00:00
"""
from __future__ import annotations

from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('attendant_event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('lane', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('visit_id', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('action', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True),
    sa.Column('reason', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
    sa.Column('by', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('request_id', sa.Integer(), nullable=True),
    sa.Column('decision_id', sa.Integer(), nullable=True),
    sa.Column('refused', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['decision_id'], ['decision.id'], ),
    sa.ForeignKeyConstraint(['visit_id'], ['visit.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('attendant_event', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_attendant_event_lane'), ['lane'], unique=False)
        batch_op.create_index(batch_op.f('ix_attendant_event_visit_id'), ['visit_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('attendant_event', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_attendant_event_visit_id'))
        batch_op.drop_index(batch_op.f('ix_attendant_event_lane'))

    op.drop_table('attendant_event')
