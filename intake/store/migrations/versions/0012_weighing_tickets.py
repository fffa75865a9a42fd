"""weighing tickets (intake.ticket.tables): the ticket issued after each weigh-out and each
print of it, both chained. No existing rows: tickets start with the first weigh-out after this.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-03 16:24:42
"""
from __future__ import annotations

from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('ticket',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('code', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('visit_id', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('plant', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('lane', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('plate', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('supplier_code', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('supplier_name', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('order_code', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('material_code', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('material_name', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('material_name_zh', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('gross_kg', sa.Integer(), nullable=True),
    sa.Column('second_kg', sa.Integer(), nullable=True),
    sa.Column('second_kind', sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
    sa.Column('tare_source', sqlmodel.sql.sqltypes.AutoString(length=8), nullable=True),
    sa.Column('net_kg', sa.Integer(), nullable=False),
    sa.Column('received', sa.Boolean(), nullable=False),
    sa.Column('weighed_in_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('weighed_out_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('indicator', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
    sa.Column('scale_max_kg', sa.Integer(), nullable=True),
    sa.Column('scale_e_kg', sa.Float(), nullable=True),
    sa.Column('verdict', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True),
    sa.Column('reasons', sa.JSON(), nullable=True),
    sa.Column('blind_code', sa.Integer(), nullable=True),
    sa.Column('issued_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('issued_by', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.ForeignKeyConstraint(['visit_id'], ['visit.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('code'),
    sa.UniqueConstraint('number'),
    sa.UniqueConstraint('visit_id')
    )
    op.create_table('ticket_print',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('ticket_id', sa.Integer(), nullable=False),
    sa.Column('reprint', sa.Boolean(), nullable=False),
    sa.Column('output', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('target', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
    sa.Column('ok', sa.Boolean(), nullable=False),
    sa.Column('error', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
    sa.Column('by', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['ticket_id'], ['ticket.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('ticket_print', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ticket_print_ticket_id'), ['ticket_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('ticket_print', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ticket_print_ticket_id'))

    op.drop_table('ticket_print')
    op.drop_table('ticket')
