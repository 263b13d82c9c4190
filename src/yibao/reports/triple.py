"""S22's "三重保障" figures for any period (issue 16 item 3, POLICY.md §14): total medical cost, what the basic fund
paid, the in-policy inpatient reimbursement ratio; serious-illness insurance cases, amount and compliant-expense
ratio; medical-assistance cases and amount — each beside the figure the 2022 report gives.

Read from the standing settlements (direct and manual, not cancelled) with a service date in the period: a
cancelled settlement's original is marked cancelled and its negated copy left out, so both drop out together."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from yibao.db import sql_money
from yibao.kit.money import money, round_money
from yibao.settlement.models import Settlement, SettlementKind, SettlementStatus

S22_SOURCE = "奉化区医保2022年度“三重保障”报道（S22）"
# ASSUMPTION: a case (人次) is a standing settlement in which the fund paid something: hifmi_pay > 0 for serious
# illness, maf_pay > 0 for assistance; the serious-illness compliant-expense ratio is what the basic fund and the
# serious-illness insurance paid of those settlements' in-scope cost. The report gives the figures, not formulas.
DEFINITIONS = {
    "inpatient_ratio": "住院统筹基金支付 ÷ 住院政策范围内费用",
    "serious_cases": "大病保险支付大于 0 的结算人次",
    "serious_ratio": "这些结算的（统筹基金 + 大病保险）支付 ÷ 其政策范围内费用",
    "assistance_cases": "医疗救助支付大于 0 的结算人次",
}


@dataclass(frozen=True, slots=True)
class Figure:
    key: str
    label: str
    value: Decimal | int | None  # None: nothing to divide by yet
    unit: str  # 元 / % / 人次
    s22: Decimal | int  # the 2022 report's figure
    definition: str = ""


@dataclass(frozen=True, slots=True)
class TripleProtection:
    start: dt.date
    end: dt.date
    settlements: int
    figures: tuple[Figure, ...]

    def figure(self, key: str) -> Figure:
        return next(f for f in self.figures if f.key == key)


def _ratio(part: Decimal, whole: Decimal) -> Decimal | None:
    return round_money(part * 100 / whole) if whole > 0 else None


def standing(start: dt.date, end: dt.date) -> tuple[ColumnElement[bool], ...]:
    """The settlements that stand (direct and manual, not cancelled) with a service date in [start, end]."""
    s = Settlement
    return (s.status == SettlementStatus.VALID.value, s.kind != SettlementKind.CANCEL.value,
            s.service_date >= start, s.service_date <= end)


def triple_protection(session: Session, *, start: dt.date, end: dt.date) -> TripleProtection:
    s = Settlement
    inpatient, serious, assisted = s.benefit == "inpatient", s.hifmi_pay > 0, s.maf_pay > 0
    row = session.execute(select(
        func.count(), func.sum(s.medfee_sumamt), func.sum(s.hifp_pay),
        func.sum(s.inscp_scp_amt).filter(inpatient), func.sum(s.hifp_pay).filter(inpatient),
        func.count().filter(serious), func.sum(s.hifmi_pay), func.sum(s.inscp_scp_amt).filter(serious),
        func.sum(s.hifp_pay + s.hifmi_pay).filter(serious),
        func.count().filter(assisted), func.sum(s.maf_pay),
    ).where(*standing(start, end))).one()
    count, medfee, hifp, ip_inscp, ip_hifp, sv_cases, sv_amount, sv_inscp, sv_paid, as_cases, as_amount = row
    amount = [sql_money(v or 0) for v in (medfee, hifp, ip_inscp, ip_hifp, sv_amount, sv_inscp, sv_paid, as_amount)]
    medfee, hifp, ip_inscp, ip_hifp, sv_amount, sv_inscp, sv_paid, as_amount = amount
    figures = (
        Figure("medfee", "医疗总费用", medfee, "元", money("1366000000")),
        Figure("hifp", "基本医保统筹基金支付", hifp, "元", money("954000000")),
        Figure("inpatient_ratio", "政策内住院报销比例", _ratio(ip_hifp, ip_inscp), "%", money("77.89"),
               DEFINITIONS["inpatient_ratio"]),
        Figure("serious_cases", "大病保险报销人次", int(sv_cases or 0), "人次", 15591, DEFINITIONS["serious_cases"]),
        Figure("serious_amount", "大病保险报销金额", sv_amount, "元", money("7951400")),
        Figure("serious_ratio", "大病保险合规费用报销比例", _ratio(sv_paid, sv_inscp), "%", money("67.17"),
               DEFINITIONS["serious_ratio"]),
        Figure("assistance_cases", "医疗救助人次", int(as_cases or 0), "人次", 148424, DEFINITIONS["assistance_cases"]),
        Figure("assistance_amount", "医疗救助金额", as_amount, "元", money("14303800")),
    )
    return TripleProtection(start, end, int(count or 0), figures)


HEADER = ("指标", "本期", "单位", "2022年度报道", "口径")


def rows(report: TripleProtection) -> list[tuple[object, ...]]:
    """The report as rows of HEADER (the page's table, the Excel sheet, the CLI)."""
    return [(f.label, "—" if f.value is None else f.value, f.unit, f.s22, f.definition) for f in report.figures]
