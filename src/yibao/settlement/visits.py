"""Visits (就诊, `mdtrt_id`): registration (2201/2401), visit information (2203), discharge (2402) and its undo
(2405), cancellation of a visit without fees (2202/2404), and the undo of each of these for reversal (2601).
Every change of a visit's state is made here, through the repository; the doors only call. A visit is a frozen
`VisitRecord`: a change returns the record as it now is.

The life of a visit is `VisitStatus`: open → (inpatient: discharged →) settled; cancelling the settlement opens
it again; an open visit without fee lines can be cancelled.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from yibao.credential.rules import PARAMETERS
from yibao.credential.service import token_for_visit
from yibao.glossary import BENEFIT_OF_MED_TYPE, E_CREDENTIAL, ID_CARD, INSUTYPE, MedType
from yibao.institutions.models import InstitutionRecord
from yibao.kit.clock import now
from yibao.kit.ids import random_digits
from yibao.people.cards import card_holder
from yibao.people.service import person_record
from yibao.policy.editions import Editions
from yibao.settlement import repository
from yibao.settlement.errors import (
    CredentialMissing,
    CredentialOfAnotherPerson,
    DischargeBeforeAdmission,
    NotAnInpatientStay,
    NotDischarged,
    SettledVisitLocked,
    UnknownMedType,
    VisitAlreadySettled,
    VisitCancelled,
    VisitHasFees,
    VisitNotFound,
    VisitNotOpen,
    VisitOfAnotherPerson,
)
from yibao.settlement.models import VisitRecord, VisitStatus
from yibao.settlement.standing import (
    check_benefit,
    check_direct,
    check_place,
    check_special_disease_place,
    filed_disease,
    standing_on,
)
from yibao.statements import Db

VISIT_STATUS_LABELS = {
    VisitStatus.OPEN: "就诊中",
    VisitStatus.DISCHARGED: "已出院",
    VisitStatus.SETTLED: "已结算",
    VisitStatus.CANCELLED: "已撤销",
}


def status_label(visit: VisitRecord) -> str:
    return VISIT_STATUS_LABELS[VisitStatus(visit.status)]


def is_inpatient(visit: VisitRecord) -> bool:
    return visit.med_type == MedType.INPATIENT


def new_mdtrt_id(admdvs: str) -> str:
    """Division + time + random digits (unique index as the guard): no counter row that every visit in
    the district would queue on."""
    return f"{admdvs}{now():%y%m%d%H%M%S}{random_digits(10)}"


def open_visit(
    session: Db,
    editions: Editions,
    *,
    institution: InstitutionRecord,
    psn_no: str,
    med_type: str,
    begntime: dt.datetime,
    cert_type: str,
    cert_no: str | None,
    **details: Any,
) -> VisitRecord:
    """Register an outpatient visit (2201) or an admission (2401) after the eligibility checks."""
    check_direct(med_type, editions.on(begntime.date()))
    if med_type not in BENEFIT_OF_MED_TYPE:
        raise UnknownMedType(med_type=med_type, choices="、".join(BENEFIT_OF_MED_TYPE))
    mdtrt_id = new_mdtrt_id(institution.admdvs)
    cert_no = identify(session, psn_no, cert_type, cert_no, fixmedins_code=institution.fixmedins_code,
                       mdtrt_id=mdtrt_id, record=True)
    day = begntime.date()
    standing = standing_on(session, editions, psn_no, day)
    check_place(session, standing, institution, day)
    check_benefit(standing, BENEFIT_OF_MED_TYPE[med_type])
    if med_type == MedType.SPECIAL_DISEASE:
        check_special_disease_place(session, standing, institution.fixmedins_code)
    fields: dict[str, Any] = dict.fromkeys(repository.VISIT_COLUMNS) | details
    visit = VisitRecord(**fields | {
        "psn_no": psn_no,
        "mdtrt_id": mdtrt_id,
        "fixmedins_code": institution.fixmedins_code,
        "med_type": med_type,
        "insutype": INSUTYPE,
        "begntime": begntime,
        "status": VisitStatus.OPEN.value,
        "mdtrt_cert_type": cert_type,
        "mdtrt_cert_no": cert_no,
        "created_at": now(),
    })
    repository.add_visit(session, visit)
    return visit


def identify(session: Db, psn_no: str, cert_type: str, cert_no: str | None, *, fixmedins_code: str,
             mdtrt_id: str | None, record: bool) -> str:
    """The credential shown must be `psn_no`'s (issue 18: mdtrt_cert_type/mdtrt_cert_no name the same person):
    01 an ecToken decoded at this institution for this person and visit, unexpired (with `record`, bound to the
    visit); 02 the person's ID number; 03 the person's active social-security card. What the visit keeps: the
    credential's index (never the token), the ID number, the card number."""
    if not cert_no:
        raise CredentialMissing(cert_type=cert_type)
    if cert_type == E_CREDENTIAL:
        token = token_for_visit(session, cert_no, fixmedins_code=fixmedins_code, psn_no=psn_no, mdtrt_id=mdtrt_id,
                                params=PARAMETERS, bind=record)
        return token.ec_index_no
    if cert_type == ID_CARD:
        if cert_no.strip().upper() != person_record(session, psn_no).certno:
            raise CredentialOfAnotherPerson(cert_type="身份证号", psn_no=psn_no)
        return cert_no.strip().upper()
    if card_holder(session, card_no=cert_no, card_sn=None, check_sn=False).psn_no != psn_no:
        raise CredentialOfAnotherPerson(cert_type="社会保障卡", psn_no=psn_no)
    return cert_no.strip().upper()


def present_credential(session: Db, visit: VisitRecord, cert_type: str | None, cert_no: str | None, *,
                       record: bool) -> VisitRecord:
    """The credential shown at pre-settlement or settlement, when the HIS sends one (the spec makes mdtrt_cert_no
    optional there, except that an e-credential settles by its token): the visit's person's (as `identify`); with
    `record`, a settlement by e-credential is noted on the visit."""
    if cert_type is None or (not cert_no and cert_type != E_CREDENTIAL):
        return visit
    shown = identify(session, visit.psn_no, cert_type, cert_no, fixmedins_code=visit.fixmedins_code,
                     mdtrt_id=visit.mdtrt_id, record=record)
    if record and cert_type == E_CREDENTIAL and (visit.mdtrt_cert_type, visit.mdtrt_cert_no) != (cert_type, shown):
        return repository.set_visit_certificate(session, visit, E_CREDENTIAL, shown)
    return visit


def visit_record(session: Db, mdtrt_id: str, *, institution: str | None = None,
                 psn_no: str | None = None) -> VisitRecord:
    """A visit by mdtrt_id; an institution sees only its own visits, a person's visit is named with its psn_no."""
    return _own_visit(repository.visit(session, mdtrt_id), mdtrt_id, institution, psn_no)


def _own_visit(visit: VisitRecord | None, mdtrt_id: str, institution: str | None,
               psn_no: str | None) -> VisitRecord:
    if visit is None or (institution is not None and visit.fixmedins_code != institution):
        raise VisitNotFound(mdtrt_id=mdtrt_id)
    if psn_no is not None and visit.psn_no != psn_no:
        raise VisitOfAnotherPerson(mdtrt_id=mdtrt_id, psn_no=psn_no)
    return visit


def check_unsettled(visit: VisitRecord, then: str = "") -> None:
    """A settled or cancelled visit takes no more fee lines and no second settlement."""
    if visit.status == VisitStatus.SETTLED:
        raise VisitAlreadySettled(mdtrt_id=visit.mdtrt_id, then=then)
    if visit.status == VisitStatus.CANCELLED:
        raise VisitCancelled(mdtrt_id=visit.mdtrt_id, then=then)


def check_not_settled(visit: VisitRecord, action: str) -> None:
    if visit.status == VisitStatus.SETTLED:
        raise SettledVisitLocked(mdtrt_id=visit.mdtrt_id, action=action)


def service_date(visit: VisitRecord) -> dt.date:
    """Outpatient: the visit date; inpatient: the discharge date (POLICY.md §7a preamble)."""
    if is_inpatient(visit):
        if visit.endtime is None:
            raise NotDischarged(mdtrt_id=visit.mdtrt_id)
        return visit.endtime.date()
    return visit.begntime.date()


def during_visit(visit: VisitRecord, day: dt.date) -> bool:
    """ASSUMPTION: an outpatient visit is one day, so its fees fall on the visit date; an inpatient stay's
    fees fall between admission and discharge (or today, before discharge)."""
    if not is_inpatient(visit):
        return day == visit.begntime.date()
    return visit.begntime.date() <= day <= (visit.endtime.date() if visit.endtime else day)


# --- changes of a visit


def change_visit_info(session: Db, editions: Editions, visit: VisitRecord, *, med_type: str,
                      dise_codg: str | None, dise_name: str | None) -> VisitRecord:
    """门诊就诊信息上传 (2203): the outpatient visit's med_type and diagnosis; special-disease care needs its filing."""
    if visit.status != VisitStatus.OPEN:
        raise VisitNotOpen(mdtrt_id=visit.mdtrt_id, status=status_label(visit), action="修改就诊信息")
    check_direct(med_type, editions.on(visit.begntime.date()))
    if med_type not in BENEFIT_OF_MED_TYPE or med_type == MedType.INPATIENT:
        raise UnknownMedType(med_type=med_type, choices="、".join(m for m in BENEFIT_OF_MED_TYPE if m != "21"))
    if med_type == MedType.SPECIAL_DISEASE:  # the disease treated is a filed one (POLICY.md §5)
        standing = standing_on(session, editions, visit.psn_no, visit.begntime.date())
        filing = filed_disease(session, standing, dise_codg, visit.fixmedins_code)
        dise_codg, dise_name = filing.disease_code, filing.disease_name
    return repository.set_visit_info(session, visit, med_type=med_type, dise_codg=dise_codg or visit.dise_codg,
                                     dise_name=dise_name or visit.dise_name)


def discharge_visit(session: Db, visit: VisitRecord, endtime: dt.datetime, *,
                    dscg_way: str | None = None) -> VisitRecord:
    """出院 (2402): an open inpatient stay ends; its settlement is then computed on the discharge date."""
    if not is_inpatient(visit) or visit.status != VisitStatus.OPEN:
        raise NotAnInpatientStay(mdtrt_id=visit.mdtrt_id)
    if endtime < visit.begntime:
        raise DischargeBeforeAdmission()
    return repository.set_discharge(session, visit, endtime, dscg_way)


def undo_discharge(session: Db, visit: VisitRecord) -> VisitRecord:
    """出院撤销 (2405): a discharged, unsettled stay is open again (the record returned is the visit as it was)."""
    if visit.status != VisitStatus.DISCHARGED or visit.endtime is None:
        raise VisitNotOpen(mdtrt_id=visit.mdtrt_id, status=status_label(visit), action="撤销出院（须为已出院未结算）")
    repository.set_discharge(session, visit, None, visit.dscg_way)
    return visit


def cancel_visit(session: Db, visit: VisitRecord) -> VisitStatus:
    """门诊挂号撤销 / 入院撤销 (2202/2404): a visit without fee lines is cancelled; returns the status it had."""
    if visit.status == VisitStatus.SETTLED:
        raise SettledVisitLocked(mdtrt_id=visit.mdtrt_id, action="撤销就诊")
    if visit.status == VisitStatus.CANCELLED:
        raise VisitCancelled(mdtrt_id=visit.mdtrt_id)
    if repository.active_lines(session, visit):
        raise VisitHasFees(mdtrt_id=visit.mdtrt_id)
    repository.set_visit_status(session, visit, VisitStatus.CANCELLED)
    return VisitStatus(visit.status)


# --- reversal (2601): each write above undone, refused once the visit is settled


def restore_visit_status(session: Db, visit: VisitRecord, status: VisitStatus) -> None:
    check_not_settled(visit, "冲正")
    repository.set_visit_status(session, visit, status)


def restore_visit_info(session: Db, visit: VisitRecord, *, med_type: str, dise_codg: str | None,
                       dise_name: str | None) -> None:
    check_not_settled(visit, "冲正")
    repository.set_visit_info(session, visit, med_type=med_type, dise_codg=dise_codg, dise_name=dise_name)


def restore_discharge(session: Db, visit: VisitRecord, endtime: dt.datetime | None) -> None:
    """The visit's discharge as it was before a 2402 (None: not discharged) or a 2405 (its discharge time)."""
    check_not_settled(visit, "冲正")
    repository.set_discharge(session, visit, endtime, visit.dscg_way)
