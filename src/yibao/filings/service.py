"""Filings: create, revoke, and the checks settlement makes (POLICY.md §9)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from yibao.errors import Conflict, InvalidInput, NotFound
from yibao.filings.models import (
    CrossRegionFiling,
    CrossRegionFilingRecord,
    SpecialDiseaseFiling,
    SpecialDiseaseFilingRecord,
)
from yibao.institutions.service import get_institution
from yibao.kit.clock import now
from yibao.people.service import get_person
from yibao.statements import Db, Read, fixed

REASONS = {"resettled": "异地安置退休人员", "long_term_residence": "异地长期居住人员",
           "stationed_worker": "常驻异地工作人员", "referral": "异地转诊人员"}


def _check_period(begndate: dt.date, enddate: dt.date | None) -> None:
    if enddate is not None and enddate < begndate:
        raise InvalidInput("备案有效期止不能早于起", field="enddate")


def file_special_disease(session: Session, *, psn_no: str, disease_code: str, disease_name: str,
                         fixmedins_code: str, begndate: dt.date, enddate: dt.date | None = None,
                         diag_dr_code: str | None = None) -> SpecialDiseaseFiling:
    get_person(session, psn_no)
    _check_period(begndate, enddate)
    if not disease_code.strip() or not disease_name.strip():
        raise InvalidInput("请填写门诊特殊病种代码和名称", field="disease_code")
    fixmedins_code = get_institution(session, fixmedins_code.strip().upper()).fixmedins_code  # a registered one
    filing = SpecialDiseaseFiling(psn_no=psn_no, disease_code=disease_code.strip(), disease_name=disease_name.strip(),
                                  fixmedins_code=fixmedins_code, diag_dr_code=diag_dr_code, begndate=begndate,
                                  enddate=enddate, status="active", created_at=now())
    session.add(filing)
    session.flush()
    return filing


def file_cross_region(session: Session, *, psn_no: str, reason: str, place: str, begndate: dt.date,
                      enddate: dt.date | None = None, admdvs: str | None = None) -> CrossRegionFiling:
    get_person(session, psn_no)
    if reason not in REASONS:
        raise InvalidInput(f"备案原因只能是：{'、'.join(f'{k}（{v}）' for k, v in REASONS.items())}", field="reason")
    if not place.strip():
        raise InvalidInput("请填写就医地点", field="place")
    _check_period(begndate, enddate)
    filing = CrossRegionFiling(psn_no=psn_no, reason=reason, place=place.strip(), admdvs=admdvs, begndate=begndate,
                               enddate=enddate, status="active", created_at=now())
    session.add(filing)
    session.flush()
    return filing


def _revoke(session: Session, filing: SpecialDiseaseFiling | CrossRegionFiling | None, reason: str,
            actor: str, missing: str) -> None:
    """Revoke a filing, with the reason a person gave (a reversal 2601 gives its own) and who did it."""
    if filing is None:
        raise NotFound(missing, field="filing_id")
    if not reason.strip():
        raise InvalidInput("请填写撤销备案的原因", field="reason")
    if filing.status == "revoked":
        raise Conflict("该备案已撤销", field="filing_id")
    filing.status, filing.revoked_reason, filing.revoked_by, filing.revoked_at = "revoked", reason.strip(), actor, now()
    session.flush()


def revoke_special_disease(session: Session, psn_no: str, filing_id: str, *, reason: str, actor: str) -> None:
    _revoke(session, session.get(SpecialDiseaseFiling, (psn_no, filing_id)), reason, actor, "没有这条门诊特病备案")


def revoke_cross_region(session: Session, psn_no: str, filing_id: str, *, reason: str, actor: str) -> None:
    _revoke(session, session.get(CrossRegionFiling, (psn_no, filing_id)), reason, actor, f"没有备案 {filing_id}")


def _valid_on(day: dt.date, begndate: dt.date, enddate: dt.date | None) -> bool:
    return begndate <= day and (enddate is None or day <= enddate)


_SPECIAL_DISEASE_ACTIVE = Read(SpecialDiseaseFilingRecord, SpecialDiseaseFiling,
                               SpecialDiseaseFiling.psn_no == bindparam("psn_no"),
                               SpecialDiseaseFiling.status == fixed("active"),
                               order_by=(SpecialDiseaseFiling.begndate, SpecialDiseaseFiling.id))
_CROSS_REGION_ACTIVE = Read(CrossRegionFilingRecord, CrossRegionFiling, CrossRegionFiling.psn_no == bindparam("psn_no"),
                            CrossRegionFiling.status == fixed("active"),
                            order_by=(CrossRegionFiling.begndate, CrossRegionFiling.id))


def special_disease_filings_on(session: Db, psn_no: str, day: dt.date) -> list[SpecialDiseaseFilingRecord]:
    """Valid special-disease filings on `day` (read-only records)."""
    rows = _SPECIAL_DISEASE_ACTIVE.all(session, psn_no=psn_no)
    return [f for f in rows if _valid_on(day, f.begndate, f.enddate)]


def cross_region_filing_on(session: Db, psn_no: str, day: dt.date) -> CrossRegionFilingRecord | None:
    """A valid cross-region filing on `day`, if any (a read-only record)."""
    rows = _CROSS_REGION_ACTIVE.all(session, psn_no=psn_no)
    return next((f for f in rows if _valid_on(day, f.begndate, f.enddate)), None)


def filings_of(session: Session, psn_no: str) -> tuple[Sequence[SpecialDiseaseFiling], Sequence[CrossRegionFiling]]:
    return (session.scalars(select(SpecialDiseaseFiling).where(SpecialDiseaseFiling.psn_no == psn_no)).all(),
            session.scalars(select(CrossRegionFiling).where(CrossRegionFiling.psn_no == psn_no)).all())
