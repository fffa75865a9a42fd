"""spot-checks (intake.store.spotchecks): a reviewer's chained look at a PASS load, which writes
no decision; and the index the queue's search by blind code needs (sample.blind_code). An index
on visit.order_id is deliberately not made: SQLite's planner then drives the queue counts'
grouping from the orders and reads the whole decision table at random (35 s instead of a scan).
A new table and new indexes only, no existing rows.

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-06 20:53:48
"""
from __future__ import annotations

from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('spotcheck',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('visit_id', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('decision_id', sa.Integer(), nullable=False),
    sa.Column('reviewer_id', sa.Integer(), nullable=False),
    sa.Column('reviewer', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('agrees', sa.Boolean(), nullable=False),
    sa.Column('label', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('reason', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('checked_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['decision_id'], ['decision.id'], ),
    sa.ForeignKeyConstraint(['visit_id'], ['visit.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('decision_id')
    )
    with op.batch_alter_table('spotcheck', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_spotcheck_checked_at'), ['checked_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_spotcheck_visit_id'), ['visit_id'], unique=False)

    with op.batch_alter_table('sample', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sample_blind_code'), ['blind_code'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('sample', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sample_blind_code'))

    with op.batch_alter_table('spotcheck', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_spotcheck_visit_id'))
        batch_op.drop_index(batch_op.f('ix_spotcheck_checked_at'))

    op.drop_table('spotcheck')
