"""Contribution tables. Payments and refunds are never updated in amount or deleted; a refund is a row."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import ForeignKey, ForeignKeyConstraint, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from yibao.access.trail import trailed
from yibao.db import Base, Sealed
from yibao.kit.ids import new_id


class Bill(Base):
    """One bill per enrollment: the personal contribution due (0 when fully subsidised)."""

    __tablename__ = "bills"

    psn_no: Mapped[str] = mapped_column(ForeignKey("persons.psn_no"), primary_key=True)
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    bill_no: Mapped[str] = mapped_column(String(20), unique=True)
    enrollment_id: Mapped[str] = mapped_column(String(32))
    year: Mapped[int]
    amount_due: Mapped[Decimal]
    status: Mapped[str] = mapped_column(String(20))  # unpaid / paid / waived / refunded / void
    paid_at: Mapped[dt.datetime | None]
    created_at: Mapped[dt.datetime]

    __table_args__ = (
        ForeignKeyConstraint(["psn_no", "enrollment_id"], ["enrollments.psn_no", "enrollments.id"]),
        Index("uq_bills_enrollment", "psn_no", "enrollment_id", unique=True),
    )


@trailed("银行代扣协议")
class BankAgreement(Base):
    """银行卡代扣协议: one per card; a new card or bank needs a new agreement (S22 §3.1)."""

    __tablename__ = "bank_agreements"

    psn_no: Mapped[str] = mapped_column(ForeignKey("persons.psn_no"), primary_key=True)
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    bank: Mapped[str] = mapped_column(String(20))
    card_no: Mapped[str] = mapped_column(Sealed("bank_card", 30))
    signed_on: Mapped[dt.date]
    status: Mapped[str] = mapped_column(String(20))  # active / replaced
    created_at: Mapped[dt.datetime]

    __table_args__ = (
        Index("uq_bank_agreements_active", "psn_no", unique=True,
              sqlite_where=text("status = 'active'"), postgresql_where=text("status = 'active'")),
    )


@trailed("缴费记录")
class Payment(Base):
    __tablename__ = "payments"

    psn_no: Mapped[str] = mapped_column(ForeignKey("persons.psn_no"), primary_key=True)
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    bill_id: Mapped[str] = mapped_column(String(32))
    channel: Mapped[str] = mapped_column(String(20))
    bank: Mapped[str | None] = mapped_column(String(20))
    agreement_id: Mapped[str | None] = mapped_column(String(32))
    payer_name: Mapped[str | None] = mapped_column(String(50))
    payer_certno: Mapped[str | None] = mapped_column(Sealed("payer_certno", 18))
    amount: Mapped[Decimal]
    paid_on: Mapped[dt.date]
    reference: Mapped[str] = mapped_column(String(64), unique=True)
    created_by: Mapped[str] = mapped_column(String(50))
    created_at: Mapped[dt.datetime]

    __table_args__ = (
        ForeignKeyConstraint(["psn_no", "bill_id"], ["bills.psn_no", "bills.id"]),
        Index("uq_payments_bill", "psn_no", "bill_id", unique=True),
        Index("ix_payments_paid_on", "paid_on"),
    )


@trailed("退费记录")
class Refund(Base):
    __tablename__ = "refunds"

    psn_no: Mapped[str] = mapped_column(ForeignKey("persons.psn_no"), primary_key=True)
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    payment_id: Mapped[str] = mapped_column(String(32))
    amount: Mapped[Decimal]
    refunded_on: Mapped[dt.date]
    reason: Mapped[str] = mapped_column(String(200))
    created_by: Mapped[str] = mapped_column(String(50))
    created_at: Mapped[dt.datetime]

    __table_args__ = (
        ForeignKeyConstraint(["psn_no", "payment_id"], ["payments.psn_no", "payments.id"]),
        Index("uq_refunds_payment", "psn_no", "payment_id", unique=True),
        Index("ix_refunds_refunded_on", "refunded_on"),
    )


# ---------------------------------------------------------------------------------------------------
# Collection runs (issue 16 item 1; S22 §3): the banks' withholding, the tax bureau's daily file


class CollectionFile(Base):
    """A file of payments imported once, by the file id the bank or the tax bureau gave it: what it did."""

    __tablename__ = "collection_files"

    file_id: Mapped[str] = mapped_column(String(60), primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))  # withholding_result / tax_daily
    lines: Mapped[int]
    paid: Mapped[int]
    amount: Mapped[Decimal]  # what the paid lines paid
    refused: Mapped[int]
    report: Mapped[str] = mapped_column(Text)  # JSON: the refused lines (line → why) and the reconciliation
    created_by: Mapped[str] = mapped_column(String(50))
    created_at: Mapped[dt.datetime]


class WithholdingRun(Base):
    """A bank's monthly withholding request (代扣批次, S22 §3.1: deposit before the 8th): one line per live
    agreement with an unpaid bill."""

    __tablename__ = "withholding_runs"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    bank: Mapped[str] = mapped_column(String(20))
    month: Mapped[str] = mapped_column(String(7))
    deduct_on: Mapped[dt.date]
    lines: Mapped[int]
    amount: Mapped[Decimal]
    excluded: Mapped[str] = mapped_column(Text)  # JSON: psn_no → why they are not in the request
    created_by: Mapped[str] = mapped_column(String(50))
    created_at: Mapped[dt.datetime]

    __table_args__ = (Index("uq_withholding_runs_bank_month", "bank", "month", unique=True),)


class WithholdingLine(Base):
    """One deduction asked of the bank, and what the bank answered."""

    __tablename__ = "withholding_lines"

    run_id: Mapped[str] = mapped_column(ForeignKey("withholding_runs.id"), primary_key=True)
    line: Mapped[int] = mapped_column(primary_key=True)
    psn_no: Mapped[str] = mapped_column(String(20), index=True)
    bill_no: Mapped[str] = mapped_column(String(30))
    agreement_id: Mapped[str] = mapped_column(String(32))
    card_no: Mapped[str] = mapped_column(Sealed("bank_card", 30))
    amount: Mapped[Decimal]
    outcome: Mapped[str] = mapped_column(String(20))  # requested / paid / insufficient / closed / refused
    reason: Mapped[str | None] = mapped_column(String(200))
    reference: Mapped[str | None] = mapped_column(String(60))
    file_id: Mapped[str | None] = mapped_column(String(60))
