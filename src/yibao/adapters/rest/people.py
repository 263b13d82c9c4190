"""People REST door: parse, call one service function, return."""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict
from decimal import Decimal

from fastapi import APIRouter, File, Form, Query, Request, Response, UploadFile

from yibao.access.trail import Action, history
from yibao.adapters.rest.deps import BatchWrite, DbSession, PersonRead, PersonTrail, PersonWrite, shown
from yibao.adapters.trailing import saw
from yibao.enrollment.search import PersonFilter, find_people
from yibao.kit.clock import now
from yibao.kit.schema import Out
from yibao.people import assistance, schemas, service
from yibao.people.towns import TOWNS

router = APIRouter(prefix="/api/persons", tags=["参保人 persons"])


class TrailRead(Out):
    """One record of the access trail (access/trail.py): no personal number, the subject is the psn_no."""

    seq: int
    at: dt.datetime
    actor_kind: str
    actor: str
    door: str
    action: str
    subject: str | None
    what: str
    hash: str


@router.post("", response_model=schemas.PersonRead, status_code=201, summary="登记参保人")
def register_person(body: schemas.PersonCreate, session: DbSession, user: PersonWrite) -> object:
    return shown(user, schemas.PersonRead, service.register_person(session, **body.model_dump()))


@router.get("", response_model=list[schemas.PersonRead], summary="按姓名、身份证号、手机号或人员编号查找",
            description="分页：limit、offset；总数在响应头 X-Total-Count。")
def find_persons(request: Request, response: Response, session: DbSession, user: PersonRead,
                 q: str = Query(min_length=1, max_length=50), limit: int = Query(50, ge=1, le=500),
                 offset: int = Query(0, ge=0, le=10_000_000)) -> object:
    found, total = find_people(session, PersonFilter(now().year, q), limit=limit, offset=offset)
    response.headers["X-Total-Count"] = str(total)
    saw(request, session, Action.SEARCH, (person.psn_no for person in found), "人员查询结果")
    return [shown(user, schemas.PersonRead, person) for person in found]


@router.get("/towns", response_model=list[schemas.TownRead], summary="镇（街道）及咨询电话（S22 §8）")
def towns(user: PersonRead) -> object:
    return [town._asdict() for town in TOWNS]


@router.get("/{psn_no}", response_model=schemas.PersonRead, summary="参保人信息")
def get_person(psn_no: str, request: Request, session: DbSession, user: PersonRead) -> object:
    person = service.get_person(session, psn_no)
    saw(request, session, Action.VIEW, [psn_no], "参保人信息")
    return shown(user, schemas.PersonRead, person)


@router.get("/{psn_no}/certificates", response_model=list[schemas.CertificateRead], summary="证件")
def certificates(psn_no: str, request: Request, session: DbSession, user: PersonRead) -> object:
    person = service.get_person(session, psn_no, with_certificates=True)
    saw(request, session, Action.VIEW, [psn_no], "证件")
    return [shown(user, schemas.CertificateRead, certificate) for certificate in person.certificates]


@router.get("/{psn_no}/access-trail", response_model=list[TrailRead], summary="查阅与修改记录（访问留痕）")
def access_history(psn_no: str, session: DbSession, user: PersonTrail,
                   limit: int = Query(100, ge=1, le=1000)) -> object:
    service.get_person(session, psn_no)
    return [TrailRead.model_validate(record) for record in history(session, psn_no, limit=limit)]


@router.post("/{psn_no}/certificates", response_model=schemas.CertificateRead, status_code=201, summary="登记证件")
def add_certificate(psn_no: str, body: schemas.CertificateCreate, session: DbSession, user: PersonWrite) -> object:
    return shown(user, schemas.CertificateRead, service.add_certificate(session, psn_no=psn_no, **body.model_dump()))


@router.put("/{psn_no}/employee-insurance", response_model=schemas.PersonRead, summary="职工医保参保状态")
def employee_insurance(psn_no: str, body: schemas.EmployeeInsuranceUpdate, session: DbSession,
                       user: PersonWrite) -> object:
    return shown(user, schemas.PersonRead, service.set_employee_insurance(session, psn_no=psn_no, **body.model_dump()))


@router.put("/{psn_no}/death", response_model=schemas.PersonRead, summary="死亡登记")
def death(psn_no: str, body: schemas.DeathReport, session: DbSession, user: PersonWrite) -> object:
    return shown(user, schemas.PersonRead, service.record_death(session, psn_no=psn_no, **body.model_dump()))


class GrantRead(Out):
    psn_no: str
    ref: str
    granted_on: dt.date
    amount: Decimal
    file_id: str


class AssistanceImportRead(Out):
    file_id: str
    grants: int
    amount: Decimal
    already: bool


@router.get("/{psn_no}/civil-assistance", response_model=list[GrantRead],
            summary="民政临时救助（高额医疗费用化解补助扣除）")
def civil_assistance(psn_no: str, request: Request, session: DbSession, user: PersonRead) -> object:
    saw(request, session, Action.VIEW, [psn_no], "民政临时救助")
    return assistance.grants_of(session, psn_no)


civil = APIRouter(prefix="/api/civil-assistance", tags=["参保人 persons"])


@civil.post("", response_model=AssistanceImportRead,
            summary="导入民政临时救助名单（CSV 或 Excel；同一文件编号只导入一次）")
def civil_assistance_import(session: DbSession, user: BatchWrite, file: UploadFile = File(...),
                            file_id: str = Form(...)) -> object:
    return asdict(assistance.import_temporary_assistance(session, file.filename or "", file.file.read(),
                                                         file_id=file_id, actor=user.username))
