"""参保证明 as issued (issue 20): kept so that a certificate can be verified by its serial and code.

Revision ID: 82effbaa73c0
Revises: 1ea98d895362
Create Date: 2026-12-07 23:56:49.738780
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '82effbaa73c0'
down_revision = '1ea98d895362'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('insurance_certificates',
    sa.Column('serial', sa.String(length=20), nullable=False),
    sa.Column('code', sa.String(length=8), nullable=False),
    sa.Column('psn_no', sa.String(length=20), nullable=False),
    sa.Column('content', sa.Text(), nullable=False),
    sa.Column('digest', sa.String(length=64), nullable=False),
    sa.Column('issued_at', sa.DateTime(), nullable=False),
    sa.Column('issued_by', sa.String(length=50), nullable=False),
    sa.Column('door', sa.String(length=10), nullable=False),
    sa.ForeignKeyConstraint(['psn_no'], ['persons.psn_no'], name=op.f('fk_insurance_certificates_psn_no_persons')),
    sa.PrimaryKeyConstraint('serial', name=op.f('pk_insurance_certificates'))
    )
    with op.batch_alter_table('insurance_certificates', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_insurance_certificates_psn_no'), ['psn_no'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('insurance_certificates', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_insurance_certificates_psn_no'))

    op.drop_table('insurance_certificates')
