"""The national lists beside the catalogue (1303, 1304, 1307–1311, 1313–1315) and the institutions' item
matching (目录对照, 3301/3302/1317), issue 18 item 5.

Revision ID: 3f7eb3fb044c
Revises: d49e81ee05c2
Create Date: 2026-12-03 11:02:25.806573
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '3f7eb3fb044c'
down_revision = 'd49e81ee05c2'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('national_list_entries',
    sa.Column('list_key', sa.String(length=20), nullable=False),
    sa.Column('code', sa.String(length=50), nullable=False),
    sa.Column('name', sa.String(length=300), nullable=False),
    sa.Column('fields', sa.Text(), nullable=False),
    sa.Column('vali_flag', sa.String(length=3), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('list_key', 'code', name=op.f('pk_national_list_entries'))
    )
    with op.batch_alter_table('national_list_entries', schema=None) as batch_op:
        batch_op.create_index('ix_national_list_entries_list_updated', ['list_key', 'updated_at'], unique=False)

    op.create_table('item_matches',
    sa.Column('rid', sa.String(length=40), nullable=False),
    sa.Column('fixmedins_code', sa.String(length=20), nullable=False),
    sa.Column('medins_list_codg', sa.String(length=30), nullable=False),
    sa.Column('medins_list_name', sa.String(length=200), nullable=False),
    sa.Column('list_type', sa.String(length=3), nullable=False),
    sa.Column('med_list_codg', sa.String(length=50), nullable=False),
    sa.Column('begndate', sa.Date(), nullable=False),
    sa.Column('enddate', sa.Date(), nullable=True),
    sa.Column('details', sa.Text(), nullable=True),
    sa.Column('vali_flag', sa.String(length=3), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('opter', sa.String(length=50), nullable=False),
    sa.ForeignKeyConstraint(['fixmedins_code'], ['institutions.fixmedins_code'], name=op.f('fk_item_matches_fixmedins_code_institutions')),
    sa.PrimaryKeyConstraint('rid', name=op.f('pk_item_matches'))
    )
    with op.batch_alter_table('item_matches', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_item_matches_updated_at'), ['updated_at'], unique=False)
        batch_op.create_index('uq_item_matches_live', ['fixmedins_code', 'medins_list_codg', 'list_type'], unique=True, sqlite_where=sa.text("vali_flag = '1'"), postgresql_where=sa.text("vali_flag = '1'"))



def downgrade() -> None:
    with op.batch_alter_table('item_matches', schema=None) as batch_op:
        batch_op.drop_index('uq_item_matches_live', sqlite_where=sa.text("vali_flag = '1'"), postgresql_where=sa.text("vali_flag = '1'"))
        batch_op.drop_index(batch_op.f('ix_item_matches_updated_at'))

    op.drop_table('item_matches')
    with op.batch_alter_table('national_list_entries', schema=None) as batch_op:
        batch_op.drop_index('ix_national_list_entries_list_updated')

    op.drop_table('national_list_entries')
