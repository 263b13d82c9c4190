"""login sessions and sign-in throttle (issue 19 items 3–4)

Server-side sessions for staff, residents and desks replace staff_sessions (staff signed in before the
upgrade sign in again) and the signed resident/desk cookies; the sign-in throttle's counts replace the
accounts' lockout columns.

Revision ID: 71bda7f329b9
Revises: af21a77f3fee
Create Date: 2026-12-02 18:59:21.203066
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '71bda7f329b9'
down_revision = 'af21a77f3fee'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('login_sessions',
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('subject', sa.String(length=50), nullable=False),
    sa.Column('detail', sa.String(length=50), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('expires_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('token_hash', name=op.f('pk_login_sessions'))
    )
    with op.batch_alter_table('login_sessions', schema=None) as batch_op:
        batch_op.create_index('ix_login_sessions_subject', ['kind', 'subject'], unique=False)

    op.create_table('sign_in_failures',
    sa.Column('key', sa.String(length=200), nullable=False),
    sa.Column('failures', sa.Integer(), nullable=False),
    sa.Column('last_at', sa.DateTime(), nullable=False),
    sa.Column('blocked_until', sa.DateTime(), nullable=True),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_sign_in_failures'))
    )
    with op.batch_alter_table('staff_sessions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_staff_sessions_username'))

    op.drop_table('staff_sessions')
    with op.batch_alter_table('resident_accounts', schema=None) as batch_op:
        batch_op.drop_column('failed_sign_ins')
        batch_op.drop_column('locked_until')

    with op.batch_alter_table('staff_users', schema=None) as batch_op:
        batch_op.drop_column('failed_sign_ins')
        batch_op.drop_column('locked_until')



def downgrade() -> None:
    with op.batch_alter_table('staff_users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('locked_until', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('failed_sign_ins', sa.Integer(), server_default="0", nullable=False))

    with op.batch_alter_table('resident_accounts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('locked_until', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('failed_sign_ins', sa.Integer(), server_default="0", nullable=False))

    op.create_table('staff_sessions',
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('username', sa.String(length=50), nullable=False),
    sa.Column('expires_at', sa.DateTime(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['username'], ['staff_users.username'], name=op.f('fk_staff_sessions_username_staff_users')),
    sa.PrimaryKeyConstraint('token_hash', name=op.f('pk_staff_sessions'))
    )
    with op.batch_alter_table('staff_sessions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_staff_sessions_username'), ['username'], unique=False)

    op.drop_table('sign_in_failures')
    with op.batch_alter_table('login_sessions', schema=None) as batch_op:
        batch_op.drop_index('ix_login_sessions_subject')

    op.drop_table('login_sessions')
