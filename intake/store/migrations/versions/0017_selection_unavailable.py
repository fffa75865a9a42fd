"""sampling_selection.unavailable: why a truck the plan would sample could not be inspected
(the model unavailable); such a truck is recorded not sampled and is not probed. A nullable
addition to a chained table: rows linked before it keep verifying (chain.late_columns).

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-06 21:00:00
"""
from __future__ import annotations

from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('sampling_selection', schema=None) as batch_op:
        batch_op.add_column(sa.Column('unavailable', sqlmodel.sql.sqltypes.AutoString(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('sampling_selection', schema=None) as batch_op:
        batch_op.drop_column('unavailable')
