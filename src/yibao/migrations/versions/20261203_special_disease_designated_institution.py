"""A special-disease filing may name the institution where the disease is treated (选定就医机构, issue 17 item 3).

Revision ID: 9d596bd1afa5
Revises: 3f7eb3fb044c
Create Date: 2026-12-03 11:16:42.180531
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '9d596bd1afa5'
down_revision = '3f7eb3fb044c'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('special_disease_filings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('designated_fixmedins_code', sa.String(length=20), nullable=True))



def downgrade() -> None:
    with op.batch_alter_table('special_disease_filings', schema=None) as batch_op:
        batch_op.drop_column('designated_fixmedins_code')

