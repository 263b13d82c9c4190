"""Insured persons and contributions (issue 16 item 3): for a policy year as of a day, the registered persons by
category and by town, how far the collection has come (paid / fully subsidised / not yet paid), the personal
contributions collected and the government subsidy they bring, the payments by channel — each beside the year
before as of the same day (同比).

"As of" reads the rows as they stood on that day: an enrollment counts from its registration date until it is
cancelled; a bill counts as paid from its payment's date (POLICY.md §4: the enrollment is effective for benefits
once the year's contribution is paid or fully subsidised).

ASSUMPTION: the year before is compared as of the same calendar day one year earlier (29 February → 28 February);
a fully subsidised person (全额资助, POLICY.md §2) is counted as collected from registration, their personal part
paid by the government and shown with the subsidy.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any

from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.orm import Session

from yibao.contributions.models import Bill, Payment
from yibao.contributions.service import PAYMENT_CHANNELS
from yibao.db import sql_money
from yibao.enrollment.models import Enrollment
from yibao.kit.money import ZERO, round_money
from yibao.people.models import Person
from yibao.people.towns import TOWN_BY_CODE
from yibao.policy.editions import Editions
from yibao.policy.errors import NoEditionInForce

OUTSIDE_TOWNS = "非本区户籍"


@dataclass(frozen=True, slots=True)
class Progress:
    """One row: the registered persons of a group and how their contributions stand."""

    key: str
    label: str
    registered: int
    paid: int  # paid their personal contribution by the day
    subsidised: int  # fully subsidised (全额资助): nothing to pay
    personal: Decimal  # personal contributions paid by the day
    government: Decimal  # government subsidy of the collected persons (enrollments.government_amount: the
    # category's subsidy, plus the personal part for a full subsidy)
    last_registered: int  # the year before, as of the same day
    last_collected: int

    @property
    def unpaid(self) -> int:
        return self.registered - self.paid - self.subsidised

    @property
    def collected(self) -> int:
        return self.paid + self.subsidised

    @property
    def rate(self) -> Decimal | None:
        """Collection progress in per cent (paid or subsidised of the registered)."""
        return _per_cent(self.collected, self.registered)

    @property
    def change(self) -> Decimal | None:
        """Year on year: the change in collected persons, in per cent of last year's."""
        return _per_cent(self.collected - self.last_collected, self.last_collected)


@dataclass(frozen=True, slots=True)
class ChannelRow:
    key: str
    label: str
    payments: int
    amount: Decimal
    last_payments: int
    last_amount: Decimal


@dataclass(frozen=True, slots=True)
class InsuredReport:
    year: int
    as_of: dt.date
    last_as_of: dt.date
    by_category: list[Progress]
    by_town: list[Progress]
    by_channel: list[ChannelRow]
    total: Progress


def _per_cent(part: int, whole: int) -> Decimal | None:
    return round_money(Decimal(part) * 100 / whole) if whole > 0 else None


def year_before(day: dt.date) -> dt.date:
    """The same calendar day a year earlier (29 February → 28 February)."""
    try:
        return day.replace(year=day.year - 1)
    except ValueError:
        return day.replace(year=day.year - 1, day=28)


def _standing(year: int, as_of: dt.date) -> Any:
    """The enrollments of `year` registered by `as_of` and not cancelled by then."""
    e = Enrollment
    end_of_day = dt.datetime.combine(as_of + dt.timedelta(days=1), dt.time())
    return and_(e.year == year, e.registration_date <= as_of,
                or_(e.status != "cancelled", e.cancelled_at.is_(None), e.cancelled_at >= end_of_day))


Group = tuple[str, str | None]  # (category, town)
Counts = tuple[int, int, int, Decimal, Decimal]  # registered, paid, subsidised, personal paid, government


def _groups(session: Session, year: int, as_of: dt.date) -> dict[Group, Counts]:
    """(category, town) → (registered, paid, subsidised, personal paid, government) as of the day."""
    e, p = Enrollment, Payment
    paid = and_(p.id.is_not(None), p.paid_on <= as_of)
    subsidised = e.personal_amount == 0
    collected = or_(paid, subsidised)
    query = (
        select(e.category, Person.town, func.count(),
               func.count().filter(paid), func.count().filter(subsidised),
               func.sum(case((paid, p.amount), else_=ZERO)),
               func.sum(case((collected, e.government_amount), else_=ZERO)))
        .select_from(e).join(Person, Person.psn_no == e.psn_no)
        .outerjoin(Bill, and_(Bill.psn_no == e.psn_no, Bill.enrollment_id == e.id))
        .outerjoin(p, and_(p.psn_no == Bill.psn_no, p.bill_id == Bill.id))
        .where(_standing(year, as_of)).group_by(e.category, Person.town)
    )
    return {(category, town): (int(n), int(n_paid), int(n_sub), sql_money(personal or 0), sql_money(gov or 0))
            for category, town, n, n_paid, n_sub, personal, gov in session.execute(query)}


def _channels(session: Session, year: int, as_of: dt.date) -> dict[str, tuple[int, Decimal]]:
    e, p = Enrollment, Payment
    query = (select(p.channel, func.count(), func.sum(p.amount))
             .select_from(e).join(Bill, and_(Bill.psn_no == e.psn_no, Bill.enrollment_id == e.id))
             .join(p, and_(p.psn_no == Bill.psn_no, p.bill_id == Bill.id))
             .where(_standing(year, as_of), p.paid_on <= as_of).group_by(p.channel))
    return {channel: (int(n), sql_money(total or 0)) for channel, n, total in session.execute(query)}


def _rolled(now: Mapping[Group, Counts], before: Mapping[Group, Counts], key_of: Callable[[Group], str],
            label_of: Callable[[str], str]) -> list[Progress]:
    rows: dict[str, Progress] = {}
    for source, this_year in ((now, True), (before, False)):
        for group, (n, n_paid, n_sub, personal, gov) in source.items():
            key = key_of(group)
            row = rows.get(key) or Progress(key, label_of(key), 0, 0, 0, ZERO, ZERO, 0, 0)
            if this_year:
                row = replace(row, registered=row.registered + n, paid=row.paid + n_paid,
                              subsidised=row.subsidised + n_sub, personal=row.personal + personal,
                              government=row.government + gov)
            else:
                row = replace(row, last_registered=row.last_registered + n,
                              last_collected=row.last_collected + n_paid + n_sub)
            rows[key] = row
    return sorted(rows.values(), key=lambda r: (-r.registered, -r.last_registered, r.key))


def _town_name(code: str) -> str:
    return TOWN_BY_CODE[code].name if code in TOWN_BY_CODE else OUTSIDE_TOWNS


def category_labels(editions: Editions, year: int) -> dict[str, str]:
    """The categories' names of the edition in force at the end of `year` and the year before (2018's tiers)."""
    found: dict[str, str] = {}
    for day in (dt.date(year - 1, 12, 31), dt.date(year, 12, 31)):
        try:
            found |= {code: c.label for code, c in editions.on(day).categories.items()}
        except NoEditionInForce:
            continue
    return found


def insured_report(session: Session, editions: Editions, *, year: int, as_of: dt.date) -> InsuredReport:
    """The year's insured and contributions as of `as_of`, beside the year before as of a year earlier."""
    last_as_of = year_before(as_of)
    now, before = _groups(session, year, as_of), _groups(session, year - 1, last_as_of)
    labels = category_labels(editions, year)
    by_category = _rolled(now, before, lambda g: g[0], lambda code: labels.get(code, code))
    by_town = _rolled(now, before, lambda g: g[1] or "", lambda code: _town_name(code))
    total = _rolled(now, before, lambda g: "total", lambda _: "合计")
    channels_now, channels_before = _channels(session, year, as_of), _channels(session, year - 1, last_as_of)
    by_channel = sorted((ChannelRow(c, PAYMENT_CHANNELS.get(c, c), *channels_now.get(c, (0, ZERO)),
                                    *channels_before.get(c, (0, ZERO)))
                         for c in set(channels_now) | set(channels_before)), key=lambda r: (-r.amount, r.key))
    return InsuredReport(year, as_of, last_as_of, by_category, by_town, by_channel,
                         total[0] if total else Progress("total", "合计", 0, 0, 0, ZERO, ZERO, 0, 0))


HEADER = ("分组", "名称", "登记人数", "已缴费", "全额资助", "未缴费", "缴费进度（%）", "个人缴费（元）",
          "政府补助（元）", "上年同期登记", "上年同期已缴及资助", "同比（%）")
CHANNEL_HEADER = ("缴费渠道", "笔数", "金额（元）", "上年同期笔数", "上年同期金额（元）")


def _shown(value: Decimal | None) -> Decimal | str:
    return "—" if value is None else value


def rows(report: InsuredReport) -> list[tuple[object, ...]]:
    """The progress rows as HEADER (the Excel file's first sheet and the CLI)."""
    found: list[tuple[object, ...]] = []
    for group, part in (("按参保类别", report.by_category), ("按镇（街道）", report.by_town), ("合计", [report.total])):
        found += [(group, r.label, r.registered, r.paid, r.subsidised, r.unpaid, _shown(r.rate), r.personal,
                   r.government, r.last_registered, r.last_collected, _shown(r.change)) for r in part]
    return found


def channel_rows(report: InsuredReport) -> list[tuple[object, ...]]:
    """The payments by channel as CHANNEL_HEADER (the Excel file's second sheet)."""
    return [(r.label, r.payments, r.amount, r.last_payments, r.last_amount) for r in report.by_channel]


def sheets(report: InsuredReport) -> list[tuple[str, tuple[str, ...], list[tuple[object, ...]]]]:
    """The Excel file: progress by category and town, then the channels."""
    return [("参保与缴费", HEADER, rows(report)), ("缴费渠道", CHANNEL_HEADER, channel_rows(report))]
