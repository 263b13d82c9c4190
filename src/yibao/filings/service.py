"""Filings: create, revoke, and the checks settlement makes (POLICY.md §9)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from yibao.errors import Conflict, InvalidInput, NotFound
from yibao.filings.errors import DiseaseNameMismatch, DiseaseNotInList
from yibao.filings.models import (
    CrossRegionFiling,
    CrossRegionFilingRecord,
    SpecialDiseaseFiling,
    SpecialDiseaseFilingRecord,
)
from yibao.institutions import national_lists
from yibao.institutions.service import get_institution
from yibao.kit.clock import now
from yibao.people.service import get_person
from yibao.statements import Db, Read, fixed

DISEASE_LIST = "special_disease"  # the national list the diseases come from (1309 门诊慢特病种目录)
REASONS = {"resettled": "异地安置退休人员", "long_term_residence": "异地长期居住人员",
           "stationed_worker": "常驻异地工作人员", "referral": "异地转诊人员"}


def _check_period(begndate: dt.date, enddate: dt.date | None) -> None:
    if enddate is not None and enddate < begndate:
        raise InvalidInput("备案有效期止不能早于起", field="enddate")


def listed_disease(session: Session, disease_code: str, disease_name: str | None = None) -> tuple[str, str]:
    """A disease of the national 门慢门特 list (1309, institutions/national_lists.py), valid, by its code: (code,
    the list's name). A name given must be the list's (the platform refuses a code and name that do not match)."""
    code = disease_code.strip().upper()
    if not code:
        raise InvalidInput("请选择门诊慢特病种（病种代码）", field="disease_code")
    entry = national_lists.find_entry(session, DISEASE_LIST, code)
    if entry is None or entry.vali_flag != "1":
        raise DiseaseNotInList(code=code, count=national_lists.list_counts(session)[DISEASE_LIST][0])
    given = (disease_name or "").strip()
    if given and given != entry.name:
        raise DiseaseNameMismatch(code=code, listed=entry.name, given=given[:30])
    return code, entry.name


def file_special_disease(session: Session, *, psn_no: str, disease_code: str, disease_name: str | None = None,
                         fixmedins_code: str, begndate: dt.date, enddate: dt.date | None = None,
                         diag_dr_code: str | None = None,
                         designated_fixmedins_code: str | None = None) -> SpecialDiseaseFiling:
    """门诊特殊病种备案 (POLICY.md §5, §9; S22 §5 "门诊特殊病种治疗……应事先办理相关备案手续"): a disease of the
    national list, identified at `fixmedins_code`; where `designated_fixmedins_code` names an institution, the
    disease is treated and settled there only."""
    get_person(session, psn_no)
    _check_period(begndate, enddate)
    code, name = listed_disease(session, disease_code, disease_name)
    fixmedins_code = get_institution(session, fixmedins_code.strip().upper()).fixmedins_code  # a registered one
    designated = (get_institution(session, designated_fixmedins_code.strip().upper()).fixmedins_code
                  if designated_fixmedins_code and designated_fixmedins_code.strip() else None)
    filing = SpecialDiseaseFiling(psn_no=psn_no, disease_code=code, disease_name=name,
                                  fixmedins_code=fixmedins_code, diag_dr_code=diag_dr_code, begndate=begndate,
                                  enddate=enddate, status="active", created_at=now(),
                                  designated_fixmedins_code=designated)
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


FILING_KINDS = {"special_disease": "门诊特殊病种", "cross_region": "异地就医"}
FILING_STATUS = {"active": "有效", "revoked": "已撤销"}
FILING_HEADER = ("备案类别", "人员编号", "备案内容", "鉴定或备案机构", "有效期起", "有效期止", "状态", "登记时间",
                 "撤销原因")


def filing_rows(session: Session, *, kind: str = "", status: str = "", limit: int = 50_000) -> list[tuple[object, ...]]:
    """Every filing of the kind and status asked for (all when empty), newest first, as rows of FILING_HEADER."""
    if kind and kind not in FILING_KINDS:
        raise InvalidInput(f"备案类别应为 {'、'.join(FILING_KINDS.values())} 之一", field="kind")
    if status and status not in FILING_STATUS:
        raise InvalidInput(f"状态应为 {'、'.join(FILING_STATUS.values())} 之一", field="status")
    found: list[tuple[object, ...]] = []
    if kind in ("", "special_disease"):
        special = select(SpecialDiseaseFiling).order_by(SpecialDiseaseFiling.created_at.desc()).limit(limit)
        for f in session.scalars(special.where(SpecialDiseaseFiling.status == status) if status else special):
            found.append((FILING_KINDS["special_disease"], f.psn_no, f"{f.disease_code} {f.disease_name}",
                          f.designated_fixmedins_code or f.fixmedins_code, f.begndate, f.enddate or "长期",
                          FILING_STATUS.get(f.status, f.status), f.created_at, f.revoked_reason or ""))
    if kind in ("", "cross_region"):
        cross = select(CrossRegionFiling).order_by(CrossRegionFiling.created_at.desc()).limit(limit)
        for c in session.scalars(cross.where(CrossRegionFiling.status == status) if status else cross):
            found.append((FILING_KINDS["cross_region"], c.psn_no, f"{REASONS.get(c.reason, c.reason)}：{c.place}",
                          c.admdvs or "", c.begndate, c.enddate or "长期", FILING_STATUS.get(c.status, c.status),
                          c.created_at, c.revoked_reason or ""))
    return sorted(found, key=lambda row: str(row[7]), reverse=True)[:limit]
