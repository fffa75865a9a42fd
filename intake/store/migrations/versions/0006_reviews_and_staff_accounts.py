"""reviews and staff accounts

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-28 13:22:45.140099
"""
from __future__ import annotations

from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def _has_table(name: str) -> bool:
    return sa.inspect(op.get_bind()).has_table(name)


def _has_index(table: str, name: str) -> bool:
    return any(ix["name"] == name for ix in sa.inspect(op.get_bind()).get_indexes(table))


def upgrade() -> None:
    if not _has_table('auth_login_attempt'):  # an older start-up may have created it directly
        op.create_table('auth_login_attempt',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('username', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column('client', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column('ok', sa.Boolean(), nullable=False),
        sa.Column('at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint('id')
        )
        with op.batch_alter_table('auth_login_attempt', schema=None) as batch_op:
            batch_op.create_index('ix_auth_login_attempt_client_at', ['client', 'at'], unique=False)
            batch_op.create_index('ix_auth_login_attempt_user_at', ['username', 'at'], unique=False)

    if not _has_table('auth_user'):  # an older start-up may have created it directly
        op.create_table('auth_user',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('username', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column('password_hash', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column('role', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column('disabled', sa.Boolean(), nullable=False),
        sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column('password_changed_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint('id')
        )
        with op.batch_alter_table('auth_user', schema=None) as batch_op:
            batch_op.create_index(batch_op.f('ix_auth_user_username'), ['username'], unique=True)

    if not _has_table('auth_session'):  # an older start-up may have created it directly
        op.create_table('auth_session',
        sa.Column('token_hash', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('csrf_token', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column('last_seen_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['auth_user.id'], ),
        sa.PrimaryKeyConstraint('token_hash')
        )
        with op.batch_alter_table('auth_session', schema=None) as batch_op:
            batch_op.create_index(batch_op.f('ix_auth_session_user_id'), ['user_id'], unique=False)

    if not _has_table('review'):  # an older start-up may have created it directly
        op.create_table('review',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('visit_id', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column('inspection_id', sa.Integer(), nullable=True),
        sa.Column('previous_decision_id', sa.Integer(), nullable=False),
        sa.Column('decision_id', sa.Integer(), nullable=False),
        sa.Column('reviewer_id', sa.Integer(), nullable=False),
        sa.Column('reviewer', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column('old_verdict', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column('new_verdict', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column('label', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column('reason', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column('reviewed_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['decision_id'], ['decision.id'], ),
        sa.ForeignKeyConstraint(['inspection_id'], ['inspection.id'], ),
        sa.ForeignKeyConstraint(['previous_decision_id'], ['decision.id'], ),
        sa.ForeignKeyConstraint(['visit_id'], ['visit.id'], ),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('decision_id'),
        sa.UniqueConstraint('previous_decision_id')
        )
        with op.batch_alter_table('review', schema=None) as batch_op:
            batch_op.create_index(batch_op.f('ix_review_inspection_id'), ['inspection_id'], unique=False)
            batch_op.create_index(batch_op.f('ix_review_reviewed_at'), ['reviewed_at'], unique=False)
            batch_op.create_index(batch_op.f('ix_review_visit_id'), ['visit_id'], unique=False)

    if not _has_index('decision', 'ix_decision_queue'):  # an older start-up may have created it directly
        with op.batch_alter_table('decision', schema=None) as batch_op:
            batch_op.create_index('ix_decision_queue', ['decided_at', 'verdict', 'label'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('decision', schema=None) as batch_op:
        batch_op.drop_index('ix_decision_queue')

    with op.batch_alter_table('review', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_review_visit_id'))
        batch_op.drop_index(batch_op.f('ix_review_reviewed_at'))
        batch_op.drop_index(batch_op.f('ix_review_inspection_id'))

    op.drop_table('review')
    with op.batch_alter_table('auth_session', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_auth_session_user_id'))

    op.drop_table('auth_session')
    with op.batch_alter_table('auth_user', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_auth_user_username'))

    op.drop_table('auth_user')
    with op.batch_alter_table('auth_login_attempt', schema=None) as batch_op:
        batch_op.drop_index('ix_auth_login_attempt_user_at')
        batch_op.drop_index('ix_auth_login_attempt_client_at')

    op.drop_table('auth_login_attempt')
