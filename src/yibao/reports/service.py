"""What the centre reports (POLICY.md §14): insured persons by category and town, contributions collected,
fund paid by benefit type and month, and the in-policy inpatient reimbursement ratio beside S22's 77.89%.

Figures are read from the same rows the services write: enrollments, payments and settlements. A
cancellation is a settlement row with negated amounts, so plain sums give the net figures.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from yibao.contributions.models import Bill, Payment
from yibao.db import sql_money
from yibao.enrollment.models import Enrollment
from yibao.kit.money import money, round_money
from yibao.people.models import Person
from yibao.people.towns import TOWN_BY_CODE
from yibao.settlement.models import Settlement

# POLICY.md §14 (S22 news "三重保障"): 政策内住院报销比例 77.89% (2022 to date)
S22_INPATIENT_RATIO = money("77.89")
S22_INPATIENT_RATIO_SOURCE = "奉化区医保2022年度“三重保障”报道：政策内住院报销比例77.89%"  # shown on the dashboard
# ASSUMPTION: the in-policy inpatient ratio is basic-fund pay over in-scope inpatient cost (Σ hifp_pay /
# Σ inscp_scp_amt, cancellations netted), in per cent rounded half-up to 0.01 — the documents give the
# figure, not its formula.
RATIO_DEFINITION = "统筹基金支付 ÷ 政策范围内住院费用（撤销已冲减）"
MONTHS = tuple(range(1, 13))


@dataclass(frozen=True, slots=True)
class Dashboard:
    year: int
    insured_total: int  # registered, not cancelled
    effective_total: int  # of them in force: paid or fully subsidised
    by_category: list[tuple[str, int]]  # (category code, count)
    by_town: list[tuple[str, int]]  # (town name, count); 非本区户籍 for persons without a town
    collected_total: Decimal
    collected_by_channel: list[tuple[str, Decimal]]
    fund_by_benefit_month: dict[str, list[Decimal]]  # benefit → 12 monthly sums of fund_pay_sumamt
    fund_totals: dict[str, Decimal]  # hifp_pay / hifmi_pay / maf_pay / fund_pay_sumamt / medfee_sumamt
    settlements: int
    inpatient_inscp: Decimal
    inpatient_hifp: Decimal
    inpatient_ratio: Decimal | None  # per cent; None when there is no inpatient cost yet


def insured_counts(session: Session, year: int) -> tuple[list[tuple[str, int]], list[tuple[str, int]]]:
    """Registered enrollments of `year` (not cancelled: in the collection period many have not paid yet) by
    category and by town (largest first)."""
    active = (Enrollment.year == year, Enrollment.status != "cancelled")
    by_category = session.execute(
        select(Enrollment.category, func.count()).where(*active).group_by(Enrollment.category)
    ).all()
    by_town = session.execute(
        select(Person.town, func.count()).select_from(Enrollment).join(Person, Person.psn_no == Enrollment.psn_no)
        .where(*active)
        .group_by(Person.town)
    ).all()
    towns = [(TOWN_BY_CODE[code].name if code in TOWN_BY_CODE else "非本区户籍", int(n)) for code, n in by_town]
    return (sorted(((c, int(n)) for c, n in by_category), key=lambda r: -r[1]),
            sorted(towns, key=lambda r: -r[1]))


def contributions_collected(session: Session, year: int) -> list[tuple[str, Decimal]]:
    """Personal contributions paid for `year`'s bills, by channel (refunds are their own rows, not netted)."""
    rows = session.execute(
        select(Payment.channel, func.sum(Payment.amount))
        .join(Bill, (Bill.psn_no == Payment.psn_no) & (Bill.id == Payment.bill_id))
        .where(Bill.year == year).group_by(Payment.channel)
    ).all()
    return sorted(((channel, sql_money(total or 0)) for channel, total in rows), key=lambda r: -r[1])


def _month(column: Any) -> Any:
    return func.extract("month", column)


def fund_paid(session: Session, year: int) -> tuple[dict[str, list[Decimal]], dict[str, Decimal], int]:
    """Fund paid (basic + serious illness + assistance) by benefit and service month; totals; settlement count."""
    rows = session.execute(
        select(Settlement.benefit, _month(Settlement.service_date), func.sum(Settlement.fund_pay_sumamt))
        .where(Settlement.year == year).group_by(Settlement.benefit, _month(Settlement.service_date))
    ).all()
    by_benefit: dict[str, list[Decimal]] = {}
    for benefit, month, total in rows:
        by_benefit.setdefault(benefit, [money("0.00")] * 12)[int(month) - 1] = sql_money(total or 0)
    names = ("medfee_sumamt", "hifp_pay", "hifmi_pay", "maf_pay", "fund_pay_sumamt")
    sums = session.execute(select(*(func.sum(getattr(Settlement, n)) for n in names),
                                  func.count().filter(Settlement.kind != "cancel"))
                           .where(Settlement.year == year)).one()
    totals = {name: sql_money(value or 0) for name, value in zip(names, sums[:-1], strict=True)}
    return by_benefit, totals, int(sums[-1] or 0)


def inpatient_ratio(session: Session, year: int) -> tuple[Decimal, Decimal, Decimal | None]:
    """(in-scope inpatient cost, basic fund paid for it, ratio in per cent) — see RATIO_DEFINITION."""
    inscp, hifp = session.execute(
        select(func.sum(Settlement.inscp_scp_amt), func.sum(Settlement.hifp_pay))
        .where(Settlement.year == year, Settlement.benefit == "inpatient")
    ).one()
    inscp, hifp = sql_money(inscp or 0), sql_money(hifp or 0)
    if inscp <= 0:
        return inscp, hifp, None
    return inscp, hifp, round_money(hifp * 100 / inscp)


def dashboard(session: Session, year: int) -> Dashboard:
    by_category, by_town = insured_counts(session, year)
    channels = contributions_collected(session, year)
    by_benefit, totals, count = fund_paid(session, year)
    inscp, hifp, ratio = inpatient_ratio(session, year)
    effective = int(session.scalar(select(func.count()).select_from(Enrollment)
                                   .where(Enrollment.year == year, Enrollment.status == "active")) or 0)
    return Dashboard(year, sum(n for _, n in by_category), effective, by_category, by_town,
                     sum((amount for _, amount in channels), money("0.00")), channels, by_benefit, totals, count,
                     inscp, hifp, ratio)


__all__ = ["MONTHS", "RATIO_DEFINITION", "S22_INPATIENT_RATIO", "S22_INPATIENT_RATIO_SOURCE", "Dashboard",
           "contributions_collected", "dashboard", "fund_paid", "inpatient_ratio", "insured_counts"]
