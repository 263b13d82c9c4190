"""Enrollment REST door: enroll, cancel, list, renew a year, school batch import."""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict

from fastapi import APIRouter, File, Form, UploadFile

from yibao.adapters.rest.deps import BatchWrite, DbSession, EditionsDep, EnrollmentRead, EnrollmentWrite, PaymentWrite
from yibao.contributions.schemas import PaymentCreate, PaymentRead
from yibao.contributions.service import PaymentRequest
from yibao.enrollment import schemas, service
from yibao.enrollment.payments import pay_contribution
from yibao.enrollment.school import Mode, import_school_batch, read_school_file
from yibao.people.service import get_person
from yibao.policy.eligibility import NonlocalChild

router = APIRouter(prefix="/api/enrollments", tags=["参保登记 enrollment"])


@router.post("", response_model=schemas.EnrollmentRead, status_code=201, summary="参保登记（含补办）")
def enroll(body: schemas.EnrollmentCreate, session: DbSession, editions: EditionsDep, user: EnrollmentWrite) -> object:
    data = body.model_dump()
    child = data.pop("nonlocal_child")
    nonlocal_child = None
    if child is not None:
        person = get_person(session, body.psn_no)
        nonlocal_child = NonlocalChild(birth_date=person.birth_date, **child)
    request = service.EnrollmentRequest(**data, nonlocal_child=nonlocal_child)
    return service.enroll_person(session, editions, request, actor=user.username)


@router.get("", response_model=list[schemas.EnrollmentRead], summary="某人的参保登记")
def enrollments(psn_no: str, session: DbSession, user: EnrollmentRead) -> object:
    return service.enrollments_of(session, psn_no)


@router.post("/{psn_no}/{enrollment_id}/cancel", response_model=schemas.EnrollmentRead, summary="注销（已缴费的退费）")
def cancel(psn_no: str, enrollment_id: str, body: schemas.EnrollmentCancel, session: DbSession,
           user: EnrollmentWrite) -> object:
    return service.cancel_enrollment(session, psn_no=psn_no, enrollment_id=enrollment_id, reason=body.reason,
                                     on=body.on, actor=user.username)


@router.post("/renewals", response_model=schemas.RenewalRead, summary="年度续保：上年度参保人员转入新年度")
def renew(body: schemas.RenewalCreate, session: DbSession, editions: EditionsDep, user: BatchWrite) -> object:
    return asdict(service.renew_year(session, editions, year=body.year, registration_date=body.registration_date,
                                     actor=user.username))


@router.post("/school-imports", response_model=schemas.ImportReport, summary="学校批量参保（CSV 或 Excel）")
def school_import(session: DbSession, editions: EditionsDep, user: BatchWrite, file: UploadFile = File(...),
                  year: int = Form(...), registration_date: dt.date = Form(...),
                  mode: Mode = Form("all_or_nothing")) -> object:
    rows = read_school_file(file.filename or "", file.file.read())
    report = import_school_batch(session, editions, rows, year=year, registration_date=registration_date, mode=mode,
                                 actor=user.username)
    return asdict(report)


payments = APIRouter(prefix="/api/contributions", tags=["缴费 contributions"])


@payments.post("/payments", response_model=PaymentRead, status_code=201, summary="登记缴费（缴费单缴清后参保登记生效）")
def pay(body: PaymentCreate, session: DbSession, user: PaymentWrite) -> object:
    return pay_contribution(session, PaymentRequest(**body.model_dump()), actor=user.username)
