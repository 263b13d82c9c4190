"""生育医疗费定额补助, the maternity medical subsidy (POLICY.md §8; S18 §6 "待遇享受期内的育龄妇女如果符合国家
计划生育政策生育的，可凭相关材料在婴儿出生后 6个月内向参保的区医保中心申领生育医疗费定额补助").

A claim is checked — a woman, insured with benefits on the birth date, within the family-planning policy (the
clerk confirms the materials), within `maternity_claim_months` of the birth, not claimed before for that birth —
and paid from the basic fund to the woman through the ledger. The amount is the edition's `maternity_subsidy` on
the birth date: the documents give none, so it stays unset (and a claim is refused) until an administrator sets it
as a parameter amendment (parameters/); the claim records the amendments it used. ASSUMPTIONS: one subsidy per
birth, whatever the number of children born (the documents say "生育", not per child); paid by the basic fund
(390100), the fund the documents' benefits come from.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from yibao.accounts.ledger import person_account, post_journal, reverse_entry_of
from yibao.enrollment.service import coverage_on
from yibao.errors import Conflict, InvalidInput
from yibao.glossary import FUNDS
from yibao.kit.clock import now
from yibao.kit.dates import months_after
from yibao.kit.ids import random_digits
from yibao.people.service import person_record
from yibao.policy.editions import Editions
from yibao.settlement.errors import (
    MaternityAmountUnset,
    MaternityClaimedBefore,
    MaternityClaimLate,
    MaternityClaimNotFound,
    MaternityNotEligible,
)
from yibao.settlement.models import MaternityClaim
from yibao.settlement.standing import not_covered

FEMALE = "2"
BASIC_FUND = FUNDS[0]  # 390100 统筹基金 (ASSUMPTION above)
PAID, CANCELLED = "paid", "cancelled"


def claim_maternity(session: Session, editions: Editions, *, psn_no: str, birth_date: dt.date, birth_cert_no: str,
                    family_planning: bool, children: int = 1, claimed_on: dt.date | None = None,
                    actor: str) -> MaternityClaim:
    """Check and pay one claim (all or nothing)."""
    person = person_record(session, psn_no)
    today = claimed_on or now().date()
    number = birth_cert_no.strip().upper()
    if not number or len(number) > 30:
        raise InvalidInput("请填写出生医学证明编号（不超过 30 个字符）", field="birth_cert_no")
    if not 1 <= children <= 9:
        raise InvalidInput("本次生育的婴儿数应在 1–9 之间", field="children")
    if person.sex != FEMALE:
        raise MaternityNotEligible(name=person.name, reason="定额补助由生育的参保妇女申领")
    if not family_planning:
        raise MaternityNotEligible(name=person.name, reason="须符合国家计划生育政策（请核对相关材料后勾选确认）",
                                   field="family_planning")
    if birth_date > today:
        raise InvalidInput("出生日期不能晚于申领日期", field="birth_date")
    edition = editions.on(birth_date)
    months = edition.maternity_claim_months.value
    last = months_after(birth_date, months)
    if today > last:
        raise MaternityClaimLate(months=months, birth=birth_date, last=last)
    if coverage_on(session, psn_no, birth_date) is None:
        cause = not_covered(session, person, birth_date)
        raise MaternityNotEligible(name=person.name, reason=f"生育当日不在待遇享受期内（{cause.message}）")
    earlier = session.scalars(select(MaternityClaim).where(
        MaternityClaim.psn_no == psn_no, MaternityClaim.birth_date == birth_date,
        MaternityClaim.status == PAID)).first()
    if earlier is not None:
        raise MaternityClaimedBefore(birth=birth_date, claim_no=earlier.claim_no)
    amount = edition.maternity_subsidy.value
    if amount is None:
        raise MaternityAmountUnset(edition=edition.code)
    moment = now()
    claim = MaternityClaim(claim_no=f"330213B{moment:%y%m%d%H%M%S}{random_digits(9)}", psn_no=psn_no,
                           birth_date=birth_date, birth_cert_no=number, children=children, amount=Decimal(amount),
                           edition=edition.code, amendments=",".join(edition.amendments) or None,
                           source=edition.maternity_subsidy.source[:300], status=PAID, claimed_on=today,
                           created_by=actor, created_at=moment)
    session.add(claim)
    session.flush()
    post_journal(session, psn_no=psn_no, setl_id=claim.claim_no, memo=f"生育医疗费定额补助 {claim.claim_no}",
                 postings=[(person_account(psn_no), claim.amount), (BASIC_FUND.account, -claim.amount)])
    return claim


def get_claim(session: Session, claim_no: str) -> MaternityClaim:
    claim = session.get(MaternityClaim, claim_no)
    if claim is None:
        raise MaternityClaimNotFound(claim_no=claim_no)
    return claim


def cancel_claim(session: Session, claim_no: str, *, reason: str, actor: str) -> MaternityClaim:
    """Cancel a paid claim (with the reason): the fund's payment is reversed; the birth may be claimed again."""
    claim = get_claim(session, claim_no)
    if claim.status != PAID:
        raise Conflict("该定额补助已撤销", field="claim_no")
    if not reason.strip():
        raise InvalidInput("请填写撤销的原因", field="reason")
    claim.status, claim.cancelled_reason, claim.cancelled_by, claim.cancelled_at = (
        CANCELLED, reason.strip()[:200], actor, now())
    session.flush()
    reverse_entry_of(session, claim_no, by_setl_id=claim_no, memo=f"撤销生育医疗费定额补助 {claim_no}")
    return claim


def claims_of(session: Session, psn_no: str) -> Sequence[MaternityClaim]:
    return session.scalars(select(MaternityClaim).where(MaternityClaim.psn_no == psn_no)
                           .order_by(MaternityClaim.created_at.desc())).all()
