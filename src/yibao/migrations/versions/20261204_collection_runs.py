"""Collection runs (issue 16 item 1): collection files imported once, the banks' monthly withholding requests
and their lines.

Revision ID: d889bd82ad2a
Revises: e4364df62147
Create Date: 2026-12-04 19:21:21.714413
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = 'd889bd82ad2a'
down_revision = 'e4364df62147'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('collection_files',
    sa.Column('file_id', sa.String(length=60), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('lines', sa.Integer(), nullable=False),
    sa.Column('paid', sa.Integer(), nullable=False),
    sa.Column('amount', sa.Numeric(precision=16, scale=2), nullable=False),
    sa.Column('refused', sa.Integer(), nullable=False),
    sa.Column('report', sa.Text(), nullable=False),
    sa.Column('created_by', sa.String(length=50), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('file_id', name=op.f('pk_collection_files'))
    )
    op.create_table('withholding_runs',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('bank', sa.String(length=20), nullable=False),
    sa.Column('month', sa.String(length=7), nullable=False),
    sa.Column('deduct_on', sa.Date(), nullable=False),
    sa.Column('lines', sa.Integer(), nullable=False),
    sa.Column('amount', sa.Numeric(precision=16, scale=2), nullable=False),
    sa.Column('excluded', sa.Text(), nullable=False),
    sa.Column('created_by', sa.String(length=50), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_withholding_runs'))
    )
    with op.batch_alter_table('withholding_runs', schema=None) as batch_op:
        batch_op.create_index('uq_withholding_runs_bank_month', ['bank', 'month'], unique=True)

    op.create_table('withholding_lines',
    sa.Column('run_id', sa.String(length=32), nullable=False),
    sa.Column('line', sa.Integer(), nullable=False),
    sa.Column('psn_no', sa.String(length=20), nullable=False),
    sa.Column('bill_no', sa.String(length=30), nullable=False),
    sa.Column('agreement_id', sa.String(length=32), nullable=False),
    sa.Column('card_no', sa.String(length=224), nullable=False),  # db.Sealed("bank_card", 30)
    sa.Column('amount', sa.Numeric(precision=16, scale=2), nullable=False),
    sa.Column('outcome', sa.String(length=20), nullable=False),
    sa.Column('reason', sa.String(length=200), nullable=True),
    sa.Column('reference', sa.String(length=60), nullable=True),
    sa.Column('file_id', sa.String(length=60), nullable=True),
    sa.ForeignKeyConstraint(['run_id'], ['withholding_runs.id'], name=op.f('fk_withholding_lines_run_id_withholding_runs')),
    sa.PrimaryKeyConstraint('run_id', 'line', name=op.f('pk_withholding_lines'))
    )
    with op.batch_alter_table('withholding_lines', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_withholding_lines_psn_no'), ['psn_no'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('withholding_lines', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_withholding_lines_psn_no'))

    op.drop_table('withholding_lines')
    with op.batch_alter_table('withholding_runs', schema=None) as batch_op:
        batch_op.drop_index('uq_withholding_runs_bank_month')

    op.drop_table('withholding_runs')
    op.drop_table('collection_files')
