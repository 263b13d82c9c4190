"""registry enrollment contributions staff

Revision ID: 0fb801b53ff8
Revises: 
Create Date: 2026-11-22 11:11:00.789031
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0fb801b53ff8'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('persons',
    sa.Column('psn_no', sa.String(length=20), nullable=False),
    sa.Column('certno', sa.String(length=18), nullable=False),
    sa.Column('name', sa.String(length=50), nullable=False),
    sa.Column('sex', sa.String(length=1), nullable=False),
    sa.Column('birth_date', sa.Date(), nullable=False),
    sa.Column('local', sa.Boolean(), nullable=False),
    sa.Column('town', sa.String(length=20), nullable=True),
    sa.Column('household_no', sa.String(length=30), nullable=True),
    sa.Column('phone', sa.String(length=20), nullable=True),
    sa.Column('employee_insured', sa.Boolean(), nullable=False),
    sa.Column('employee_insurance_end', sa.Date(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('psn_no', name=op.f('pk_persons')),
    sa.UniqueConstraint('certno', name=op.f('uq_persons_certno'))
    )
    with op.batch_alter_table('persons', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_persons_name'), ['name'], unique=False)

    op.create_table('sequences',
    sa.Column('name', sa.String(length=30), nullable=False),
    sa.Column('value', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_sequences'))
    )
    op.create_table('staff_users',
    sa.Column('username', sa.String(length=50), nullable=False),
    sa.Column('display_name', sa.String(length=50), nullable=False),
    sa.Column('role', sa.String(length=20), nullable=False),
    sa.Column('password_hash', sa.String(length=200), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('username', name=op.f('pk_staff_users'))
    )
    op.create_table('bank_agreements',
    sa.Column('psn_no', sa.String(length=20), nullable=False),
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('bank', sa.String(length=20), nullable=False),
    sa.Column('card_no', sa.String(length=30), nullable=False),
    sa.Column('signed_on', sa.Date(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['psn_no'], ['persons.psn_no'], name=op.f('fk_bank_agreements_psn_no_persons')),
    sa.PrimaryKeyConstraint('psn_no', 'id', name=op.f('pk_bank_agreements'))
    )
    with op.batch_alter_table('bank_agreements', schema=None) as batch_op:
        batch_op.create_index('uq_bank_agreements_active', ['psn_no'], unique=True, sqlite_where=sa.text("status = 'active'"), postgresql_where=sa.text("status = 'active'"))

    op.create_table('certificates',
    sa.Column('psn_no', sa.String(length=20), nullable=False),
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('kind', sa.String(length=30), nullable=False),
    sa.Column('cert_no', sa.String(length=50), nullable=False),
    sa.Column('valid_from', sa.Date(), nullable=False),
    sa.Column('valid_to', sa.Date(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['psn_no'], ['persons.psn_no'], name=op.f('fk_certificates_psn_no_persons')),
    sa.PrimaryKeyConstraint('psn_no', 'id', name=op.f('pk_certificates'))
    )
    op.create_table('enrollments',
    sa.Column('psn_no', sa.String(length=20), nullable=False),
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('edition', sa.String(length=10), nullable=False),
    sa.Column('category', sa.String(length=20), nullable=False),
    sa.Column('student', sa.Boolean(), nullable=False),
    sa.Column('channel', sa.String(length=20), nullable=False),
    sa.Column('proxy_name', sa.String(length=50), nullable=True),
    sa.Column('proxy_certno', sa.String(length=18), nullable=True),
    sa.Column('registration_date', sa.Date(), nullable=False),
    sa.Column('timing', sa.String(length=10), nullable=False),
    sa.Column('late_exception', sa.String(length=30), nullable=True),
    sa.Column('event_date', sa.Date(), nullable=True),
    sa.Column('benefit_start', sa.Date(), nullable=False),
    sa.Column('benefit_end', sa.Date(), nullable=False),
    sa.Column('benefit_basis', sa.String(length=200), nullable=False),
    sa.Column('full_subsidy_class', sa.String(length=30), nullable=True),
    sa.Column('personal_amount', sa.Numeric(precision=16, scale=2), nullable=False),
    sa.Column('government_amount', sa.Numeric(precision=16, scale=2), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('school_name', sa.String(length=100), nullable=True),
    sa.Column('school_class', sa.String(length=50), nullable=True),
    sa.Column('batch_id', sa.String(length=32), nullable=True),
    sa.Column('created_by', sa.String(length=50), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('cancelled_at', sa.DateTime(), nullable=True),
    sa.Column('cancel_reason', sa.String(length=200), nullable=True),
    sa.ForeignKeyConstraint(['psn_no'], ['persons.psn_no'], name=op.f('fk_enrollments_psn_no_persons')),
    sa.PrimaryKeyConstraint('psn_no', 'id', name=op.f('pk_enrollments'))
    )
    with op.batch_alter_table('enrollments', schema=None) as batch_op:
        batch_op.create_index('ix_enrollments_year_status', ['year', 'status'], unique=False)
        batch_op.create_index('uq_enrollments_live_psn_year', ['psn_no', 'year'], unique=True, sqlite_where=sa.text("status != 'cancelled'"), postgresql_where=sa.text("status != 'cancelled'"))

    op.create_table('staff_sessions',
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('username', sa.String(length=50), nullable=False),
    sa.Column('expires_at', sa.DateTime(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['username'], ['staff_users.username'], name=op.f('fk_staff_sessions_username_staff_users')),
    sa.PrimaryKeyConstraint('token_hash', name=op.f('pk_staff_sessions'))
    )
    with op.batch_alter_table('staff_sessions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_staff_sessions_username'), ['username'], unique=False)

    op.create_table('bills',
    sa.Column('psn_no', sa.String(length=20), nullable=False),
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('bill_no', sa.String(length=20), nullable=False),
    sa.Column('enrollment_id', sa.String(length=32), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('amount_due', sa.Numeric(precision=16, scale=2), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('paid_at', sa.DateTime(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['psn_no', 'enrollment_id'], ['enrollments.psn_no', 'enrollments.id'], name=op.f('fk_bills_psn_no_enrollments')),
    sa.ForeignKeyConstraint(['psn_no'], ['persons.psn_no'], name=op.f('fk_bills_psn_no_persons')),
    sa.PrimaryKeyConstraint('psn_no', 'id', name=op.f('pk_bills')),
    sa.UniqueConstraint('bill_no', name=op.f('uq_bills_bill_no'))
    )
    with op.batch_alter_table('bills', schema=None) as batch_op:
        batch_op.create_index('uq_bills_enrollment', ['psn_no', 'enrollment_id'], unique=True)

    op.create_table('payments',
    sa.Column('psn_no', sa.String(length=20), nullable=False),
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('bill_id', sa.String(length=32), nullable=False),
    sa.Column('channel', sa.String(length=20), nullable=False),
    sa.Column('bank', sa.String(length=20), nullable=True),
    sa.Column('agreement_id', sa.String(length=32), nullable=True),
    sa.Column('payer_name', sa.String(length=50), nullable=True),
    sa.Column('payer_certno', sa.String(length=18), nullable=True),
    sa.Column('amount', sa.Numeric(precision=16, scale=2), nullable=False),
    sa.Column('paid_on', sa.Date(), nullable=False),
    sa.Column('reference', sa.String(length=64), nullable=False),
    sa.Column('created_by', sa.String(length=50), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['psn_no', 'bill_id'], ['bills.psn_no', 'bills.id'], name=op.f('fk_payments_psn_no_bills')),
    sa.ForeignKeyConstraint(['psn_no'], ['persons.psn_no'], name=op.f('fk_payments_psn_no_persons')),
    sa.PrimaryKeyConstraint('psn_no', 'id', name=op.f('pk_payments')),
    sa.UniqueConstraint('reference', name=op.f('uq_payments_reference'))
    )
    with op.batch_alter_table('payments', schema=None) as batch_op:
        batch_op.create_index('ix_payments_paid_on', ['paid_on'], unique=False)
        batch_op.create_index('uq_payments_bill', ['psn_no', 'bill_id'], unique=True)

    op.create_table('refunds',
    sa.Column('psn_no', sa.String(length=20), nullable=False),
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('payment_id', sa.String(length=32), nullable=False),
    sa.Column('amount', sa.Numeric(precision=16, scale=2), nullable=False),
    sa.Column('refunded_on', sa.Date(), nullable=False),
    sa.Column('reason', sa.String(length=200), nullable=False),
    sa.Column('created_by', sa.String(length=50), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['psn_no', 'payment_id'], ['payments.psn_no', 'payments.id'], name=op.f('fk_refunds_psn_no_payments')),
    sa.ForeignKeyConstraint(['psn_no'], ['persons.psn_no'], name=op.f('fk_refunds_psn_no_persons')),
    sa.PrimaryKeyConstraint('psn_no', 'id', name=op.f('pk_refunds'))
    )
    with op.batch_alter_table('refunds', schema=None) as batch_op:
        batch_op.create_index('ix_refunds_refunded_on', ['refunded_on'], unique=False)
        batch_op.create_index('uq_refunds_payment', ['psn_no', 'payment_id'], unique=True)



def downgrade() -> None:
    with op.batch_alter_table('refunds', schema=None) as batch_op:
        batch_op.drop_index('uq_refunds_payment')
        batch_op.drop_index('ix_refunds_refunded_on')

    op.drop_table('refunds')
    with op.batch_alter_table('payments', schema=None) as batch_op:
        batch_op.drop_index('uq_payments_bill')
        batch_op.drop_index('ix_payments_paid_on')

    op.drop_table('payments')
    with op.batch_alter_table('bills', schema=None) as batch_op:
        batch_op.drop_index('uq_bills_enrollment')

    op.drop_table('bills')
    with op.batch_alter_table('staff_sessions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_staff_sessions_username'))

    op.drop_table('staff_sessions')
    with op.batch_alter_table('enrollments', schema=None) as batch_op:
        batch_op.drop_index('uq_enrollments_live_psn_year', sqlite_where=sa.text("status != 'cancelled'"), postgresql_where=sa.text("status != 'cancelled'"))
        batch_op.drop_index('ix_enrollments_year_status')

    op.drop_table('enrollments')
    op.drop_table('certificates')
    with op.batch_alter_table('bank_agreements', schema=None) as batch_op:
        batch_op.drop_index('uq_bank_agreements_active', sqlite_where=sa.text("status = 'active'"), postgresql_where=sa.text("status = 'active'"))

    op.drop_table('bank_agreements')
    op.drop_table('staff_users')
    op.drop_table('sequences')
    with op.batch_alter_table('persons', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_persons_name'))

    op.drop_table('persons')
