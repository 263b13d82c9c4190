"""Enrollment operations (POLICY.md §2–§4): enroll one person, cancel, coverage on a date, renew a year.

One planning function (`plan_enrollment`) applies the policy core to a person's facts; single enrollment,
the school batch and the annual renewal all go through it. Service functions flush, never commit.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from yibao.contributions import service as contributions
from yibao.enrollment.models import Enrollment, EnrollmentRecord
from yibao.errors import Conflict, InvalidInput, NotFound, Refused
from yibao.kit.clock import now
from yibao.kit.errors import DomainError
from yibao.kit.ids import new_id
from yibao.people.models import Certificate, Person
from yibao.people.service import get_person, other_person_id, policy_certificates
from yibao.policy.editions import Edition, Editions
from yibao.policy.eligibility import (
    NonlocalChild,
    benefit_period,
    category_on,
    check_eligible,
    contribution_for,
    enrollment_timing,
    full_subsidy_class_on,
    require_full_subsidy,
)
from yibao.statements import Db, Read, fixed

CHANNELS: dict[str, str] = {
    "zlb_app": "浙里办APP",
    "alipay": "支付宝",
    "window": "村（社区）/镇（街道）窗口",
    "self_service": "自助服务机",
    "school": "学校统一办理",
    "renewal": "年度续保",
}
LATE_CHANNELS = ("window", "school")  # 年度中间到区医保中心补办 (S18 §1); students through their school
Progress = Callable[[int, int], None]


@dataclass(frozen=True, slots=True)
class EnrollmentRequest:
    """What a clerk, an app or a school submits to enroll one person for a policy year."""

    psn_no: str
    year: int
    registration_date: dt.date
    channel: str
    student: bool = False
    adult_tier: str | None = None
    proxy_name: str | None = None
    proxy_certno: str | None = None
    late_exception: str | None = None
    event_date: dt.date | None = None
    full_subsidy_class: str | None = None  # claimed by the clerk; None → judged from the certificates
    nonlocal_child: NonlocalChild | None = None
    school_name: str | None = None
    school_class: str | None = None


def edition_for_year(editions: Editions, year: int) -> Edition:
    return editions.on(dt.date(year, 1, 1))


def check_channel(request: EnrollmentRequest, certno: str) -> None:
    if request.channel not in CHANNELS:
        raise InvalidInput(f"未知的参保渠道 {request.channel!r}，可选：{'、'.join(CHANNELS)}", field="channel")
    if request.channel == "school" and not (request.student and request.school_name):
        raise InvalidInput("学校统一办理仅限在校学生，并须填写学校名称", field="school_name")
    proxy = other_person_id(request.proxy_name, request.proxy_certno, role="代办人", field="proxy_certno")
    if proxy == certno:
        raise InvalidInput("代办人不能是参保人本人", field="proxy_certno")


def plan_enrollment(
    edition: Edition, person: Person, certificates: Sequence[Certificate], request: EnrollmentRequest
) -> dict[str, Any]:
    """The enrollment row for a request, computed by the policy core; raises a DomainError if refused."""
    check_channel(request, person.certno)
    check_eligible(edition, request.registration_date, local=person.local, student=request.student,
                   in_employee_insurance=person.employee_insured, nonlocal_child=request.nonlocal_child)
    category = category_on(edition, person.birth_date, request.year, student=request.student,
                           adult_tier=request.adult_tier)
    held = policy_certificates(certificates)
    if request.full_subsidy_class is not None:
        require_full_subsidy(edition, request.full_subsidy_class, held, request.registration_date, local=person.local)
        subsidy_class: str | None = request.full_subsidy_class
    else:
        subsidy_class = full_subsidy_class_on(edition, held, request.registration_date, local=person.local)
    contribution = contribution_for(edition, category, subsidy_class)
    event_date = request.event_date
    if event_date is None and request.late_exception == "newborn":
        event_date = person.birth_date
    if event_date is None and request.late_exception == "employee_transfer":
        event_date = person.employee_insurance_end
    period = benefit_period(edition, request.year, request.registration_date,
                            exception=request.late_exception,  # type: ignore[arg-type]
                            event_date=event_date)
    if period.timing == "late" and request.channel not in LATE_CHANNELS:
        raise Refused("年度中间补办须到区医保中心窗口办理（学生由学校办理）", field="channel")
    return {
        "psn_no": person.psn_no,
        "id": new_id(),
        "year": request.year,
        "edition": edition.code,
        "category": category,
        "student": request.student,
        "channel": request.channel,
        "proxy_name": request.proxy_name,
        "proxy_certno": request.proxy_certno.upper() if request.proxy_certno else None,
        "registration_date": request.registration_date,
        "timing": period.timing.value,
        "late_exception": request.late_exception,
        "event_date": event_date,
        "benefit_start": period.start,
        "benefit_end": period.end,
        "benefit_basis": period.basis[:200],
        "full_subsidy_class": subsidy_class,
        "personal_amount": contribution.personal,
        "government_amount": contribution.government,
        "status": "pending_payment" if contribution.personal > 0 else "active",
        "school_name": request.school_name,
        "school_class": request.school_class,
    }


_LIVE_ENROLLMENT = Read(EnrollmentRecord, Enrollment, Enrollment.psn_no == bindparam("psn_no"),
                        Enrollment.year == bindparam("year"), Enrollment.status != fixed("cancelled"))


def live_enrollment(session: Db, psn_no: str, year: int) -> EnrollmentRecord | None:
    """The year's enrollment that is not cancelled (a read-only record; at most one by the unique rule)."""
    return _LIVE_ENROLLMENT.first(session, psn_no=psn_no, year=year)


def enroll_person(session: Session, editions: Editions, request: EnrollmentRequest, *, actor: str) -> Enrollment:
    """Enroll one person for a policy year and open the contribution bill (S22 §1–§3, S18 §1)."""
    person = get_person(session, request.psn_no, with_certificates=True)
    if live_enrollment(session, person.psn_no, request.year) is not None:
        raise Conflict(f"{person.name}（{person.psn_no}）已登记 {request.year} 年度参保，不能重复登记", field="year")
    row = plan_enrollment(edition_for_year(editions, request.year), person, person.certificates, request)
    enrollment = Enrollment(**row, created_by=actor, created_at=now())
    session.add(enrollment)
    try:
        session.flush()
    except IntegrityError:
        raise Conflict(f"{person.name} 已登记 {request.year} 年度参保，不能重复登记", field="year") from None
    contributions.open_bills(session, [enrollment])
    return enrollment


def get_enrollment(session: Session, psn_no: str, enrollment_id: str) -> Enrollment:
    enrollment = session.get(Enrollment, (psn_no, enrollment_id))
    if enrollment is None:
        raise NotFound("没有这条参保登记", field="enrollment_id")
    return enrollment


_ENROLLMENTS_OF = Read(EnrollmentRecord, Enrollment, Enrollment.psn_no == bindparam("psn_no"),
                       order_by=(Enrollment.year.desc(), Enrollment.created_at.desc()))


def enrollments_of(session: Db, psn_no: str) -> Sequence[EnrollmentRecord]:
    """The person's enrollments, newest year first (read-only records; 1101 reads them on every call)."""
    return _ENROLLMENTS_OF.all(session, psn_no=psn_no)


def cancel_enrollment(session: Session, *, psn_no: str, enrollment_id: str, reason: str, on: dt.date,
                      actor: str) -> Enrollment:
    """Cancel an enrollment: an unpaid bill is voided, a paid one refunded (S22 §3)."""
    enrollment = get_enrollment(session, psn_no, enrollment_id)
    if enrollment.status == "cancelled":
        raise Conflict("该参保登记已注销", field="enrollment_id")
    if not reason.strip():
        raise InvalidInput("请填写注销原因", field="reason")
    contributions.settle_bill_on_cancel(session, enrollment, reason=reason, on=on, actor=actor)
    enrollment.status = "cancelled"
    enrollment.cancelled_at = now()
    enrollment.cancel_reason = reason.strip()[:200]
    session.flush()
    return enrollment


def coverage_on(session: Db, psn_no: str, day: dt.date) -> EnrollmentRecord | None:
    """The enrollment under which the person is insured and in the benefit period on `day`, if any."""
    enrollment = live_enrollment(session, psn_no, day.year)
    if enrollment is None or enrollment.status != "active":
        return None
    if not enrollment.benefit_start <= day <= enrollment.benefit_end:
        return None
    return enrollment


# ---------------------------------------------------------------------------------------------------
# Bulk: annual renewal


@dataclass(frozen=True, slots=True)
class RenewalResult:
    year: int
    renewed: int
    skipped: dict[str, int]


def renew_year(session: Session, editions: Editions, *, year: int, registration_date: dt.date, actor: str,
               progress: Progress | None = None, chunk: int = 5000) -> RenewalResult:
    """Renew last year's insured (paid or subsidised, not cancelled) into `year` (S18 §1 续保).

    Students stay students (their school corrects it in its batch); 2018 adult tiers become the single
    2022 adult category by birth date; subsidies are judged anew on the renewal date.
    """
    edition = edition_for_year(editions, year)
    enrollment_timing(edition, year, registration_date)  # a date outside the year's periods refuses the whole run
    already = set(session.scalars(select(Enrollment.psn_no).where(
        Enrollment.year == year, Enrollment.status != fixed("cancelled"))))
    previous = session.execute(
        select(Person, Enrollment.student, Enrollment.category).join(Enrollment, Enrollment.psn_no == Person.psn_no)
        .where(Enrollment.year == year - 1, Enrollment.status == "active")
    ).all()
    certificates: dict[str, list[Certificate]] = {}
    for certificate in session.scalars(select(Certificate)):
        certificates.setdefault(certificate.psn_no, []).append(certificate)
    adult_tiers = edition.category_rules.adult_categories.value
    skipped: dict[str, int] = {}
    rows: list[dict[str, Any]] = []
    moment = now()
    for number, (person, student, category) in enumerate(previous, start=1):
        if person.psn_no in already:
            skipped["已登记本年度"] = skipped.get("已登记本年度", 0) + 1
            continue
        tier = category if len(adult_tiers) > 1 and category in adult_tiers else None
        request = EnrollmentRequest(person.psn_no, year, registration_date, "renewal", student=student,
                                    adult_tier=tier)
        try:
            row = plan_enrollment(edition, person, certificates.get(person.psn_no, ()), request)
        except DomainError as exc:
            skipped[exc.message[:40]] = skipped.get(exc.message[:40], 0) + 1
            continue
        rows.append(row | {"created_by": actor, "created_at": moment})
        if progress is not None and number % 1000 == 0:
            progress(number, len(previous))
    insert_enrollments(session, rows, chunk=chunk)
    if progress is not None:
        progress(len(previous), len(previous))
    return RenewalResult(year, len(rows), skipped)


def insert_enrollments(session: Session, rows: Sequence[dict[str, Any]], *, chunk: int = 5000) -> None:
    """Insert planned enrollment rows and their bills in bulk (renewal, school batch, demo)."""
    for start in range(0, len(rows), chunk):
        part = rows[start:start + chunk]
        session.execute(insert(Enrollment), part)
        contributions.open_bills_bulk(session, part)
    session.flush()
