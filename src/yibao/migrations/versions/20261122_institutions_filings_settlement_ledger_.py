"""institutions filings settlement ledger gateway

Revision ID: e667df50aa5a
Revises: 0fb801b53ff8
Create Date: 2026-11-22 11:29:37.921854
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = 'e667df50aa5a'
down_revision = '0fb801b53ff8'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('catalogue_items',
    sa.Column('code', sa.String(length=50), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('item_class', sa.String(length=1), nullable=False),
    sa.Column('category', sa.String(length=20), nullable=False),
    sa.Column('price_ceiling', sa.Numeric(precision=16, scale=6), nullable=True),
    sa.PrimaryKeyConstraint('code', name=op.f('pk_catalogue_items'))
    )
    op.create_table('fee_details',
    sa.Column('psn_no', sa.String(), nullable=False),
    sa.Column('mdtrt_id', sa.String(length=30), nullable=False),
    sa.Column('feedetl_sn', sa.String(length=30), nullable=False),
    sa.Column('chrg_bchno', sa.String(length=30), nullable=True),
    sa.Column('rxno', sa.String(length=30), nullable=True),
    sa.Column('fee_ocur_time', sa.DateTime(), nullable=False),
    sa.Column('med_list_codg', sa.String(length=50), nullable=False),
    sa.Column('medins_list_codg', sa.String(length=50), nullable=True),
    sa.Column('item_name', sa.String(length=100), nullable=False),
    sa.Column('item_class', sa.String(length=1), nullable=False),
    sa.Column('cnt', sa.Numeric(precision=16, scale=4), nullable=False),
    sa.Column('pric', sa.Numeric(precision=16, scale=6), nullable=False),
    sa.Column('det_item_fee_sumamt', sa.Numeric(precision=16, scale=2), nullable=False),
    sa.Column('pric_uplmt_amt', sa.Numeric(precision=16, scale=6), nullable=True),
    sa.Column('selfpay_prop', sa.Numeric(precision=5, scale=4), nullable=False),
    sa.Column('fulamt_ownpay_amt', sa.Numeric(precision=16, scale=2), nullable=False),
    sa.Column('overlmt_amt', sa.Numeric(precision=16, scale=2), nullable=False),
    sa.Column('preselfpay_amt', sa.Numeric(precision=16, scale=2), nullable=False),
    sa.Column('inscp_scp_amt', sa.Numeric(precision=16, scale=2), nullable=False),
    sa.Column('bilg_dr_codg', sa.String(length=30), nullable=True),
    sa.Column('bilg_dr_name', sa.String(length=50), nullable=True),
    sa.Column('init_feedetl_sn', sa.String(length=30), nullable=True),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('setl_id', sa.String(length=30), nullable=True),
    sa.Column('msgid', sa.String(length=40), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('psn_no', 'mdtrt_id', 'feedetl_sn', name=op.f('pk_fee_details'))
    )
    op.create_table('gateway_messages',
    sa.Column('msgid', sa.String(length=40), nullable=False),
    sa.Column('fixmedins_code', sa.String(length=20), nullable=False),
    sa.Column('infno', sa.String(length=4), nullable=False),
    sa.Column('request_hash', sa.String(length=64), nullable=False),
    sa.Column('response', sa.Text(), nullable=True),
    sa.Column('undo', sa.Text(), nullable=True),
    sa.Column('reversed_by', sa.String(length=40), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('msgid', name=op.f('pk_gateway_messages')),
    sa.UniqueConstraint('reversed_by', name=op.f('uq_gateway_messages_reversed_by'))
    )
    op.create_table('gateway_sign_ins',
    sa.Column('sign_no', sa.String(length=40), nullable=False),
    sa.Column('fixmedins_code', sa.String(length=20), nullable=False),
    sa.Column('opter_no', sa.String(length=30), nullable=False),
    sa.Column('sign_time', sa.DateTime(), nullable=False),
    sa.Column('expires_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('sign_no', name=op.f('pk_gateway_sign_ins'))
    )
    with op.batch_alter_table('gateway_sign_ins', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_gateway_sign_ins_fixmedins_code'), ['fixmedins_code'], unique=False)

    op.create_table('institutions',
    sa.Column('fixmedins_code', sa.String(length=20), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('hosp_lv', sa.String(length=2), nullable=False),
    sa.Column('level', sa.String(length=20), nullable=False),
    sa.Column('region', sa.String(length=20), nullable=False),
    sa.Column('admdvs', sa.String(length=6), nullable=False),
    sa.Column('cross_province_designated', sa.Boolean(), nullable=False),
    sa.Column('agreement_status', sa.String(length=20), nullable=False),
    sa.Column('suspended_until', sa.Date(), nullable=True),
    sa.Column('secret_hash', sa.String(length=200), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('fixmedins_code', name=op.f('pk_institutions'))
    )
    op.create_table('journal_entries',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('psn_no', sa.String(length=20), nullable=True),
    sa.Column('setl_id', sa.String(length=30), nullable=True),
    sa.Column('memo', sa.String(length=200), nullable=False),
    sa.Column('reverses_id', sa.String(length=32), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_journal_entries')),
    sa.UniqueConstraint('reverses_id', name=op.f('uq_journal_entries_reverses_id'))
    )
    with op.batch_alter_table('journal_entries', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_journal_entries_psn_no'), ['psn_no'], unique=False)
        batch_op.create_index(batch_op.f('ix_journal_entries_setl_id'), ['setl_id'], unique=False)

    op.create_table('accumulators',
    sa.Column('psn_no', sa.String(length=20), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('outpatient', sa.Numeric(precision=16, scale=2), nullable=False),
    sa.Column('inpatient', sa.Numeric(precision=16, scale=2), nullable=False),
    sa.Column('special_disease', sa.Numeric(precision=16, scale=2), nullable=False),
    sa.Column('serious_illness_burden', sa.Numeric(precision=16, scale=2), nullable=False),
    sa.Column('assistance_selfpay', sa.Numeric(precision=16, scale=2), nullable=False),
    sa.ForeignKeyConstraint(['psn_no'], ['persons.psn_no'], name=op.f('fk_accumulators_psn_no_persons')),
    sa.PrimaryKeyConstraint('psn_no', 'year', name=op.f('pk_accumulators'))
    )
    op.create_table('catalogue_selfpay',
    sa.Column('code', sa.String(length=50), nullable=False),
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('selfpay_prop', sa.Numeric(precision=5, scale=4), nullable=False),
    sa.Column('valid_from', sa.Date(), nullable=False),
    sa.Column('valid_to', sa.Date(), nullable=True),
    sa.ForeignKeyConstraint(['code'], ['catalogue_items.code'], name=op.f('fk_catalogue_selfpay_code_catalogue_items')),
    sa.PrimaryKeyConstraint('code', 'id', name=op.f('pk_catalogue_selfpay'))
    )
    op.create_table('cross_region_filings',
    sa.Column('psn_no', sa.String(length=20), nullable=False),
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('reason', sa.String(length=30), nullable=False),
    sa.Column('place', sa.String(length=100), nullable=False),
    sa.Column('admdvs', sa.String(length=6), nullable=True),
    sa.Column('begndate', sa.Date(), nullable=False),
    sa.Column('enddate', sa.Date(), nullable=True),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['psn_no'], ['persons.psn_no'], name=op.f('fk_cross_region_filings_psn_no_persons')),
    sa.PrimaryKeyConstraint('psn_no', 'id', name=op.f('pk_cross_region_filings'))
    )
    op.create_table('doctors',
    sa.Column('dr_code', sa.String(length=30), nullable=False),
    sa.Column('name', sa.String(length=50), nullable=False),
    sa.Column('fixmedins_code', sa.String(length=20), nullable=False),
    sa.Column('points', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['fixmedins_code'], ['institutions.fixmedins_code'], name=op.f('fk_doctors_fixmedins_code_institutions')),
    sa.PrimaryKeyConstraint('dr_code', name=op.f('pk_doctors'))
    )
    with op.batch_alter_table('doctors', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_doctors_fixmedins_code'), ['fixmedins_code'], unique=False)

    op.create_table('postings',
    sa.Column('entry_id', sa.String(length=32), nullable=False),
    sa.Column('line', sa.Integer(), nullable=False),
    sa.Column('account', sa.String(length=40), nullable=False),
    sa.Column('amount', sa.Numeric(precision=16, scale=2), nullable=False),
    sa.ForeignKeyConstraint(['entry_id'], ['journal_entries.id'], name=op.f('fk_postings_entry_id_journal_entries')),
    sa.PrimaryKeyConstraint('entry_id', 'line', name=op.f('pk_postings'))
    )
    with op.batch_alter_table('postings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_postings_account'), ['account'], unique=False)

    op.create_table('settlements',
    sa.Column('psn_no', sa.String(length=20), nullable=False),
    sa.Column('setl_id', sa.String(length=30), nullable=False),
    sa.Column('mdtrt_id', sa.String(length=30), nullable=True),
    sa.Column('fixmedins_code', sa.String(length=20), nullable=True),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('original_setl_id', sa.String(length=30), nullable=True),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('edition', sa.String(length=10), nullable=False),
    sa.Column('benefit', sa.String(length=20), nullable=False),
    sa.Column('med_type', sa.String(length=4), nullable=False),
    sa.Column('level', sa.String(length=20), nullable=False),
    sa.Column('setl_time', sa.DateTime(), nullable=False),
    sa.Column('service_date', sa.Date(), nullable=False),
    sa.Column('medfee_sumamt', sa.Numeric(precision=16, scale=2), nullable=False),
    sa.Column('fulamt_ownpay_amt', sa.Numeric(precision=16, scale=2), nullable=False),
    sa.Column('overlmt_selfpay', sa.Numeric(precision=16, scale=2), nullable=False),
    sa.Column('preselfpay_amt', sa.Numeric(precision=16, scale=2), nullable=False),
    sa.Column('inscp_scp_amt', sa.Numeric(precision=16, scale=2), nullable=False),
    sa.Column('act_pay_dedc', sa.Numeric(precision=16, scale=2), nullable=False),
    sa.Column('hifp_pay', sa.Numeric(precision=16, scale=2), nullable=False),
    sa.Column('hifmi_pay', sa.Numeric(precision=16, scale=2), nullable=False),
    sa.Column('maf_pay', sa.Numeric(precision=16, scale=2), nullable=False),
    sa.Column('fund_pay_sumamt', sa.Numeric(precision=16, scale=2), nullable=False),
    sa.Column('psn_part_amt', sa.Numeric(precision=16, scale=2), nullable=False),
    sa.Column('acct_pay', sa.Numeric(precision=16, scale=2), nullable=False),
    sa.Column('acct_mulaid_pay', sa.Numeric(precision=16, scale=2), nullable=False),
    sa.Column('psn_cash_pay', sa.Numeric(precision=16, scale=2), nullable=False),
    sa.Column('add_outpatient', sa.Numeric(precision=16, scale=2), nullable=False),
    sa.Column('add_inpatient', sa.Numeric(precision=16, scale=2), nullable=False),
    sa.Column('add_special_disease', sa.Numeric(precision=16, scale=2), nullable=False),
    sa.Column('add_serious_illness_burden', sa.Numeric(precision=16, scale=2), nullable=False),
    sa.Column('add_assistance_selfpay', sa.Numeric(precision=16, scale=2), nullable=False),
    sa.Column('category', sa.String(length=20), nullable=False),
    sa.Column('assistance_class', sa.String(length=30), nullable=True),
    sa.Column('trace', sa.Text(), nullable=False),
    sa.Column('msgid', sa.String(length=40), nullable=True),
    sa.Column('created_by', sa.String(length=50), nullable=False),
    sa.ForeignKeyConstraint(['psn_no'], ['persons.psn_no'], name=op.f('fk_settlements_psn_no_persons')),
    sa.PrimaryKeyConstraint('psn_no', 'setl_id', name=op.f('pk_settlements'))
    )
    with op.batch_alter_table('settlements', schema=None) as batch_op:
        batch_op.create_index('ix_settlements_institution_time', ['fixmedins_code', 'setl_time'], unique=False)
        batch_op.create_index(batch_op.f('ix_settlements_mdtrt_id'), ['mdtrt_id'], unique=False)
        batch_op.create_index('uq_settlements_cancels', ['original_setl_id'], unique=True, sqlite_where=sa.text("kind = 'cancel'"), postgresql_where=sa.text("kind = 'cancel'"))
        batch_op.create_index('uq_settlements_setl_id', ['setl_id'], unique=True)

    op.create_table('special_disease_filings',
    sa.Column('psn_no', sa.String(length=20), nullable=False),
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('disease_code', sa.String(length=30), nullable=False),
    sa.Column('disease_name', sa.String(length=100), nullable=False),
    sa.Column('fixmedins_code', sa.String(length=20), nullable=False),
    sa.Column('diag_dr_code', sa.String(length=30), nullable=True),
    sa.Column('begndate', sa.Date(), nullable=False),
    sa.Column('enddate', sa.Date(), nullable=True),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['psn_no'], ['persons.psn_no'], name=op.f('fk_special_disease_filings_psn_no_persons')),
    sa.PrimaryKeyConstraint('psn_no', 'id', name=op.f('pk_special_disease_filings'))
    )
    op.create_table('visits',
    sa.Column('psn_no', sa.String(length=20), nullable=False),
    sa.Column('mdtrt_id', sa.String(length=30), nullable=False),
    sa.Column('fixmedins_code', sa.String(length=20), nullable=False),
    sa.Column('med_type', sa.String(length=4), nullable=False),
    sa.Column('insutype', sa.String(length=3), nullable=False),
    sa.Column('begntime', sa.DateTime(), nullable=False),
    sa.Column('endtime', sa.DateTime(), nullable=True),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('ipt_otp_no', sa.String(length=30), nullable=True),
    sa.Column('atddr_no', sa.String(length=30), nullable=True),
    sa.Column('dr_name', sa.String(length=50), nullable=True),
    sa.Column('dept_code', sa.String(length=30), nullable=True),
    sa.Column('dept_name', sa.String(length=50), nullable=True),
    sa.Column('dise_codg', sa.String(length=30), nullable=True),
    sa.Column('dise_name', sa.String(length=100), nullable=True),
    sa.Column('dscg_way', sa.String(length=10), nullable=True),
    sa.Column('mdtrt_cert_type', sa.String(length=2), nullable=False),
    sa.Column('mdtrt_cert_no', sa.String(length=64), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['fixmedins_code'], ['institutions.fixmedins_code'], name=op.f('fk_visits_fixmedins_code_institutions')),
    sa.ForeignKeyConstraint(['psn_no'], ['persons.psn_no'], name=op.f('fk_visits_psn_no_persons')),
    sa.PrimaryKeyConstraint('psn_no', 'mdtrt_id', name=op.f('pk_visits'))
    )
    with op.batch_alter_table('visits', schema=None) as batch_op:
        batch_op.create_index('uq_visits_mdtrt_id', ['mdtrt_id'], unique=True)



def downgrade() -> None:
    with op.batch_alter_table('visits', schema=None) as batch_op:
        batch_op.drop_index('uq_visits_mdtrt_id')

    op.drop_table('visits')
    op.drop_table('special_disease_filings')
    with op.batch_alter_table('settlements', schema=None) as batch_op:
        batch_op.drop_index('uq_settlements_setl_id')
        batch_op.drop_index('uq_settlements_cancels', sqlite_where=sa.text("kind = 'cancel'"), postgresql_where=sa.text("kind = 'cancel'"))
        batch_op.drop_index(batch_op.f('ix_settlements_mdtrt_id'))
        batch_op.drop_index('ix_settlements_institution_time')

    op.drop_table('settlements')
    with op.batch_alter_table('postings', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_postings_account'))

    op.drop_table('postings')
    with op.batch_alter_table('doctors', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_doctors_fixmedins_code'))

    op.drop_table('doctors')
    op.drop_table('cross_region_filings')
    op.drop_table('catalogue_selfpay')
    op.drop_table('accumulators')
    with op.batch_alter_table('journal_entries', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_journal_entries_setl_id'))
        batch_op.drop_index(batch_op.f('ix_journal_entries_psn_no'))

    op.drop_table('journal_entries')
    op.drop_table('institutions')
    with op.batch_alter_table('gateway_sign_ins', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_gateway_sign_ins_fixmedins_code'))

    op.drop_table('gateway_sign_ins')
    op.drop_table('gateway_messages')
    op.drop_table('fee_details')
    op.drop_table('catalogue_items')
