"""What the funds paid in a period (issue 16 item 3): by institution (a ranking), by hospital level and by benefit,
each with its settlements, medical cost, fund paid (basic / serious illness / assistance) and share of the whole.
From the standing settlements of the period (reports/triple.py says which); a manual claim has no institution and
is its own row (零星报销)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from yibao.db import sql_money
from yibao.institutions.models import Institution
from yibao.kit.money import ZERO, round_money
from yibao.policy.editions import BENEFIT_LABELS, LEVEL_LABELS, Benefit, Level
from yibao.reports.triple import standing
from yibao.settlement.models import Settlement

MANUAL_LABEL = "零星报销（参保人垫付后报销）"
AMOUNTS = ("medfee_sumamt", "fund_pay_sumamt", "hifp_pay", "hifmi_pay", "maf_pay")


@dataclass(frozen=True, slots=True)
class PaymentRow:
    key: str
    label: str
    settlements: int
    medfee: Decimal
    fund: Decimal  # fund_pay_sumamt: the three funds together
    hifp: Decimal
    hifmi: Decimal
    maf: Decimal
    share: Decimal | None  # per cent of the period's fund paid; None when nothing was paid


@dataclass(frozen=True, slots=True)
class Payments:
    start: dt.date
    end: dt.date
    by_institution: list[PaymentRow]  # most paid first
    by_level: list[PaymentRow]
    by_benefit: list[PaymentRow]
    total: PaymentRow


def _grouped(session: Session, key: Any, start: dt.date, end: dt.date) -> list[tuple[Any, int, list[Decimal]]]:
    rows = session.execute(select(key, func.count(), *(func.sum(getattr(Settlement, name)) for name in AMOUNTS))
                           .where(*standing(start, end)).group_by(key)).all()
    return [(row[0], int(row[1]), [sql_money(value or 0) for value in row[2:]]) for row in rows]


def _row(key: str, label: str, count: int, sums: list[Decimal], whole: Decimal) -> PaymentRow:
    medfee, fund, hifp, hifmi, maf = sums
    return PaymentRow(key, label, count, medfee, fund, hifp, hifmi, maf,
                      round_money(fund * 100 / whole) if whole > 0 else None)


def payments(session: Session, *, start: dt.date, end: dt.date) -> Payments:
    total_count, total_sums = 0, [ZERO] * len(AMOUNTS)
    for _, count, sums in _grouped(session, Settlement.benefit, start, end):
        total_count += count
        total_sums = [a + b for a, b in zip(total_sums, sums, strict=True)]
    whole = total_sums[1]
    names = {code: name for code, name in session.execute(select(Institution.fixmedins_code, Institution.name))}
    places = [_row(code or "", names.get(code, code) if code else MANUAL_LABEL, count, sums, whole)
              for code, count, sums in _grouped(session, Settlement.fixmedins_code, start, end)]
    levels = [_row(level, _label(LEVEL_LABELS, Level, level), count, sums, whole)
              for level, count, sums in _grouped(session, Settlement.level, start, end)]
    benefits = [_row(b, _label(BENEFIT_LABELS, Benefit, b), count, sums, whole)
                for b, count, sums in _grouped(session, Settlement.benefit, start, end)]
    return Payments(start, end, _most_first(places), _most_first(levels), _most_first(benefits),
                    _row("total", "合计", total_count, total_sums, whole))


def _label(labels: Mapping[Any, str], kind: type[StrEnum], value: str) -> str:
    try:
        return labels[kind(value)]
    except (ValueError, KeyError):
        return value


def _most_first(found: list[PaymentRow]) -> list[PaymentRow]:
    return sorted(found, key=lambda r: (-r.fund, r.key))


HEADER = ("分组", "名称", "结算笔数", "医疗费用（元）", "基金支付（元）", "其中统筹基金", "大病保险", "医疗救助",
          "占基金支付（%）")


def rows(report: Payments) -> list[tuple[object, ...]]:
    """The report as rows of HEADER (the Excel sheet and the CLI)."""
    found: list[tuple[object, ...]] = []
    for group, part in (("按机构", report.by_institution), ("按医院等级", report.by_level),
                        ("按待遇类别", report.by_benefit), ("合计", [report.total])):
        found += [(group, r.label, r.settlements, r.medfee, r.fund, r.hifp, r.hifmi, r.maf,
                   "—" if r.share is None else r.share) for r in part]
    return found
