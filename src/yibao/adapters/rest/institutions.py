"""Institutions, doctors, the catalogue and the national lists beside it: the staff API."""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict
from decimal import Decimal
from typing import Any

from fastapi import APIRouter, File, UploadFile
from pydantic import Field

from yibao.adapters.rest.deps import DbSession, InstitutionWrite, SettlementRead
from yibao.audit.sanctions import doctor_points
from yibao.institutions import national_lists, service
from yibao.kit.clock import now
from yibao.kit.schema import In, MoneyIn, Out

router = APIRouter(prefix="/api/institutions", tags=["定点医药机构 institutions"])


class InstitutionCreate(In):
    fixmedins_code: str
    name: str = Field(min_length=1, max_length=100)
    kind: str = Field(description="hospital / community / pharmacy")
    hosp_lv: str = Field(description="01–11（02 三甲 …）")
    region: str = Field("ningbo", description="ningbo / zhejiang / other_province")
    admdvs: str = "330213"
    cross_province_designated: bool = False


class InstitutionRead(Out):
    fixmedins_code: str
    name: str
    kind: str
    hosp_lv: str
    level: str
    region: str
    admdvs: str
    cross_province_designated: bool
    agreement_status: str
    suspended_until: dt.date | None


class InstitutionCreated(InstitutionRead):
    secret: str = Field(description="接口签到密钥，只显示这一次")


class AgreementUpdate(In):
    status: str = Field(description="active / suspended / terminated")
    until: dt.date | None = None
    reason: str = Field("", max_length=200, description="暂停或解除的原因（如稽查决定书文号）；恢复时可不填")


class DoctorCreate(In):
    dr_code: str = Field(min_length=1, description="医师编码（国家医保医师代码）")
    name: str = Field(min_length=1)


class CatalogueCreate(In):
    code: str = Field(min_length=1, description="医保目录编码")
    name: str = Field(min_length=1)
    item_class: str = Field(description="A 甲 / B 乙 / C 丙")
    category: str = "drug"
    price_ceiling: MoneyIn | None = None


class SelfpayCreate(In):
    selfpay_prop: Decimal = Field(ge=0, le=1)
    valid_from: dt.date
    valid_to: dt.date | None = None


@router.post("", response_model=InstitutionCreated, status_code=201, summary="登记定点医药机构")
def register(body: InstitutionCreate, session: DbSession, user: InstitutionWrite) -> object:
    institution, secret = service.register_institution(session, **body.model_dump())
    return {**InstitutionRead.model_validate(institution).model_dump(), "secret": secret}


@router.get("", response_model=list[InstitutionRead], summary="定点医药机构及协议状态")
def institutions(session: DbSession, user: SettlementRead) -> object:
    return service.list_institutions(session)


@router.put("/{code}/agreement", response_model=InstitutionRead, summary="暂停结算、解除协议或恢复")
def agreement(code: str, body: AgreementUpdate, session: DbSession, user: InstitutionWrite) -> object:
    return service.set_agreement(session, code=code, status=body.status, until=body.until, reason=body.reason)


@router.post("/{code}/doctors", status_code=201, summary="登记医保医师")
def doctor(code: str, body: DoctorCreate, session: DbSession, user: InstitutionWrite) -> dict[str, object]:
    row = service.add_doctor(session, dr_code=body.dr_code, name=body.name, fixmedins_code=code)
    return {"dr_code": row.dr_code, "name": row.name, "points": doctor_points(session, row.dr_code, now().date())}


class DeviceCreate(In):
    dev_no: str = Field(min_length=1, max_length=service.MAX_DEV_NO, description="终端编号（接口报文的 dev_no）")
    name: str = Field(min_length=1, max_length=100, description="终端位置或名称，如 门诊收费处1号窗口")


class DeviceRead(Out):
    dev_no: str
    fixmedins_code: str
    name: str
    status: str = Field(description="active 在用 / retired 已停用")
    registered_at: dt.datetime
    retired_at: dt.datetime | None


@router.post("/{code}/devices", response_model=DeviceRead, status_code=201, summary="登记结算终端")
def device(code: str, body: DeviceCreate, session: DbSession, user: InstitutionWrite) -> object:
    """Settlements from a terminal that is not one of the institution's are audit findings (ND03)."""
    return service.register_device(session, fixmedins_code=code, dev_no=body.dev_no, name=body.name)


@router.get("/{code}/devices", response_model=list[DeviceRead], summary="机构的结算终端")
def devices(code: str, session: DbSession, user: SettlementRead) -> object:
    service.get_institution(session, code)
    return service.devices(session, code)


@router.post("/{code}/devices/{dev_no}/retire", response_model=DeviceRead, summary="停用结算终端")
def retire_device(code: str, dev_no: str, session: DbSession, user: InstitutionWrite) -> object:
    return service.retire_device(session, fixmedins_code=code, dev_no=dev_no)


@router.post("/catalogue", status_code=201, summary="新增医保目录项目")
def catalogue(body: CatalogueCreate, session: DbSession, user: InstitutionWrite) -> dict[str, object]:
    item = service.add_catalogue_item(session, **body.model_dump())
    return {"code": item.code, "name": item.name, "item_class": item.item_class}


@router.post("/catalogue/{code}/selfpay", status_code=201, summary="设定乙类先行自付比例（按日期）")
def selfpay(code: str, body: SelfpayCreate, session: DbSession, user: InstitutionWrite) -> dict[str, object]:
    row = service.set_selfpay(session, code=code, **body.model_dump())
    return {"code": row.code, "selfpay_prop": str(row.selfpay_prop), "valid_from": row.valid_from}


class GatewayAccessIn(In):
    auth_schemes: str | None = Field(None, max_length=40, description="sm2,tif,apikey,secret 中的一种或几种")
    public_key: str | None = Field(None, max_length=130, description="SM2 公钥（cainfo 验签），04 开头 130 位十六进制")
    paas_id: str | None = Field(None, max_length=40, description="省级网关的 x-tif-paasid（与机构编码不同时）")


class GatewayAccessRead(Out):
    fixmedins_code: str
    auth_schemes: str
    public_key: str | None
    paas_id: str | None


@router.put("/{code}/gateway", response_model=GatewayAccessRead, summary="接口接入方式：签名公钥、网关请求头、apikey")
def set_gateway_access(code: str, body: GatewayAccessIn, session: DbSession, _: InstitutionWrite) -> Any:
    return service.set_gateway_access(session, code, auth_schemes=body.auth_schemes, public_key=body.public_key,
                                      paas_id=body.paas_id)


# ---------------------------------------------------------------------------------------------------
# The national lists beside the catalogue (institutions/national_lists.py): imported from the platform's files


class NationalListRead(Out):
    key: str
    infno: str
    title: str
    rows: int
    updated_at: dt.datetime | None


class ListImportRead(Out):
    title: str
    rows: int
    added: int
    changed: int
    unchanged: int


@router.get("/national-lists/", response_model=list[NationalListRead], summary="国家医保目录：各目录的条数与最近更新")
def national_list_overview(session: DbSession, _: SettlementRead) -> Any:
    counts = national_lists.list_counts(session)
    return [{"key": key, "infno": lst.infno, "title": lst.title, "rows": counts[key][0],
             "updated_at": counts[key][1]} for key, lst in national_lists.LISTS.items()]


@router.post("/national-lists/{key}", response_model=ListImportRead,
             summary="导入国家医保平台下载的目录文件（疾病与诊断、手术操作、门慢门特病种 …；整个文件导入或不导入）")
def national_list_import(key: str, session: DbSession, _: InstitutionWrite, file: UploadFile = File(...)) -> Any:
    return asdict(national_lists.import_list(session, key, file.file.read(national_lists.MAX_FILE + 1)))
