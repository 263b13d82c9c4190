"""Fund income, payments and balance by month (issue 16 item 3).

**Payments** are the ledger's: what each fund's account (390100 统筹基金, 390200 大病保险, 610100 医疗救助; glossary
FUNDS) paid out in the month of the journal entry — settlements and manual claims, less cancellations and what
audit refused or recovered (clearing approval puts those back on the fund), the maternity lump sum.

**Income** of the basic fund is read from the contribution records, each row written once (a refund is a row of its
own): personal contributions by the date paid, less refunds by the date refunded, and the government subsidy of
each enrollment (enrollments.government_amount: the category's subsidy, plus the personal part for a fully
subsidised person, POLICY.md §2) in the month the enrollment became effective — registration for a fully
subsidised person, the payment otherwise — taken back in the month an effective enrollment is cancelled.

ASSUMPTION: the documents give the subsidy per insured person (S22 §1 table) but not when the treasury transfers
it; the report books it when the person's enrollment takes effect (an accrual). The funding of the serious-illness
insurance and of medical assistance is not in the documents: their payments are shown, and the balance is the
basic fund's — its income since the first record less what it paid.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import Session

from yibao.accounts.models import JournalEntry, Posting
from yibao.contributions.models import Bill, Payment, Refund
from yibao.db import sql_money
from yibao.enrollment.models import Enrollment
from yibao.glossary import FUNDS
from yibao.kit.money import ZERO

Month = tuple[int, int]  # (year, month)
BASIC = FUNDS[0]


@dataclass(frozen=True, slots=True)
class FundMonth:
    month: Month
    personal: Decimal  # personal contributions paid
    refunded: Decimal  # contributions refunded
    subsidy: Decimal  # government subsidy of the enrollments that took effect (less those cancelled)
    paid: tuple[Decimal, ...]  # paid out, per fund in FUNDS order
    balance: Decimal  # the basic fund at the end of the month

    @property
    def income(self) -> Decimal:
        return self.personal - self.refunded + self.subsidy

    @property
    def paid_total(self) -> Decimal:
        return sum(self.paid, ZERO)

    @property
    def label(self) -> str:
        return f"{self.month[0]}年{self.month[1]}月"


@dataclass(frozen=True, slots=True)
class FundReport:
    year: int
    opening: Decimal  # the basic fund's balance before the year
    months: list[FundMonth]

    @property
    def closing(self) -> Decimal:
        return self.months[-1].balance if self.months else self.opening

    def total(self, name: str) -> Decimal:
        return sum((getattr(m, name) for m in self.months), ZERO)

    def paid_of(self, index: int) -> Decimal:
        return sum((m.paid[index] for m in self.months), ZERO)


def _month_of(column: Any) -> tuple[Any, Any]:
    return func.extract("year", column), func.extract("month", column)


def _by_month(rows: Iterable[Any]) -> dict[Month, Decimal]:
    found: dict[Month, Decimal] = defaultdict(lambda: ZERO)
    for year, month, total in rows:
        found[(int(year), int(month))] += sql_money(total or 0)
    return found


def _summed(session: Session, day: Any, amount: Any, *where: Any, joined: Any = None) -> dict[Month, Decimal]:
    """Σ amount by the month of `day`, up to the end of the report's year."""
    year, month = _month_of(day)
    query = select(year, month, func.sum(amount))
    if joined is not None:
        query = joined(query)
    return _by_month(session.execute(query.where(*where).group_by(year, month)))


def _subsidies(session: Session, end: dt.date) -> dict[Month, Decimal]:
    e = Enrollment
    effective_on = case((e.personal_amount == 0, e.registration_date), else_=Payment.paid_on)

    def joined(query: Any) -> Any:
        return (query.select_from(e).outerjoin(Bill, and_(Bill.psn_no == e.psn_no, Bill.enrollment_id == e.id))
                .outerjoin(Payment, and_(Payment.psn_no == Bill.psn_no, Payment.bill_id == Bill.id)))

    took = _summed(session, effective_on, e.government_amount, effective_on.is_not(None), effective_on <= end,
                   joined=joined)
    undone = _summed(session, e.cancelled_at, e.government_amount, effective_on.is_not(None),
                     e.status == "cancelled", e.cancelled_at < dt.datetime.combine(end + dt.timedelta(days=1),
                                                                                    dt.time()), joined=joined)
    return {key: took.get(key, ZERO) - undone.get(key, ZERO) for key in set(took) | set(undone)}


def _fund_payments(session: Session, end: dt.date) -> dict[str, dict[Month, Decimal]]:
    year, month = _month_of(JournalEntry.created_at)
    rows = session.execute(
        select(Posting.account, year, month, func.sum(Posting.amount))
        .join(JournalEntry, JournalEntry.id == Posting.entry_id)
        .where(Posting.account.in_([f.account for f in FUNDS]),
               JournalEntry.created_at < dt.datetime.combine(end + dt.timedelta(days=1), dt.time()))
        .group_by(Posting.account, year, month))
    found: dict[str, dict[Month, Decimal]] = {f.account: defaultdict(lambda: ZERO) for f in FUNDS}
    for account, y, m, total in rows:
        found[account][(int(y), int(m))] -= sql_money(total or 0)  # a fund's credit is what it paid out
    return found


def fund_report(session: Session, *, year: int) -> FundReport:
    """The basic fund's income, every fund's payments and the basic fund's balance, month by month of `year`."""
    end = dt.date(year, 12, 31)
    personal = _summed(session, Payment.paid_on, Payment.amount, Payment.paid_on <= end)
    refunded = _summed(session, Refund.refunded_on, Refund.amount, Refund.refunded_on <= end)
    subsidy = _subsidies(session, end)
    paid = _fund_payments(session, end)
    basic = paid[BASIC.account]

    def net(key: Month) -> Decimal:
        return personal.get(key, ZERO) - refunded.get(key, ZERO) + subsidy.get(key, ZERO) - basic.get(key, ZERO)

    earlier = {key for source in (personal, refunded, subsidy, basic) for key in source if key < (year, 1)}
    opening = sum((net(key) for key in earlier), ZERO)
    balance, months = opening, []
    for number in range(1, 13):
        key = (year, number)
        balance += net(key)
        months.append(FundMonth(key, personal.get(key, ZERO), refunded.get(key, ZERO), subsidy.get(key, ZERO),
                                tuple(paid[f.account].get(key, ZERO) for f in FUNDS), balance))
    return FundReport(year, opening, months)


HEADER = ("月份", "个人缴费（元）", "退费（元）", "财政补助（元）", "基金收入（元）",
          *(f"{f.label}支付（元）" for f in FUNDS), "基金支出合计（元）", "统筹基金月末结余（元）")


def rows(report: FundReport) -> list[tuple[object, ...]]:
    """The months, then the year's totals (the Excel sheet)."""
    found: list[tuple[object, ...]] = [("上年结转", "", "", "", "", *("" for _ in FUNDS), "", report.opening)]
    found += [(m.label, m.personal, m.refunded, m.subsidy, m.income, *m.paid, m.paid_total, m.balance)
              for m in report.months]
    found.append(("全年合计", report.total("personal"), report.total("refunded"), report.total("subsidy"),
                  report.total("income"), *(report.paid_of(i) for i in range(len(FUNDS))),
                  report.total("paid_total"), report.closing))
    return found
