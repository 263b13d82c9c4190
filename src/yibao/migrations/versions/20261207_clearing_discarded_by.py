"""A discarded clearing draft records who set it aside and when (it borrowed approved_by/approved_at before).

Revision ID: 1ea98d895362
Revises: 2dd88ed1a650
Create Date: 2026-12-07 23:53:05.803430
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '1ea98d895362'
down_revision = '2dd88ed1a650'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('clearings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('discarded_by', sa.String(length=50), nullable=True))
        batch_op.add_column(sa.Column('discarded_at', sa.DateTime(), nullable=True))
    op.execute("UPDATE clearings SET discarded_by = approved_by, discarded_at = approved_at, approved_by = NULL, "
               "approved_at = NULL WHERE status = 'discarded'")


def downgrade() -> None:
    op.execute("UPDATE clearings SET approved_by = discarded_by, approved_at = discarded_at "
               "WHERE status = 'discarded'")
    with op.batch_alter_table('clearings', schema=None) as batch_op:
        batch_op.drop_column('discarded_at')
        batch_op.drop_column('discarded_by')

