"""Institution clearing (清算, S18 §6; issue 16 item 2): statements per institution and month, audit's deductions;
settlements record the statement that took them.

Revision ID: e4364df62147
Revises: 7bb267db1bfb
Create Date: 2026-12-04 19:12:39.836182
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = 'e4364df62147'
down_revision = '7bb267db1bfb'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('clearing_deductions',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('fixmedins_code', sa.String(length=20), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('fund', sa.String(length=6), nullable=False),
    sa.Column('amount', sa.Numeric(precision=16, scale=2), nullable=False),
    sa.Column('setl_id', sa.String(length=30), nullable=True),
    sa.Column('reason', sa.String(length=200), nullable=False),
    sa.Column('case_ref', sa.String(length=40), nullable=True),
    sa.Column('decided_by', sa.String(length=50), nullable=False),
    sa.Column('decided_at', sa.DateTime(), nullable=False),
    sa.Column('clearing_id', sa.String(length=32), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_clearing_deductions'))
    )
    with op.batch_alter_table('clearing_deductions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_clearing_deductions_clearing_id'), ['clearing_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_clearing_deductions_fixmedins_code'), ['fixmedins_code'], unique=False)

    op.create_table('clearings',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('fixmedins_code', sa.String(length=20), nullable=False),
    sa.Column('month', sa.String(length=7), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('settlements', sa.Integer(), nullable=False),
    sa.Column('medfee_sumamt', sa.Numeric(precision=16, scale=2), nullable=False),
    sa.Column('hifp_pay', sa.Numeric(precision=16, scale=2), nullable=False),
    sa.Column('hifmi_pay', sa.Numeric(precision=16, scale=2), nullable=False),
    sa.Column('maf_pay', sa.Numeric(precision=16, scale=2), nullable=False),
    sa.Column('fund_pay_sumamt', sa.Numeric(precision=16, scale=2), nullable=False),
    sa.Column('acct_pay', sa.Numeric(precision=16, scale=2), nullable=False),
    sa.Column('psn_cash_pay', sa.Numeric(precision=16, scale=2), nullable=False),
    sa.Column('deductions', sa.Numeric(precision=16, scale=2), nullable=False),
    sa.Column('payable', sa.Numeric(precision=16, scale=2), nullable=False),
    sa.Column('by_benefit', sa.Text(), nullable=False),
    sa.Column('built_by', sa.String(length=50), nullable=False),
    sa.Column('built_at', sa.DateTime(), nullable=False),
    sa.Column('approved_by', sa.String(length=50), nullable=True),
    sa.Column('approved_at', sa.DateTime(), nullable=True),
    sa.Column('approval_entry', sa.String(length=32), nullable=True),
    sa.Column('paid_by', sa.String(length=50), nullable=True),
    sa.Column('paid_at', sa.DateTime(), nullable=True),
    sa.Column('payment_ref', sa.String(length=60), nullable=True),
    sa.Column('payment_entry', sa.String(length=32), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_clearings'))
    )
    with op.batch_alter_table('clearings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_clearings_fixmedins_code'), ['fixmedins_code'], unique=False)
        batch_op.create_index('uq_clearings_live_month', ['fixmedins_code', 'month'], unique=True, sqlite_where=sa.text("status != 'discarded'"), postgresql_where=sa.text("status != 'discarded'"))

    with op.batch_alter_table('settlements', schema=None) as batch_op:
        batch_op.add_column(sa.Column('clearing_id', sa.String(length=32), nullable=True))
        batch_op.create_index('ix_settlements_clearing', ['clearing_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('settlements', schema=None) as batch_op:
        batch_op.drop_index('ix_settlements_clearing')
        batch_op.drop_column('clearing_id')

    with op.batch_alter_table('clearings', schema=None) as batch_op:
        batch_op.drop_index('uq_clearings_live_month', sqlite_where=sa.text("status != 'discarded'"), postgresql_where=sa.text("status != 'discarded'"))
        batch_op.drop_index(batch_op.f('ix_clearings_fixmedins_code'))

    op.drop_table('clearings')
    with op.batch_alter_table('clearing_deductions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_clearing_deductions_fixmedins_code'))
        batch_op.drop_index(batch_op.f('ix_clearing_deductions_clearing_id'))

    op.drop_table('clearing_deductions')
