"""Enrollment (issue 3 §3; POLICY.md §2–§3) on both databases, with the seeds' dates and amounts."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.dbfixtures import EDITIONS
from tests.registry.helpers import certno, person
from yibao.contributions.models import Bill
from yibao.enrollment.models import Enrollment
from yibao.enrollment.service import EnrollmentRequest, cancel_enrollment, coverage_on, enroll_person
from yibao.errors import Conflict, InvalidInput, Refused
from yibao.people.service import add_certificate, register_person
from yibao.policy.eligibility import NonlocalChild
from yibao.policy.errors import NotEligible, ParameterNotSet

d = dt.date.fromisoformat


def enroll(session: Session, psn_no: str, year: int = 2022, registered: str = "2021-10-15", channel: str = "zlb_app",
           **kw: object) -> Enrollment:
    return enroll_person(session, EDITIONS, EnrollmentRequest(psn_no, year, d(registered), channel, **kw),  # type: ignore[arg-type]
                         actor="test")


def rows(session: Session) -> tuple[int, int]:
    return (session.scalar(select(func.count()).select_from(Enrollment)) or 0,
            session.scalar(select(func.count()).select_from(Bill)) or 0)


def bill_of(session: Session, e: Enrollment) -> Bill:
    return session.scalars(select(Bill).where(Bill.enrollment_id == e.id)).one()


@pytest.mark.parametrize(("birth", "category", "personal", "subsidy"), [
    ("2002-12-31", "adult", "750.00", "2090.00"), ("2003-01-01", "minor", "260.00", "370.00"),
    ("2016-01-01", "infant", "600.00", "1000.00"),
])
def test_timely_enrollment_2022_category_and_contribution(session: Session, birth: str, category: str,
                                                         personal: str, subsidy: str) -> None:
    e = enroll(session, person(session, birth).psn_no)
    assert (e.category, e.personal_amount, e.government_amount) == (category, Decimal(personal), Decimal(subsidy))
    assert (e.benefit_start, e.benefit_end, e.timing, e.status) == (d("2022-01-01"), d("2022-12-31"), "timely",
                                                                    "pending_payment")
    bill = bill_of(session, e)
    assert (bill.amount_due, bill.status) == (Decimal(personal), "unpaid")


def test_students_pay_the_student_rate(session: Session) -> None:
    e = enroll(session, person(session, "2010-03-01").psn_no, channel="school", student=True, school_name="锦屏中学")
    assert (e.category, e.personal_amount) == ("student", Decimal("260.00"))


def test_full_subsidy_judged_on_the_registration_date(session: Session) -> None:
    """S22 §1: the certificate must be valid on the registration date; then the government pays 750 too."""
    p = person(session)
    add_certificate(session, psn_no=p.psn_no, kind="minimum_living", cert_no="DB1", valid_from=d("2021-10-16"),
                    valid_to=None)
    before = rows(session)
    with pytest.raises(NotEligible, match="不含参保登记日"):
        enroll(session, p.psn_no, registered="2021-10-15", full_subsidy_class="minimum_living")
    assert rows(session) == before
    automatic = enroll(session, p.psn_no, registered="2021-10-15")
    assert automatic.full_subsidy_class is None and automatic.personal_amount == Decimal("750.00")


def test_a_valid_certificate_makes_the_personal_part_free(session: Session) -> None:
    p = person(session)
    add_certificate(session, psn_no=p.psn_no, kind="marginal_low_income", cert_no="BY1", valid_from=d("2021-01-01"),
                    valid_to=d("2023-12-31"))
    e = enroll(session, p.psn_no)
    assert (e.full_subsidy_class, e.personal_amount, e.government_amount, e.status) == (
        "marginal_low_income", Decimal("0.00"), Decimal("2840.00"), "active")
    assert bill_of(session, e).status == "waived"
    assert coverage_on(session, p.psn_no, d("2022-01-01")) is not None


def test_one_enrollment_per_person_and_year(session: Session) -> None:
    p = person(session)
    enroll(session, p.psn_no)
    before = rows(session)
    with pytest.raises(Conflict, match="不能重复登记"):
        enroll(session, p.psn_no, channel="window")
    assert rows(session) == before


def test_employee_insured_persons_are_refused(session: Session) -> None:
    with pytest.raises(NotEligible, match="职工"):
        enroll(session, person(session, employee=True).psn_no)


def test_non_local_adults_are_refused_but_students_accepted(session: Session) -> None:
    outsider = register_person(session, certno=certno("1980-01-01", region="510321"), name="外", local=False)
    with pytest.raises(NotEligible):
        enroll(session, outsider.psn_no)
    pupil = register_person(session, certno=certno("2012-01-01", region="510321"), name="学", local=False)
    assert enroll(session, pupil.psn_no, channel="school", student=True, school_name="实验小学").category == "student"


def test_nonlocal_child_2022(session: Session) -> None:
    child = register_person(session, certno=certno("2019-04-01", region="522401"), name="童", local=False)
    facts = NonlocalChild(d("2019-04-01"), False, 12, True, True, True)
    e = enroll(session, child.psn_no, channel="window", nonlocal_child=facts)
    assert (e.category, e.personal_amount) == ("infant", Decimal("600.00"))
    other = register_person(session, certno=certno("2019-05-01", region="522401"), name="童二", local=False)
    with pytest.raises(NotEligible, match="12 个月"):
        enroll(session, other.psn_no, channel="window",
               nonlocal_child=NonlocalChild(d("2019-05-01"), False, 11, True, True, True))


def test_late_enrollment_waits_three_months_and_needs_the_window(session: Session) -> None:
    p = person(session)
    with pytest.raises(Refused, match="窗口"):
        enroll(session, p.psn_no, registered="2022-05-17", channel="alipay")
    e = enroll(session, p.psn_no, registered="2022-05-17", channel="window")
    assert (e.timing, e.benefit_start) == ("late", d("2022-09-01"))


def test_newborn_covered_from_birth(session: Session) -> None:
    baby = person(session, "2022-03-15", name="新生儿")
    e = enroll(session, baby.psn_no, registered="2022-06-10", channel="window", late_exception="newborn")
    assert (e.category, e.benefit_start, e.personal_amount) == ("infant", d("2022-03-15"), Decimal("600.00"))


def test_employee_transfer_exception_uses_the_stop_date(session: Session) -> None:
    p = person(session)
    p.employee_insurance_end = d("2022-03-20")
    e = enroll(session, p.psn_no, registered="2022-05-10", channel="window", late_exception="employee_transfer")
    assert e.benefit_start == d("2022-06-01")


def test_2018_contribution_amounts_must_be_set_first(session: Session) -> None:
    """POLICY.md §2: 2018 amounts are parameters without a default."""
    with pytest.raises(ParameterNotSet, match="adult_a"):
        enroll(session, person(session).psn_no, year=2018, registered="2017-10-10", adult_tier="adult_a")


def test_proxy_identity_is_checked_and_recorded(session: Session) -> None:
    p = person(session)
    with pytest.raises(InvalidInput, match=r"^代办人身份证号无效"):
        enroll(session, p.psn_no, channel="window", proxy_name="代", proxy_certno="123")
    with pytest.raises(InvalidInput, match=r"^他人代办须同时登记代办人姓名和身份证号$"):
        enroll(session, p.psn_no, channel="window", proxy_certno=certno("1950-01-01"))
    with pytest.raises(InvalidInput, match="本人"):
        enroll(session, p.psn_no, channel="window", proxy_name="代", proxy_certno=p.certno)
    proxy = certno("1950-01-01")
    e = enroll(session, p.psn_no, channel="window", proxy_name="邬大爷", proxy_certno=proxy)
    assert (e.proxy_name, e.proxy_certno) == ("邬大爷", proxy)


def test_unknown_channel_is_refused(session: Session) -> None:
    with pytest.raises(InvalidInput, match="渠道"):
        enroll(session, person(session).psn_no, channel="fax")


def test_cancel_voids_the_bill_and_allows_a_new_enrollment(session: Session) -> None:
    p = person(session)
    e = enroll(session, p.psn_no)
    cancel_enrollment(session, psn_no=p.psn_no, enrollment_id=e.id, reason="登记错误", on=d("2021-10-20"), actor="t")
    assert (e.status, bill_of(session, e).status) == ("cancelled", "void")
    again = enroll(session, p.psn_no, registered="2021-10-21", channel="window")
    assert again.status == "pending_payment"
    with pytest.raises(Conflict):
        cancel_enrollment(session, psn_no=p.psn_no, enrollment_id=e.id, reason="x", on=d("2021-10-22"), actor="t")


def test_coverage_needs_payment_and_the_benefit_period(session: Session) -> None:
    from yibao.contributions.service import PaymentRequest
    from yibao.enrollment.payments import pay_contribution

    p = person(session)
    e = enroll(session, p.psn_no, registered="2022-05-17", channel="window")
    assert coverage_on(session, p.psn_no, d("2022-10-01")) is None  # not paid yet
    pay_contribution(session, PaymentRequest(bill_of(session, e).bill_no, "wechat", "750.00", d("2022-05-18"), "WX1"),
             actor="t")
    assert coverage_on(session, p.psn_no, d("2022-08-31")) is None  # waiting period
    assert coverage_on(session, p.psn_no, d("2022-09-01")) is not None
    assert coverage_on(session, p.psn_no, d("2023-01-01")) is None
