"""Civil affairs' temporary assistance (民政临时救助), which the high-cost relief deducts (issue 17 item 4).

Revision ID: 191800f30beb
Revises: 313c24c5913d
Create Date: 2026-12-03 12:00:13.615165
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '191800f30beb'
down_revision = '313c24c5913d'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('temporary_assistance',
    sa.Column('psn_no', sa.String(length=20), nullable=False),
    sa.Column('ref', sa.String(length=40), nullable=False),
    sa.Column('granted_on', sa.Date(), nullable=False),
    sa.Column('amount', sa.Numeric(precision=16, scale=2), nullable=False),
    sa.Column('file_id', sa.String(length=60), nullable=False),
    sa.Column('created_by', sa.String(length=50), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['psn_no'], ['persons.psn_no'], name=op.f('fk_temporary_assistance_psn_no_persons')),
    sa.PrimaryKeyConstraint('psn_no', 'ref', name=op.f('pk_temporary_assistance'))
    )
    with op.batch_alter_table('temporary_assistance', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_temporary_assistance_file_id'), ['file_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('temporary_assistance', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_temporary_assistance_file_id'))

    op.drop_table('temporary_assistance')
