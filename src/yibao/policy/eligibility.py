"""Eligibility, category, contribution and benefit start as pure functions (POLICY.md §2–§4).

Everything a registration clerk's decision rests on: who may be insured, in which category for a policy
year, what the person pays and the government adds, whether a certificate makes the personal part free,
and from which day benefits start (timely, late with the waiting period, its four exceptions, newborns).
Callers pass every fact and date in; nothing here reads the clock or a database.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from yibao.kit.dates import add_months_first, age_on, months_between, year_end
from yibao.kit.money import ZERO
from yibao.policy.editions import Edition, LateException
from yibao.policy.errors import NotEligible, ParameterNotSet, UnknownCategory

# ---------------------------------------------------------------------------------------------------
# Category (POLICY.md §2)


def category_on(
    edition: Edition,
    birth_date: dt.date,
    policy_year: int,
    *,
    student: bool = False,
    adult_tier: str | None = None,
) -> str:
    """The category of a person for `policy_year`: student, else by birth date (adult / infant / minor).

    Adult bounds: born on or before (Y-20)-12-31; infants on or after (Y-6)-01-01 (S22 §1 table for 2022).
    Where the edition has adult tiers (2018: adult_a / adult_b), the resident's choice is required.
    """
    rules = edition.category_rules
    if birth_date > year_end(policy_year):
        raise NotEligible(f"出生日期 {birth_date} 晚于 {policy_year} 年度末，不能参加该年度医保", field="birth_date")
    adult_codes = rules.adult_categories.value
    if adult_tier is not None and adult_tier not in adult_codes:
        raise UnknownCategory(
            f"{edition.code} 年度政策的成年居民档次只有：{'、'.join(adult_codes)}，没有 {adult_tier!r}",
            field="adult_tier",
        )
    if student:
        category = rules.student_category
    elif birth_date <= dt.date(policy_year - rules.adult_born_by_offset.value, 12, 31):
        if len(adult_codes) == 1:
            return adult_codes[0]
        if adult_tier is None:
            raise NotEligible(
                f"{edition.code} 年度政策的成年居民须选择档次（{'、'.join(adult_codes)}）", field="adult_tier"
            )
        return adult_tier
    elif birth_date >= dt.date(policy_year - rules.infant_born_from_offset.value, 1, 1):
        category = rules.infant_category
    else:
        category = rules.minor_category
    if adult_tier is not None and len(adult_codes) > 1:
        raise NotEligible("只有成年居民可以选择档次", field="adult_tier")
    return category


# ---------------------------------------------------------------------------------------------------
# Contribution and subsidy (POLICY.md §2, S22 §1 table, §7.3)


@dataclass(frozen=True, slots=True)
class Certificate:
    """A certificate for a subsidy or assistance class with its validity period (valid_to None = open)."""

    kind: str
    valid_from: dt.date
    valid_to: dt.date | None = None

    def valid_on(self, day: dt.date) -> bool:
        return self.valid_from <= day and (self.valid_to is None or day <= self.valid_to)


@dataclass(frozen=True, slots=True)
class Contribution:
    """The year's contribution: what the person pays and what the government adds (all Decimal yuan)."""

    category: str
    standard_personal: Decimal  # the category's personal contribution
    personal: Decimal  # what the person pays: 0 when fully subsidised
    government: Decimal  # the category's subsidy plus, when fully subsidised, the personal part
    full_subsidy_class: str | None
    source: str

    @property
    def total(self) -> Decimal:
        return self.personal + self.government


def contribution_for(edition: Edition, category: str, full_subsidy_class: str | None = None) -> Contribution:
    """Personal contribution and government subsidy of a category; full subsidy moves the personal part."""
    entry = edition.categories.get(category)
    if entry is None:
        raise UnknownCategory(f"{edition.code} 年度政策没有参保类别 {category!r}", field="category")
    personal, subsidy = entry.personal_contribution.value, entry.government_subsidy.value
    for key, value in (("personal_contribution", personal), ("government_subsidy", subsidy)):
        if value is None:
            raise ParameterNotSet(
                f"{edition.code} 年度政策参数 categories.{category}.{key}（{entry.label}）尚未设定，"
                "请管理员在政策版本中填写后再收费",
                field=f"categories.{category}.{key}",
            )
    assert personal is not None and subsidy is not None
    if full_subsidy_class is not None and full_subsidy_class not in edition.full_subsidy_classes:
        raise NotEligible(
            f"{edition.code} 年度政策不对 {full_subsidy_class!r} 全额资助参保", field="full_subsidy_class"
        )
    source = f"{entry.personal_contribution.source}; {entry.government_subsidy.source}"
    if full_subsidy_class is None:
        return Contribution(category, personal, personal, subsidy, None, source)
    cls = edition.full_subsidy_classes[full_subsidy_class]
    return Contribution(category, personal, ZERO, subsidy + personal, full_subsidy_class, f"{source}; {cls.source}")


def full_subsidy_class_on(
    edition: Edition, certificates: tuple[Certificate, ...], registration_date: dt.date, *, local: bool
) -> str | None:
    """The first full-subsidy class (edition order) the person holds a valid certificate for on the
    registration date; only local-registration persons qualify (S22 §1: 本市户籍; S18 §1: 有效期内证件)."""
    if not local:
        return None
    held = {c.kind for c in certificates if c.valid_on(registration_date)}
    for kind in edition.full_subsidy_classes:
        if kind in held:
            return kind
    return None


def require_full_subsidy(
    edition: Edition, kind: str, certificates: tuple[Certificate, ...], registration_date: dt.date, *, local: bool
) -> None:
    """Refuse a claimed full subsidy that the rules do not grant, saying why (POLICY.md §2)."""
    cls = edition.full_subsidy_classes.get(kind)
    if cls is None:
        raise NotEligible(f"{edition.code} 年度政策不对该类人员全额资助参保（{kind}）", field="full_subsidy_class")
    if not local:
        raise NotEligible(f"{cls.label}全额资助仅限本市户籍人员", field="full_subsidy_class")
    matching = [c for c in certificates if c.kind == kind]
    if not matching:
        raise NotEligible(f"没有{cls.label}证件，请先登记有效证件", field="certificates")
    if not any(c.valid_on(registration_date) for c in matching):
        periods = "、".join(f"{c.valid_from}至{c.valid_to or '长期'}" for c in matching)
        raise NotEligible(
            f"{cls.label}证件有效期（{periods}）不含参保登记日 {registration_date}，资格以登记日为准",
            field="certificates",
        )


# ---------------------------------------------------------------------------------------------------
# Who may enroll (POLICY.md §2)


@dataclass(frozen=True, slots=True)
class NonlocalChild:
    """Facts of a non-local-registration child living in the city (S22 §1, §7.2)."""

    birth_date: dt.date
    insured_outside_ningbo: bool
    parent_employee_months: int
    parent_benefit_normal: bool
    has_residence_permit: bool
    has_household_book_or_birth_certificate: bool


def nonlocal_child_refusals(edition: Edition, child: NonlocalChild, registration_date: dt.date) -> tuple[str, ...]:
    """The conditions a non-local child fails (empty: eligible)."""
    rules = edition.enrollment.nonlocal_child
    if rules is None:
        return (f"{edition.code} 年度政策不含非本市户籍儿童参保（自2022年起实施）",)
    reasons = []
    age = age_on(child.birth_date, registration_date)
    if age > rules.max_age.value:
        reasons.append(f"儿童年龄 {age} 周岁，超过 {rules.max_age.value} 周岁")
    if child.insured_outside_ningbo:
        reasons.append("儿童已在宁波市以外参加基本医疗保险")
    if child.parent_employee_months < rules.parent_min_employee_months.value:
        reasons.append(
            f"父母一方职工医保累计缴费 {child.parent_employee_months} 个月，"
            f"不满 {rules.parent_min_employee_months.value} 个月"
        )
    if not child.parent_benefit_normal:
        reasons.append("父母一方职工医保当前待遇不正常")
    if not child.has_residence_permit:
        reasons.append("缺少儿童在本市的有效居住证")
    if not child.has_household_book_or_birth_certificate:
        reasons.append("缺少户口本或出生医学证明")
    return tuple(reasons)


def check_eligible(
    edition: Edition,
    registration_date: dt.date,
    *,
    local: bool,
    student: bool,
    in_employee_insurance: bool,
    nonlocal_child: NonlocalChild | None = None,
) -> None:
    """Refuse a person the scheme does not cover: employee-insured, or neither local, student nor an
    eligible non-local child (POLICY.md §2)."""
    if in_employee_insurance:
        raise NotEligible("已参加职工基本医疗保险的人员不能参加城乡居民医保", field="employee_insurance")
    if local or student:
        return
    if nonlocal_child is None:
        raise NotEligible(
            "非本区户籍人员只有中小学生或符合条件的非本市户籍 0–6 周岁儿童可以参保", field="household"
        )
    reasons = nonlocal_child_refusals(edition, nonlocal_child, registration_date)
    if reasons:
        raise NotEligible("非本市户籍儿童不符合参保条件：" + "；".join(reasons), field="nonlocal_child")


# ---------------------------------------------------------------------------------------------------
# Benefit period (POLICY.md §3, S18 §1)


class Timing(StrEnum):
    TIMELY = "timely"  # 集中参保期内参保/续保
    LATE = "late"  # 年度中间补办


@dataclass(frozen=True, slots=True)
class BenefitPeriod:
    """待遇享受期: from `start` to `end` (inclusive), with the rule that set the start."""

    start: dt.date
    end: dt.date
    timing: Timing
    basis: str
    source: str

    def covers(self, day: dt.date) -> bool:
        return self.start <= day <= self.end


def enrollment_timing(edition: Edition, policy_year: int, registration_date: dt.date) -> Timing:
    """Timely within the collection period for the year; late during the year itself; else refused."""
    opens, closes = edition.enrollment.collection_period.for_year(policy_year)
    if registration_date < opens:
        raise NotEligible(f"{policy_year} 年度参保登记自 {opens} 起办理", field="registration_date")
    if registration_date <= closes:
        return Timing.TIMELY
    if registration_date <= year_end(policy_year):
        return Timing.LATE
    raise NotEligible(f"{policy_year} 年度已结束，不能再为该年度参保", field="registration_date")


def benefit_period(
    edition: Edition,
    policy_year: int,
    registration_date: dt.date,
    *,
    exception: LateException | None = None,
    event_date: dt.date | None = None,
) -> BenefitPeriod:
    """When benefits start for an enrollment registered on `registration_date` for `policy_year`.

    Timely: 1 January. Late: the 1st of the month after a waiting period of 3 whole months (POLICY.md §3
    ASSUMPTION). The four exceptions (S18 §1) start the month after enrollment, a newborn on the birth date;
    each needs its `event_date` (end of the previous resident coverage, stop of employee insurance, move-in
    of the registration, birth) and enrollment within its window. Benefits run to 31 December.
    """
    end = year_end(policy_year)
    timing = enrollment_timing(edition, policy_year, registration_date)
    rules = edition.enrollment
    if timing is Timing.TIMELY:
        if exception is not None:
            raise NotEligible("集中参保期内参保无需申请补办例外", field="exception")
        return BenefitPeriod(dt.date(policy_year, 1, 1), end, timing, "集中参保期内参保，待遇自1月1日起",
                             rules.collection_period.source)
    if exception is None:
        wait = rules.late_waiting_months.value
        start = add_months_first(registration_date, wait + 1)
        basis = f"年度中间补办，{wait} 个月待遇等待期后自 {start} 起享受"
        return _within_year(BenefitPeriod(start, end, timing, basis, rules.late_waiting_months.source))
    rule = rules.late_exceptions.get(exception)
    if rule is None:
        raise NotEligible(f"未知的补办例外 {exception!r}，可选：{'、'.join(rules.late_exceptions)}", field="exception")
    if event_date is None:
        raise NotEligible(f"补办例外“{rule.label}”需要提供相关日期", field="event_date")
    if registration_date < event_date:
        raise NotEligible(f"参保登记日 {registration_date} 早于相关日期 {event_date}", field="event_date")
    if months_between(event_date, registration_date) > rule.window_months:
        raise NotEligible(
            f"“{rule.label}”须在 {event_date} 所在月的次月起 {rule.window_months} 个月内办理，已超过期限",
            field="event_date",
        )
    if rule.benefit_from == "birth_date":
        if event_date.year != policy_year:
            raise NotEligible(f"新生儿须为 {policy_year} 年度内出生", field="event_date")
        return BenefitPeriod(event_date, end, timing, f"{rule.label}，自出生之日起享受", rule.source)
    start = add_months_first(registration_date, 1)
    return _within_year(BenefitPeriod(start, end, timing, f"{rule.label}，补办次月起享受", rule.source))


def _within_year(period: BenefitPeriod) -> BenefitPeriod:
    if period.start > period.end:
        raise NotEligible(
            f"待遇开始日 {period.start} 已在年度末之后，本年度补办无法享受待遇，请参加下一年度集中参保",
            field="registration_date",
        )
    return period
