"""The maternity medical subsidy's claims (生育医疗费定额补助, issue 17 item 1).

Revision ID: 313c24c5913d
Revises: ab1dc9f63ad7
Create Date: 2026-12-03 11:37:20.878649
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '313c24c5913d'
down_revision = 'ab1dc9f63ad7'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('maternity_claims',
    sa.Column('claim_no', sa.String(length=30), nullable=False),
    sa.Column('psn_no', sa.String(length=20), nullable=False),
    sa.Column('birth_date', sa.Date(), nullable=False),
    sa.Column('birth_cert_no', sa.String(length=224), nullable=False),  # db.Sealed("birth_cert_no", 30)
    sa.Column('children', sa.Integer(), nullable=False),
    sa.Column('amount', sa.Numeric(precision=16, scale=2), nullable=False),
    sa.Column('edition', sa.String(length=10), nullable=False),
    sa.Column('amendments', sa.String(length=400), nullable=True),
    sa.Column('source', sa.String(length=300), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('claimed_on', sa.Date(), nullable=False),
    sa.Column('created_by', sa.String(length=50), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('cancelled_reason', sa.String(length=200), nullable=True),
    sa.Column('cancelled_by', sa.String(length=50), nullable=True),
    sa.Column('cancelled_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['psn_no'], ['persons.psn_no'], name=op.f('fk_maternity_claims_psn_no_persons')),
    sa.PrimaryKeyConstraint('claim_no', name=op.f('pk_maternity_claims'))
    )
    with op.batch_alter_table('maternity_claims', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_maternity_claims_psn_no'), ['psn_no'], unique=False)
        batch_op.create_index('uq_maternity_claims_birth', ['psn_no', 'birth_date'], unique=True, sqlite_where=sa.text("status = 'paid'"), postgresql_where=sa.text("status = 'paid'"))



def downgrade() -> None:
    with op.batch_alter_table('maternity_claims', schema=None) as batch_op:
        batch_op.drop_index('uq_maternity_claims_birth', sqlite_where=sa.text("status = 'paid'"), postgresql_where=sa.text("status = 'paid'"))
        batch_op.drop_index(batch_op.f('ix_maternity_claims_psn_no'))

    op.drop_table('maternity_claims')
