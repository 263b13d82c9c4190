"""The settlements as the centre lists them (issue 16 item 3): filtered by service date, institution, benefit, kind,
status and person, newest first, paged on the page and whole (up to the export limit) in the Excel download."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, NamedTuple

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from yibao.db import sql_money
from yibao.institutions.models import Institution
from yibao.people.models import Person
from yibao.settlement.models import Settlement, SettlementKind, SettlementStatus

PAGE = 50


class SettlementQuery(NamedTuple):
    start: dt.date | None = None  # service dates
    end: dt.date | None = None
    fixmedins_code: str | None = None
    benefit: str | None = None
    kind: SettlementKind | None = None
    status: SettlementStatus | None = None
    psn_no: str | None = None
    settled_on: dt.date | None = None  # the day of the settlement (or cancellation) itself: a desk's day-end

    @property
    def empty(self) -> bool:
        return not any(self)


class SettlementLine(NamedTuple):
    setl_id: str
    psn_no: str
    psn_name: str
    fixmedins_code: str | None
    institution: str | None  # the institution's name; a manual claim's hospital (place)
    kind: str
    status: str
    benefit: str
    level: str
    service_date: dt.date
    setl_time: dt.datetime
    medfee_sumamt: Decimal
    hifp_pay: Decimal
    hifmi_pay: Decimal
    maf_pay: Decimal
    fund_pay_sumamt: Decimal
    acct_pay: Decimal  # the family accounts together (历年个账 + 共济健康账户)
    psn_cash_pay: Decimal


def _where(query: SettlementQuery) -> list[Any]:
    s = Settlement
    found: list[Any] = []
    for value, column in ((query.fixmedins_code, s.fixmedins_code), (query.benefit, s.benefit),
                          (query.kind, s.kind), (query.status, s.status), (query.psn_no, s.psn_no)):
        if value:
            found.append(column == str(value))
    if query.start:
        found.append(s.service_date >= query.start)
    if query.end:
        found.append(s.service_date <= query.end)
    if query.settled_on:
        start = dt.datetime.combine(query.settled_on, dt.time())
        found.append(s.setl_time >= start)
        found.append(s.setl_time < start + dt.timedelta(days=1))
    return found


DAY_AMOUNTS = ("medfee_sumamt", "hifp_pay", "hifmi_pay", "maf_pay", "fund_pay_sumamt", "acct_pay", "acct_mulaid_pay",
               "psn_cash_pay")


@dataclass(frozen=True, slots=True)
class DayTotals:
    """A desk's day-end (日结): the day's settlements and cancellations at one institution, netted."""

    settlements: int
    cancellations: int
    sums: dict[str, Decimal]  # DAY_AMOUNTS, cancellations netted

    @property
    def cash(self) -> Decimal:
        """The cash the patients paid at the counter that day: what the till should hold."""
        return self.sums["psn_cash_pay"]


def day_totals(session: Session, *, fixmedins_code: str, day: dt.date) -> DayTotals:
    s = Settlement
    where = _where(SettlementQuery(fixmedins_code=fixmedins_code, settled_on=day))
    row = session.execute(select(func.count().filter(s.kind == SettlementKind.SETTLE.value),
                                 func.count().filter(s.kind == SettlementKind.CANCEL.value),
                                 *(func.sum(getattr(s, name)) for name in DAY_AMOUNTS)).where(*where)).one()
    return DayTotals(int(row[0] or 0), int(row[1] or 0),
                     {name: sql_money(value or 0) for name, value in zip(DAY_AMOUNTS, row[2:], strict=True)})


def find_settlements(session: Session, query: SettlementQuery, *, limit: int = PAGE,
                     offset: int = 0) -> tuple[list[SettlementLine], int]:
    """(the settlements from `offset`, at most `limit`, newest first; how many match)."""
    s, where = Settlement, _where(query)
    total = int(session.scalar(select(func.count()).select_from(s).where(*where)) or 0)
    rows = session.execute(
        select(s.setl_id, s.psn_no, Person.name, s.fixmedins_code, func.coalesce(Institution.name, s.place), s.kind,
               s.status, s.benefit, s.level, s.service_date, s.setl_time, s.medfee_sumamt, s.hifp_pay, s.hifmi_pay,
               s.maf_pay, s.fund_pay_sumamt, s.acct_pay + s.acct_mulaid_pay, s.psn_cash_pay)
        .join(Person, Person.psn_no == s.psn_no)
        .outerjoin(Institution, Institution.fixmedins_code == s.fixmedins_code)
        .where(*where).order_by(s.setl_time.desc(), s.setl_id).offset(offset).limit(limit))
    return [SettlementLine._make(row) for row in rows], total
