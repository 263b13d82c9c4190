"""Evidence files of audit cases (证据材料, issue 15): sealed at rest, with their SHA-256.

Revision ID: 2dd88ed1a650
Revises: 0f672e475d62
Create Date: 2026-12-07 14:58:48.738563
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '2dd88ed1a650'
down_revision = '0f672e475d62'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('audit_case_documents',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('case_id', sa.String(length=32), nullable=False),
    sa.Column('event_number', sa.Integer(), nullable=False),
    sa.Column('filename', sa.String(length=200), nullable=False),
    sa.Column('media_type', sa.String(length=50), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('content', sa.Text(), nullable=False),
    sa.Column('uploaded_by', sa.String(length=50), nullable=False),
    sa.Column('uploaded_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_case_documents'))
    )
    with op.batch_alter_table('audit_case_documents', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_case_documents_case_id'), ['case_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('audit_case_documents', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_case_documents_case_id'))

    op.drop_table('audit_case_documents')
