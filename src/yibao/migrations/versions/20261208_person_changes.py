"""人员信息变更 (issue 20): a person's phone and town changed at the window, old and new sealed, with who and why.

Revision ID: fb5bee653f0b
Revises: 82effbaa73c0
Create Date: 2026-12-08 00:06:07.206782
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = 'fb5bee653f0b'
down_revision = '82effbaa73c0'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('person_changes',
    sa.Column('psn_no', sa.String(length=20), nullable=False),
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('field', sa.String(length=20), nullable=False),
    sa.Column('old', sa.String(length=276), nullable=True),
    sa.Column('new', sa.String(length=276), nullable=True),
    sa.Column('reason', sa.String(length=200), nullable=False),
    sa.Column('changed_by', sa.String(length=60), nullable=False),
    sa.Column('changed_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['psn_no'], ['persons.psn_no'], name=op.f('fk_person_changes_psn_no_persons')),
    sa.PrimaryKeyConstraint('psn_no', 'id', name=op.f('pk_person_changes'))
    )


def downgrade() -> None:
    op.drop_table('person_changes')
