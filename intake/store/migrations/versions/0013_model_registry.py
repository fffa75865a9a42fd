"""model registry (intake.learning.tables): model versions, evaluations of candidates against
the model in service, promotions and rollbacks, all chained. No existing rows: until the first
promotion the gate uses the configured model.path.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-03 16:35:01
"""
from __future__ import annotations

from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('model_evaluation',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('candidate_sha256', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('current_sha256', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('dataset', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
    sa.Column('figures', sa.JSON(), nullable=True),
    sa.Column('worse', sa.JSON(), nullable=True),
    sa.Column('evaluated_by', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('evaluated_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('model_evaluation', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_model_evaluation_candidate_sha256'), ['candidate_sha256'], unique=False)

    op.create_table('model_version',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('version', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('sha256', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('path', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
    sa.Column('card', sa.JSON(), nullable=True),
    sa.Column('source', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
    sa.Column('registered_by', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('registered_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('sha256'),
    sa.UniqueConstraint('version')
    )
    op.create_table('model_promotion',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('action', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('version_id', sa.Integer(), nullable=False),
    sa.Column('previous_version_id', sa.Integer(), nullable=True),
    sa.Column('evaluation_id', sa.Integer(), nullable=True),
    sa.Column('override', sa.Boolean(), nullable=False),
    sa.Column('by', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('reason', sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=False),
    sa.Column('at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['evaluation_id'], ['model_evaluation.id'], ),
    sa.ForeignKeyConstraint(['previous_version_id'], ['model_version.id'], ),
    sa.ForeignKeyConstraint(['version_id'], ['model_version.id'], ),
    sa.PrimaryKeyConstraint('id')
    )


def downgrade() -> None:
    op.drop_table('model_promotion')
    op.drop_table('model_version')
    with op.batch_alter_table('model_evaluation', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_model_evaluation_candidate_sha256'))

    op.drop_table('model_evaluation')
