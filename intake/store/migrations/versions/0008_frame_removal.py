"""frame removal records (photo retention)

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-28 21:25:00
"""
from __future__ import annotations

from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('frameremoval',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('visit_id', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('verdict', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('rule', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('files', sa.Integer(), nullable=False),
    sa.Column('bytes_freed', sa.Integer(), nullable=False),
    sa.Column('removed_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['visit_id'], ['visit.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('frameremoval', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_frameremoval_visit_id'), ['visit_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('frameremoval', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_frameremoval_visit_id'))

    op.drop_table('frameremoval')
