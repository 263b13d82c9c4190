"""The clearing's tables: a statement per institution and month, and the deductions audit decides."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from yibao.db import Base


class Clearing(Base):
    """清算单: an institution's settlements and cancellations of a month (those not in an earlier statement), by fund
    and by benefit, less deductions; draft → approved (payable posted) → paid (cleared), or discarded (a draft)."""

    __tablename__ = "clearings"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    fixmedins_code: Mapped[str] = mapped_column(String(20), index=True)
    month: Mapped[str] = mapped_column(String(7))  # YYYY-MM
    status: Mapped[str] = mapped_column(String(10))  # ClearingStatus
    settlements: Mapped[int]  # rows: settlements and cancellations
    medfee_sumamt: Mapped[Decimal]
    hifp_pay: Mapped[Decimal]
    hifmi_pay: Mapped[Decimal]
    maf_pay: Mapped[Decimal]
    fund_pay_sumamt: Mapped[Decimal]
    acct_pay: Mapped[Decimal]  # the family accounts' (historical and mutual-aid), POLICY.md §11
    psn_cash_pay: Mapped[Decimal]  # what the persons paid at the counter (the institution has it)
    deductions: Mapped[Decimal]  # audit's refusals of payment and recoveries taken into this statement
    payable: Mapped[Decimal]  # funds + accounts − deductions: what the centre pays the institution
    by_benefit: Mapped[str] = mapped_column(Text)  # JSON: benefit → {count, medfee, fund}
    built_by: Mapped[str] = mapped_column(String(50))
    built_at: Mapped[dt.datetime]
    approved_by: Mapped[str | None] = mapped_column(String(50))
    approved_at: Mapped[dt.datetime | None]
    approval_entry: Mapped[str | None] = mapped_column(String(32))
    paid_by: Mapped[str | None] = mapped_column(String(50))
    paid_at: Mapped[dt.datetime | None]
    payment_ref: Mapped[str | None] = mapped_column(String(60))
    payment_entry: Mapped[str | None] = mapped_column(String(32))
    discarded_by: Mapped[str | None] = mapped_column(String(50))  # who set a draft aside, and when
    discarded_at: Mapped[dt.datetime | None]

    __table_args__ = (
        Index("uq_clearings_live_month", "fixmedins_code", "month", unique=True,
              sqlite_where=text("status != 'discarded'"), postgresql_where=text("status != 'discarded'")),
    )


class ClearingDeduction(Base):
    """A refusal of payment (不予支付) or a recovery (追回) audit decided against an institution: deducted by the
    institution's next statement (the one that takes it)."""

    __tablename__ = "clearing_deductions"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    fixmedins_code: Mapped[str] = mapped_column(String(20), index=True)
    kind: Mapped[str] = mapped_column(String(10))  # refusal / recovery
    fund: Mapped[str] = mapped_column(String(6))  # the fund it goes back to: 390100 / 390200 / 610100
    amount: Mapped[Decimal]
    setl_id: Mapped[str | None] = mapped_column(String(30))
    reason: Mapped[str] = mapped_column(String(200))
    case_ref: Mapped[str | None] = mapped_column(String(40))  # the audit case that decided it
    decided_by: Mapped[str] = mapped_column(String(50))
    decided_at: Mapped[dt.datetime]
    clearing_id: Mapped[str | None] = mapped_column(String(32), index=True)
