"""deck evidence (intake.evidence.tables): a snapshot per evidence camera view at every
weighing, with its SHA-256 or why the view is missing, and the removal of a visit's snapshots
under the retention policy. Both chained. New tables only, no existing rows.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-06 20:50:07
"""
from __future__ import annotations

from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('snapshot_removal',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('visit_id', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('rule', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('files', sa.Integer(), nullable=False),
    sa.Column('bytes_freed', sa.Integer(), nullable=False),
    sa.Column('removed_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['visit_id'], ['visit.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('snapshot_removal', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_snapshot_removal_visit_id'), ['visit_id'], unique=False)

    op.create_table('deck_snapshot',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('weighing_id', sa.Integer(), nullable=False),
    sa.Column('visit_id', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('lane', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('view', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('path', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('sha256', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('size_bytes', sa.Integer(), nullable=True),
    sa.Column('width', sa.Integer(), nullable=True),
    sa.Column('height', sa.Integer(), nullable=True),
    sa.Column('missing', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('taken_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['visit_id'], ['visit.id'], ),
    sa.ForeignKeyConstraint(['weighing_id'], ['weighing.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('deck_snapshot', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_deck_snapshot_lane'), ['lane'], unique=False)
        batch_op.create_index(batch_op.f('ix_deck_snapshot_visit_id'), ['visit_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_deck_snapshot_weighing_id'), ['weighing_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('deck_snapshot', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_deck_snapshot_weighing_id'))
        batch_op.drop_index(batch_op.f('ix_deck_snapshot_visit_id'))
        batch_op.drop_index(batch_op.f('ix_deck_snapshot_lane'))

    op.drop_table('deck_snapshot')
    with op.batch_alter_table('snapshot_removal', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_snapshot_removal_visit_id'))

    op.drop_table('snapshot_removal')
