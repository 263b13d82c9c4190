"""Fund audit (医保稽查, POLICY.md §12; issue 15): scans and findings, cases with events and sanctions, the swap
list; the catalogue's restrictions; a doctor's points per year (the unused doctors.points column goes).

Revision ID: ab9618a02374
Revises: d889bd82ad2a
Create Date: 2026-12-06 22:39:40.251923
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = 'ab9618a02374'
down_revision = 'd889bd82ad2a'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('audit_case_events',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('case_id', sa.String(length=32), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=12), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('setl_id', sa.String(length=30), nullable=True),
    sa.Column('document', sa.String(length=200), nullable=True),
    sa.Column('actor', sa.String(length=50), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_case_events'))
    )
    with op.batch_alter_table('audit_case_events', schema=None) as batch_op:
        batch_op.create_index('uq_audit_case_events_number', ['case_id', 'number'], unique=True)

    op.create_table('audit_cases',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('ref', sa.String(length=30), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('vola_type', sa.String(length=20), nullable=False),
    sa.Column('fixmedins_code', sa.String(length=20), nullable=True),
    sa.Column('psn_no', sa.String(length=20), nullable=True),
    sa.Column('dr_code', sa.String(length=30), nullable=True),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('opened_by', sa.String(length=50), nullable=False),
    sa.Column('opened_at', sa.DateTime(), nullable=False),
    sa.Column('proposal', sa.Text(), nullable=True),
    sa.Column('proposed_by', sa.String(length=50), nullable=True),
    sa.Column('proposed_at', sa.DateTime(), nullable=True),
    sa.Column('decided_by', sa.String(length=50), nullable=True),
    sa.Column('decided_at', sa.DateTime(), nullable=True),
    sa.Column('legal_basis', sa.String(length=200), nullable=True),
    sa.Column('notice', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_cases')),
    sa.UniqueConstraint('ref', name=op.f('uq_audit_cases_ref'))
    )
    with op.batch_alter_table('audit_cases', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_cases_fixmedins_code'), ['fixmedins_code'], unique=False)

    op.create_table('audit_findings',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('rule_id', sa.String(length=10), nullable=False),
    sa.Column('vola_type', sa.String(length=20), nullable=False),
    sa.Column('scene', sa.String(length=10), nullable=False),
    sa.Column('sev_deg', sa.String(length=3), nullable=False),
    sa.Column('fixmedins_code', sa.String(length=20), nullable=True),
    sa.Column('dr_code', sa.String(length=30), nullable=True),
    sa.Column('psn_no', sa.String(length=20), nullable=True),
    sa.Column('mdtrt_id', sa.String(length=30), nullable=True),
    sa.Column('setl_id', sa.String(length=30), nullable=True),
    sa.Column('service_date', sa.Date(), nullable=False),
    sa.Column('vola_amt', sa.Numeric(precision=16, scale=2), nullable=False),
    sa.Column('fund_amt', sa.Numeric(precision=16, scale=2), nullable=False),
    sa.Column('content', sa.String(length=500), nullable=False),
    sa.Column('evidence', sa.Text(), nullable=False),
    sa.Column('fingerprint', sa.String(length=64), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('case_id', sa.String(length=32), nullable=True),
    sa.Column('dismissed_by', sa.String(length=50), nullable=True),
    sa.Column('dismissed_reason', sa.String(length=200), nullable=True),
    sa.Column('scan_id', sa.String(length=32), nullable=True),
    sa.Column('found_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_findings')),
    sa.UniqueConstraint('fingerprint', name=op.f('uq_audit_findings_fingerprint'))
    )
    with op.batch_alter_table('audit_findings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_findings_case_id'), ['case_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_findings_fixmedins_code'), ['fixmedins_code'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_findings_psn_no'), ['psn_no'], unique=False)
        batch_op.create_index('ix_audit_findings_status_rule', ['status', 'rule_id'], unique=False)

    op.create_table('audit_sanctions',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('case_id', sa.String(length=32), nullable=False),
    sa.Column('kind', sa.String(length=12), nullable=False),
    sa.Column('fixmedins_code', sa.String(length=20), nullable=True),
    sa.Column('dr_code', sa.String(length=30), nullable=True),
    sa.Column('setl_id', sa.String(length=30), nullable=True),
    sa.Column('fund', sa.String(length=6), nullable=True),
    sa.Column('amount', sa.Numeric(precision=16, scale=2), nullable=True),
    sa.Column('months', sa.Integer(), nullable=True),
    sa.Column('points', sa.Integer(), nullable=True),
    sa.Column('effective_from', sa.Date(), nullable=False),
    sa.Column('effective_to', sa.Date(), nullable=True),
    sa.Column('deduction_id', sa.String(length=32), nullable=True),
    sa.Column('entry_id', sa.String(length=32), nullable=True),
    sa.Column('decided_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_sanctions'))
    )
    with op.batch_alter_table('audit_sanctions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_sanctions_case_id'), ['case_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_sanctions_fixmedins_code'), ['fixmedins_code'], unique=False)

    op.create_table('audit_scans',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('period_from', sa.Date(), nullable=False),
    sa.Column('period_to', sa.Date(), nullable=False),
    sa.Column('rules', sa.String(length=400), nullable=False),
    sa.Column('fee_lines', sa.Integer(), nullable=False),
    sa.Column('settlements', sa.Integer(), nullable=False),
    sa.Column('findings', sa.Integer(), nullable=False),
    sa.Column('by_rule', sa.Text(), nullable=False),
    sa.Column('started_by', sa.String(length=50), nullable=False),
    sa.Column('started_at', sa.DateTime(), nullable=False),
    sa.Column('finished_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_scans'))
    )
    op.create_table('audit_swap_list',
    sa.Column('covered_code', sa.String(length=50), nullable=False),
    sa.Column('goods_name', sa.String(length=100), nullable=False),
    sa.Column('goods_price', sa.Numeric(precision=16, scale=6), nullable=False),
    sa.Column('source', sa.String(length=200), nullable=False),
    sa.Column('added_by', sa.String(length=50), nullable=False),
    sa.Column('added_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('covered_code', 'goods_name', name=op.f('pk_audit_swap_list'))
    )
    op.create_table('doctor_points',
    sa.Column('dr_code', sa.String(length=30), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('points', sa.Integer(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['dr_code'], ['doctors.dr_code'], name=op.f('fk_doctor_points_dr_code_doctors')),
    sa.PrimaryKeyConstraint('dr_code', 'year', name=op.f('pk_doctor_points'))
    )
    with op.batch_alter_table('catalogue_items', schema=None) as batch_op:
        batch_op.add_column(sa.Column('lmt_sex', sa.String(length=1), nullable=True))
        batch_op.add_column(sa.Column('lmt_age_min', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('lmt_age_max', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('lmt_diagnoses', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('lmt_first_line', sa.String(length=400), nullable=True))
        batch_op.add_column(sa.Column('lmt_scope', sa.String(length=10), nullable=True))
        batch_op.add_column(sa.Column('norm_cnt', sa.Numeric(precision=16, scale=4), nullable=True))

    with op.batch_alter_table('doctors', schema=None) as batch_op:
        batch_op.drop_column('points')



def downgrade() -> None:
    with op.batch_alter_table('doctors', schema=None) as batch_op:
        batch_op.add_column(sa.Column('points', sa.Integer(), nullable=False, server_default='12'))

    with op.batch_alter_table('catalogue_items', schema=None) as batch_op:
        batch_op.drop_column('norm_cnt')
        batch_op.drop_column('lmt_scope')
        batch_op.drop_column('lmt_first_line')
        batch_op.drop_column('lmt_diagnoses')
        batch_op.drop_column('lmt_age_max')
        batch_op.drop_column('lmt_age_min')
        batch_op.drop_column('lmt_sex')

    op.drop_table('doctor_points')
    op.drop_table('audit_swap_list')
    op.drop_table('audit_scans')
    with op.batch_alter_table('audit_sanctions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_sanctions_fixmedins_code'))
        batch_op.drop_index(batch_op.f('ix_audit_sanctions_case_id'))

    op.drop_table('audit_sanctions')
    with op.batch_alter_table('audit_findings', schema=None) as batch_op:
        batch_op.drop_index('ix_audit_findings_status_rule')
        batch_op.drop_index(batch_op.f('ix_audit_findings_psn_no'))
        batch_op.drop_index(batch_op.f('ix_audit_findings_fixmedins_code'))
        batch_op.drop_index(batch_op.f('ix_audit_findings_case_id'))

    op.drop_table('audit_findings')
    with op.batch_alter_table('audit_cases', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_cases_fixmedins_code'))

    op.drop_table('audit_cases')
    with op.batch_alter_table('audit_case_events', schema=None) as batch_op:
        batch_op.drop_index('uq_audit_case_events_number')

    op.drop_table('audit_case_events')
