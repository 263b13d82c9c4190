"""The family mutual-aid network (家庭共济网, POLICY.md §11; issue 14): networks, members, family accounts, the
employee-insurance system's daily files; settlements record whose mutual-aid account paid.

Revision ID: 7bb267db1bfb
Revises: 191800f30beb
Create Date: 2026-12-04 18:37:18.397867
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '7bb267db1bfb'
down_revision = '191800f30beb'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('historical_files',
    sa.Column('file_id', sa.String(length=60), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('lines', sa.Integer(), nullable=False),
    sa.Column('movement', sa.Numeric(precision=16, scale=2), nullable=False),
    sa.Column('created_by', sa.String(length=50), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('file_id', name=op.f('pk_historical_files')),
    sa.UniqueConstraint('day', name=op.f('uq_historical_files_day'))
    )
    op.create_table('family_accounts',
    sa.Column('account', sa.String(length=40), nullable=False),
    sa.Column('psn_no', sa.String(length=20), nullable=False),
    sa.Column('kind', sa.String(length=12), nullable=False),
    sa.Column('network_id', sa.String(length=32), nullable=True),
    sa.Column('opened_at', sa.DateTime(), nullable=False),
    sa.Column('closed_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['psn_no'], ['persons.psn_no'], name=op.f('fk_family_accounts_psn_no_persons')),
    sa.PrimaryKeyConstraint('account', name=op.f('pk_family_accounts'))
    )
    with op.batch_alter_table('family_accounts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_family_accounts_psn_no'), ['psn_no'], unique=False)

    op.create_table('family_networks',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('initiator_psn_no', sa.String(length=20), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('channel', sa.String(length=12), nullable=False),
    sa.Column('created_by', sa.String(length=50), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('dissolved_at', sa.DateTime(), nullable=True),
    sa.Column('dissolved_by', sa.String(length=50), nullable=True),
    sa.ForeignKeyConstraint(['initiator_psn_no'], ['persons.psn_no'], name=op.f('fk_family_networks_initiator_psn_no_persons')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_family_networks'))
    )
    with op.batch_alter_table('family_networks', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_family_networks_initiator_psn_no'), ['initiator_psn_no'], unique=False)

    op.create_table('historical_movements',
    sa.Column('file_id', sa.String(length=60), nullable=False),
    sa.Column('psn_no', sa.String(length=20), nullable=False),
    sa.Column('line', sa.Integer(), nullable=False),
    sa.Column('movement', sa.Numeric(precision=16, scale=2), nullable=False),
    sa.Column('balance', sa.Numeric(precision=16, scale=2), nullable=False),
    sa.Column('entry_id', sa.String(length=32), nullable=True),
    sa.ForeignKeyConstraint(['file_id'], ['historical_files.file_id'], name=op.f('fk_historical_movements_file_id_historical_files')),
    sa.PrimaryKeyConstraint('file_id', 'psn_no', name=op.f('pk_historical_movements'))
    )
    with op.batch_alter_table('historical_movements', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_historical_movements_entry_id'), ['entry_id'], unique=False)

    op.create_table('family_members',
    sa.Column('network_id', sa.String(length=32), nullable=False),
    sa.Column('psn_no', sa.String(length=20), nullable=False),
    sa.Column('relationship', sa.String(length=10), nullable=False),
    sa.Column('proof', sa.String(length=60), nullable=True),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('shown', sa.Boolean(), nullable=False),
    sa.Column('joined_at', sa.DateTime(), nullable=False),
    sa.Column('left_at', sa.DateTime(), nullable=True),
    sa.Column('left_reason', sa.String(length=100), nullable=True),
    sa.ForeignKeyConstraint(['network_id'], ['family_networks.id'], name=op.f('fk_family_members_network_id_family_networks')),
    sa.ForeignKeyConstraint(['psn_no'], ['persons.psn_no'], name=op.f('fk_family_members_psn_no_persons')),
    sa.PrimaryKeyConstraint('network_id', 'psn_no', name=op.f('pk_family_members'))
    )
    with op.batch_alter_table('family_members', schema=None) as batch_op:
        batch_op.create_index('uq_family_members_live_psn', ['psn_no'], unique=True, sqlite_where=sa.text('left_at IS NULL'), postgresql_where=sa.text('left_at IS NULL'))

    with op.batch_alter_table('settlements', schema=None) as batch_op:
        batch_op.add_column(sa.Column('mulaid_psn_no', sa.String(length=20), nullable=True))



def downgrade() -> None:
    with op.batch_alter_table('settlements', schema=None) as batch_op:
        batch_op.drop_column('mulaid_psn_no')

    with op.batch_alter_table('family_members', schema=None) as batch_op:
        batch_op.drop_index('uq_family_members_live_psn', sqlite_where=sa.text('left_at IS NULL'), postgresql_where=sa.text('left_at IS NULL'))

    op.drop_table('family_members')
    with op.batch_alter_table('historical_movements', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_historical_movements_entry_id'))

    op.drop_table('historical_movements')
    with op.batch_alter_table('family_networks', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_family_networks_initiator_psn_no'))

    op.drop_table('family_networks')
    with op.batch_alter_table('family_accounts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_family_accounts_psn_no'))

    op.drop_table('family_accounts')
    op.drop_table('historical_files')
