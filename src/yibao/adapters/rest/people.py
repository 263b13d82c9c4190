"""People REST door: parse, call one service function, return."""

from __future__ import annotations

from fastapi import APIRouter, Query

from yibao.adapters.rest.deps import DbSession, PersonRead, PersonWrite, shown
from yibao.people import schemas, service
from yibao.people.towns import TOWNS

router = APIRouter(prefix="/api/persons", tags=["参保人 persons"])


@router.post("", response_model=schemas.PersonRead, status_code=201, summary="登记参保人")
def register_person(body: schemas.PersonCreate, session: DbSession, user: PersonWrite) -> object:
    return shown(user, schemas.PersonRead, service.register_person(session, **body.model_dump()))


@router.get("", response_model=list[schemas.PersonRead], summary="按姓名、身份证号或人员编号查找")
def find_persons(session: DbSession, user: PersonRead, q: str = Query(min_length=1)) -> object:
    return [shown(user, schemas.PersonRead, person) for person in service.find_persons(session, q)]


@router.get("/towns", response_model=list[schemas.TownRead], summary="镇（街道）及咨询电话（S22 §8）")
def towns(user: PersonRead) -> object:
    return [town._asdict() for town in TOWNS]


@router.get("/{psn_no}", response_model=schemas.PersonRead, summary="参保人信息")
def get_person(psn_no: str, session: DbSession, user: PersonRead) -> object:
    return shown(user, schemas.PersonRead, service.get_person(session, psn_no))


@router.get("/{psn_no}/certificates", response_model=list[schemas.CertificateRead], summary="证件")
def certificates(psn_no: str, session: DbSession, user: PersonRead) -> object:
    return [shown(user, schemas.CertificateRead, certificate)
            for certificate in service.get_person(session, psn_no, with_certificates=True).certificates]


@router.post("/{psn_no}/certificates", response_model=schemas.CertificateRead, status_code=201, summary="登记证件")
def add_certificate(psn_no: str, body: schemas.CertificateCreate, session: DbSession, user: PersonWrite) -> object:
    return shown(user, schemas.CertificateRead, service.add_certificate(session, psn_no=psn_no, **body.model_dump()))


@router.put("/{psn_no}/employee-insurance", response_model=schemas.PersonRead, summary="职工医保参保状态")
def employee_insurance(psn_no: str, body: schemas.EmployeeInsuranceUpdate, session: DbSession,
                       user: PersonWrite) -> object:
    return shown(user, schemas.PersonRead, service.set_employee_insurance(session, psn_no=psn_no, **body.model_dump()))
