"""settlement export (intake.settlement): an index on the ticket's weigh-out time, so an export
of a period starts at its first delivery instead of scanning every ticket ever issued.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-04 18:40:00
"""
from __future__ import annotations

from alembic import op


revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('ticket', schema=None) as batch_op:
        batch_op.create_index('ix_ticket_weighed_out_at', ['weighed_out_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('ticket', schema=None) as batch_op:
        batch_op.drop_index('ix_ticket_weighed_out_at')
