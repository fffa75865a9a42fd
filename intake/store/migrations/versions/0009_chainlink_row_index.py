"""chain links indexed by (table, row): a row is checked against its own link on read

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03 09:50:00
"""
from __future__ import annotations

from alembic import op


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('chainlink', schema=None) as batch_op:
        batch_op.create_index('ix_chainlink_table_row', ['table_name', 'row_pk'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('chainlink', schema=None) as batch_op:
        batch_op.drop_index('ix_chainlink_table_row')
