"""Death registration (死亡登记, issue 15 / POLICY.md §12 rule MM04): a person's date of death and who reported it.

Revision ID: 0f672e475d62
Revises: bbab27c74213
Create Date: 2026-12-07 14:52:52.709666
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0f672e475d62'
down_revision = 'bbab27c74213'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('persons', schema=None) as batch_op:
        batch_op.add_column(sa.Column('death_date', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('death_source', sa.String(length=100), nullable=True))



def downgrade() -> None:
    with op.batch_alter_table('persons', schema=None) as batch_op:
        batch_op.drop_column('death_source')
        batch_op.drop_column('death_date')

