"""settlement records: visits chained, master data changed only through chained change records
(intake.store.master_changes). Rows already there are listed in seal_pending and sealed at the
next start with the audit key (a migration has no key).

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03 13:32:23.671863
"""
from __future__ import annotations

from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('master_change',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('table_name', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('row_pk', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('old', sa.JSON(), nullable=True),
    sa.Column('new', sa.JSON(), nullable=True),
    sa.Column('by', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('why', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
    sa.Column('at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('master_change', schema=None) as batch_op:
        batch_op.create_index('ix_master_change_row', ['table_name', 'row_pk', 'id'], unique=False)

    op.create_table('seal_pending',
    sa.Column('table_name', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('row_pk', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.PrimaryKeyConstraint('table_name', 'row_pk')
    )


    # Seal once what is already there: the next start with the key links these visits and gives
    # these master rows a first change record marked as sealed.
    for table in ("visit", "supplier", "material", "vehicle", "deliveryorder", "vehicletag"):
        op.execute(f"INSERT INTO seal_pending (table_name, row_pk) SELECT '{table}', CAST(id AS VARCHAR(64)) FROM {table}")


def downgrade() -> None:
    op.drop_table('seal_pending')
    with op.batch_alter_table('master_change', schema=None) as batch_op:
        batch_op.drop_index('ix_master_change_row')

    op.drop_table('master_change')
