"""Eligibility, category, contribution and benefit start with the seeds' own dates and amounts
(POLICY.md §2–§4; S22 §1 table, §7; S18 §1)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from yibao.policy.editions import Edition, Editions
from yibao.policy.eligibility import (
    Certificate,
    NonlocalChild,
    Timing,
    benefit_period,
    category_on,
    check_eligible,
    contribution_for,
    enrollment_timing,
    full_subsidy_class_on,
    nonlocal_child_refusals,
    require_full_subsidy,
)
from yibao.policy.errors import NotEligible, ParameterNotSet, UnknownCategory

d = dt.date.fromisoformat


@pytest.fixture
def e22(editions: Editions) -> Edition:
    return editions.get("2022")


@pytest.fixture
def e18(editions: Editions) -> Edition:
    return editions.get("2018")


# --- category (S22 §1 table: 2002-12-31 adult / 2003-01-01 minor / 2016-01-01 infant) ---------------

@pytest.mark.parametrize(("birth", "category"), [
    ("2002-12-31", "adult"), ("1950-06-01", "adult"), ("2003-01-01", "minor"), ("2015-12-31", "minor"),
    ("2016-01-01", "infant"), ("2022-11-30", "infant"),
])
def test_category_by_birth_date_2022(e22: Edition, birth: str, category: str) -> None:
    assert category_on(e22, d(birth), 2022) == category


def test_student_category_regardless_of_birth_date(e22: Edition) -> None:
    assert category_on(e22, d("2010-03-01"), 2022, student=True) == "student"
    assert category_on(e22, d("2001-03-01"), 2022, student=True) == "student"


def test_birth_bounds_move_with_policy_year(e22: Edition) -> None:
    """ASSUMPTION (POLICY.md §2): for year Y adult ≤ (Y-20)-12-31, infant ≥ (Y-6)-01-01."""
    assert category_on(e22, d("2003-12-31"), 2023) == "adult"
    assert category_on(e22, d("2004-01-01"), 2023) == "minor"
    assert category_on(e22, d("2016-12-31"), 2023) == "minor"
    assert category_on(e22, d("2017-01-01"), 2023) == "infant"


def test_born_after_the_year_cannot_enroll(e22: Edition) -> None:
    with pytest.raises(NotEligible):
        category_on(e22, d("2023-01-01"), 2022)


def test_2018_adults_choose_tier_a_or_b(e18: Edition) -> None:
    assert category_on(e18, d("1970-01-01"), 2018, adult_tier="adult_a") == "adult_a"
    assert category_on(e18, d("1970-01-01"), 2018, adult_tier="adult_b") == "adult_b"
    with pytest.raises(NotEligible, match="档次"):
        category_on(e18, d("1970-01-01"), 2018)
    with pytest.raises(NotEligible, match="只有成年居民"):
        category_on(e18, d("2012-01-01"), 2018, adult_tier="adult_a")


def test_2022_has_no_adult_tiers(e22: Edition) -> None:
    """S22 §7.1: the A and B tiers merged into one adult category."""
    with pytest.raises(UnknownCategory):
        category_on(e22, d("1970-01-01"), 2022, adult_tier="adult_b")


# --- contribution and subsidy (S22 §1 table: 750/2090, 600/1000, 260/370) ------------------------------

@pytest.mark.parametrize(("category", "personal", "subsidy"), [
    ("adult", "750", "2090"), ("infant", "600", "1000"), ("minor", "260", "370"), ("student", "260", "370"),
])
def test_contribution_2022(e22: Edition, category: str, personal: str, subsidy: str) -> None:
    c = contribution_for(e22, category)
    assert (c.personal, c.government, c.full_subsidy_class) == (Decimal(personal), Decimal(subsidy), None)
    assert c.total == Decimal(personal) + Decimal(subsidy)


def test_full_subsidy_moves_the_personal_part_to_the_government(e22: Edition) -> None:
    c = contribution_for(e22, "adult", "minimum_living")
    assert (c.personal, c.government, c.standard_personal) == (Decimal("0"), Decimal("2840"), Decimal("750"))


def test_2018_contribution_amounts_must_be_set_by_an_administrator(e18: Edition) -> None:
    """POLICY.md §2: 2018 amounts are parameters without a default; using one unset is an error."""
    with pytest.raises(ParameterNotSet, match=r"categories\.adult_a\.personal_contribution"):
        contribution_for(e18, "adult_a")


@pytest.mark.parametrize("kind", ["priority_entitled", "disabled_grade_1", "disabled_grade_2", "minimum_living",
                                  "extreme_poverty", "marginal_low_income"])
def test_full_subsidy_classes_2022(e22: Edition, kind: str) -> None:
    certs = (Certificate(kind, d("2021-01-01"), d("2022-12-31")),)
    assert full_subsidy_class_on(e22, certs, d("2021-10-15"), local=True) == kind


def test_marginal_low_income_fully_subsidised_from_2022_only(e18: Edition, e22) -> None:
    """S22 §7.3: 低保边缘家庭成员 fully subsidised from 2022."""
    certs = (Certificate("marginal_low_income", d("2019-01-01")),)
    assert full_subsidy_class_on(e18, certs, d("2019-10-01"), local=True) is None
    assert full_subsidy_class_on(e22, certs, d("2021-10-01"), local=True) == "marginal_low_income"
    with pytest.raises(NotEligible):
        require_full_subsidy(e18, "marginal_low_income", certs, d("2019-10-01"), local=True)


def test_aid_recipient_subsidised_in_2018(e18: Edition, e22) -> None:
    """S18 §1 lists 扶助对象; S22 does not."""
    certs = (Certificate("aid_recipient", d("2017-01-01")),)
    assert full_subsidy_class_on(e18, certs, d("2018-10-01"), local=True) == "aid_recipient"
    assert full_subsidy_class_on(e22, certs, d("2021-10-01"), local=True) is None


def test_subsidy_judged_on_the_registration_date(e22: Edition) -> None:
    """S22 §1: 资格确认以办理参保登记日为准 — a certificate from the day after does not count."""
    certs = (Certificate("minimum_living", d("2021-10-16"), d("2022-10-15")),)
    assert full_subsidy_class_on(e22, certs, d("2021-10-15"), local=True) is None
    assert full_subsidy_class_on(e22, certs, d("2021-10-16"), local=True) == "minimum_living"
    with pytest.raises(NotEligible, match="不含参保登记日"):
        require_full_subsidy(e22, "minimum_living", certs, d("2021-10-15"), local=True)
    require_full_subsidy(e22, "minimum_living", certs, d("2022-10-15"), local=True)


def test_full_subsidy_only_for_local_registration(e22: Edition) -> None:
    certs = (Certificate("disabled_grade_1", d("2020-01-01")),)
    assert full_subsidy_class_on(e22, certs, d("2021-10-01"), local=False) is None
    with pytest.raises(NotEligible, match="本市户籍"):
        require_full_subsidy(e22, "disabled_grade_1", certs, d("2021-10-01"), local=False)


# --- who may enroll (S22 §1, §7.2) ------------------------------------------------------------------

def _child(**overrides: object) -> NonlocalChild:
    facts: dict[str, object] = dict(birth_date=d("2018-05-01"), insured_outside_ningbo=False,
                                    parent_employee_months=12, parent_benefit_normal=True,
                                    has_residence_permit=True, has_household_book_or_birth_certificate=True)
    facts.update(overrides)
    return NonlocalChild(**facts)


def test_nonlocal_child_conditions_2022(e22: Edition) -> None:
    assert nonlocal_child_refusals(e22, _child(), d("2021-11-01")) == ()
    check_eligible(e22, d("2021-11-01"), local=False, student=False, in_employee_insurance=False,
                   nonlocal_child=_child())
    assert len(nonlocal_child_refusals(e22, _child(parent_employee_months=11), d("2021-11-01"))) == 1
    assert len(nonlocal_child_refusals(e22, _child(insured_outside_ningbo=True), d("2021-11-01"))) == 1
    assert len(nonlocal_child_refusals(e22, _child(parent_benefit_normal=False), d("2021-11-01"))) == 1
    assert len(nonlocal_child_refusals(e22, _child(has_residence_permit=False), d("2021-11-01"))) == 1


def test_nonlocal_child_age_six_inclusive(e22: Edition) -> None:
    """6周岁以下（含）: still eligible the day before the 7th birthday, not on it."""
    assert nonlocal_child_refusals(e22, _child(birth_date=d("2014-11-02")), d("2021-11-01")) == ()
    assert nonlocal_child_refusals(e22, _child(birth_date=d("2014-11-01")), d("2021-11-01"))


def test_nonlocal_children_not_covered_before_2022(e18: Edition) -> None:
    with pytest.raises(NotEligible, match="非本市户籍儿童"):
        check_eligible(e18, d("2019-11-01"), local=False, student=False, in_employee_insurance=False,
                       nonlocal_child=_child())


def test_employee_insured_cannot_enroll(e22: Edition) -> None:
    with pytest.raises(NotEligible, match="职工基本医疗保险"):
        check_eligible(e22, d("2021-11-01"), local=True, student=False, in_employee_insurance=True)


def test_students_enroll_regardless_of_registration(e22: Edition) -> None:
    check_eligible(e22, d("2021-11-01"), local=False, student=True, in_employee_insurance=False)
    with pytest.raises(NotEligible):
        check_eligible(e22, d("2021-11-01"), local=False, student=False, in_employee_insurance=False)


# --- benefit period (S18 §1; POLICY.md §3) ---------------------------------------------------------

def test_timely_enrollment_starts_1_january(e22: Edition) -> None:
    period = benefit_period(e22, 2022, d("2021-10-20"))
    assert (period.start, period.end, period.timing) == (d("2022-01-01"), d("2022-12-31"), Timing.TIMELY)


def test_late_enrollment_waits_three_months(e22: Edition) -> None:
    """POLICY.md §3: enrolled any day in May → waiting June, July, August → benefits from 1 September."""
    for day in ("2022-05-01", "2022-05-17", "2022-05-31"):
        period = benefit_period(e22, 2022, d(day))
        assert (period.start, period.timing) == (d("2022-09-01"), Timing.LATE)
    assert not period.covers(d("2022-08-31")) and period.covers(d("2022-09-01"))


def test_late_enrollment_in_september_or_later_gives_no_benefit_this_year(e22: Edition) -> None:
    assert benefit_period(e22, 2022, d("2022-08-31")).start == d("2022-12-01")
    with pytest.raises(NotEligible, match="年度末之后"):
        benefit_period(e22, 2022, d("2022-09-01"))


@pytest.mark.parametrize(("exception", "event", "registered", "start"), [
    ("resident_interruption", "2021-12-31", "2022-01-20", "2022-02-01"),
    ("employee_transfer", "2022-03-15", "2022-06-30", "2022-07-01"),
    ("demobilised", "2022-02-10", "2022-05-05", "2022-06-01"),
])
def test_late_exceptions_start_the_month_after(e22: Edition, exception: str, event: str, registered: str,
                                               start: str) -> None:
    period = benefit_period(e22, 2022, d(registered), exception=exception, event_date=d(event))
    assert period.start == d(start)


@pytest.mark.parametrize(("exception", "event", "registered"), [
    ("resident_interruption", "2021-12-31", "2022-02-01"),
    ("employee_transfer", "2022-03-15", "2022-07-01"),
    ("demobilised", "2022-02-10", "2022-06-01"),
    ("newborn", "2022-03-15", "2022-07-01"),
])
def test_late_exceptions_outside_their_window_are_refused(e22: Edition, exception: str, event: str,
                                                          registered: str) -> None:
    with pytest.raises(NotEligible, match="已超过期限"):
        benefit_period(e22, 2022, d(registered), exception=exception, event_date=d(event))


def test_an_unknown_late_exception_is_refused_by_name(e22: Edition) -> None:
    with pytest.raises(NotEligible, match="未知的补办例外 'veteran'"):
        benefit_period(e22, 2022, d("2022-05-01"), exception="veteran", event_date=d("2022-04-01"))  # type: ignore[arg-type]


def test_newborn_benefits_from_the_date_of_birth(e22: Edition) -> None:
    """S18 §1 (4): enrolled within 3 months from the month after birth → covered from birth to year end."""
    period = benefit_period(e22, 2022, d("2022-06-30"), exception="newborn", event_date=d("2022-03-15"))
    assert (period.start, period.end) == (d("2022-03-15"), d("2022-12-31"))


def test_registration_outside_any_period_is_refused(e22: Edition) -> None:
    with pytest.raises(NotEligible):
        enrollment_timing(e22, 2022, d("2021-08-31"))
    with pytest.raises(NotEligible):
        enrollment_timing(e22, 2022, d("2023-01-01"))
    assert enrollment_timing(e22, 2022, d("2021-09-01")) is Timing.TIMELY
    assert enrollment_timing(e22, 2022, d("2022-01-01")) is Timing.LATE
