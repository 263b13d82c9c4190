"""Parameters an administrator sets (issue 17 item 5): the amendments of the editions, and which of them each
settlement used.

Revision ID: ab1dc9f63ad7
Revises: 9d596bd1afa5
Create Date: 2026-12-03 11:25:03.473531
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = 'ab1dc9f63ad7'
down_revision = '9d596bd1afa5'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('policy_amendments',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('edition', sa.String(length=10), nullable=False),
    sa.Column('path', sa.String(length=200), nullable=False),
    sa.Column('value', sa.String(length=100), nullable=True),
    sa.Column('source', sa.String(length=300), nullable=False),
    sa.Column('effective_from', sa.Date(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('proposed_by', sa.String(length=60), nullable=False),
    sa.Column('proposed_at', sa.DateTime(), nullable=False),
    sa.Column('decided_by', sa.String(length=60), nullable=True),
    sa.Column('decided_at', sa.DateTime(), nullable=True),
    sa.Column('decision_note', sa.String(length=200), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_policy_amendments'))
    )
    with op.batch_alter_table('policy_amendments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_policy_amendments_status'), ['status'], unique=False)

    with op.batch_alter_table('settlements', schema=None) as batch_op:
        batch_op.add_column(sa.Column('amendments', sa.String(length=400), nullable=True))



def downgrade() -> None:
    with op.batch_alter_table('settlements', schema=None) as batch_op:
        batch_op.drop_column('amendments')

    with op.batch_alter_table('policy_amendments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_policy_amendments_status'))

    op.drop_table('policy_amendments')
