"""Settlement terminals (结算终端, issue 15 / POLICY.md §12 rule ND03): the devices an institution registers,
and the terminal each settlement came from (the envelope's dev_no).

Revision ID: bbab27c74213
Revises: ab9618a02374
Create Date: 2026-12-07 14:34:44.227242
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = 'bbab27c74213'
down_revision = 'ab9618a02374'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('institution_devices',
    sa.Column('dev_no', sa.String(length=100), nullable=False),
    sa.Column('fixmedins_code', sa.String(length=20), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('registered_at', sa.DateTime(), nullable=False),
    sa.Column('retired_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['fixmedins_code'], ['institutions.fixmedins_code'], name=op.f('fk_institution_devices_fixmedins_code_institutions')),
    sa.PrimaryKeyConstraint('dev_no', name=op.f('pk_institution_devices'))
    )
    with op.batch_alter_table('institution_devices', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_institution_devices_fixmedins_code'), ['fixmedins_code'], unique=False)

    with op.batch_alter_table('settlements', schema=None) as batch_op:
        batch_op.add_column(sa.Column('dev_no', sa.String(length=100), nullable=True))



def downgrade() -> None:
    with op.batch_alter_table('settlements', schema=None) as batch_op:
        batch_op.drop_column('dev_no')

    with op.batch_alter_table('institution_devices', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_institution_devices_fixmedins_code'))

    op.drop_table('institution_devices')
