"""Institutions and catalogue: registration, agreement status, the tier a hospital settles at, prices."""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Sequence
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import bindparam, select, true
from sqlalchemy.orm import Session

from yibao.access import throttle
from yibao.access.sessions import Kind, live_session, open_session
from yibao.errors import Conflict, InvalidInput, NotFound, Refused, Unauthorized
from yibao.institutions.errors import (
    DeviceNotFound,
    DeviceTaken,
    DoctorNotFound,
    InstitutionNotFound,
    InstitutionSuspended,
    InstitutionTerminated,
)
from yibao.institutions.models import (
    CatalogueItem,
    CatalogueItemRecord,
    CatalogueSelfpay,
    Device,
    DeviceRecord,
    Doctor,
    DoctorPoints,
    DoctorPointsRecord,
    DoctorRecord,
    Institution,
    InstitutionRecord,
    SelfpayRecord,
)
from yibao.kit.clock import now
from yibao.kit.gm import check_public_key
from yibao.kit.passwords import hash_password
from yibao.statements import Db, Read

# How an institution's system may prove itself at the gateway (adapters/gateway/auth.py says what each is);
# new institutions get the three of the spec and of provincial gateways, the plain secret only where enabled
AUTH_SCHEMES = ("sm2", "tif", "apikey", "secret")
DEFAULT_AUTH_SCHEMES = "sm2,tif,apikey"
KINDS = {"hospital": "医院", "community": "社区卫生服务中心/站", "pharmacy": "零售药店"}
REGIONS = {"ningbo": "宁波市", "zhejiang": "浙江省内其他城市", "other_province": "外省"}
HOSP_LV = {"01": "三级特等", "02": "三甲", "03": "三乙", "04": "三丙", "05": "二甲", "06": "二乙", "07": "二丙",
           "08": "一甲", "09": "一乙", "10": "一丙", "11": "未定级"}
# The Fenghua tier of the benefit tables (POLICY.md §5): community from the institution type; 三级特等 and
# 三甲 → tertiary_a, 三乙 → tertiary_b, 三丙 → tertiary_c; everything else "other".
# ASSUMPTION: a pharmacy purchase settles at the "other" tier (the documents give no pharmacy rate).
TIER_BY_HOSP_LV = {"01": "tertiary_a", "02": "tertiary_a", "03": "tertiary_b", "04": "tertiary_c"}
STATUS = {"active": "正常", "suspended": "暂停结算", "terminated": "已解除协议"}


def tier_for(kind: str, hosp_lv: str) -> str:
    if kind == "community":
        return "community"
    return TIER_BY_HOSP_LV.get(hosp_lv, "other")


def register_institution(
    session: Session, *, fixmedins_code: str, name: str, kind: str, hosp_lv: str, region: str = "ningbo",
    admdvs: str = "330213", cross_province_designated: bool = False, secret: str | None = None,
    auth_schemes: str = DEFAULT_AUTH_SCHEMES, public_key: str | None = None,
) -> tuple[Institution, str]:
    """A designated institution and its gateway secret (returned once): stored hashed for the desk's sign-in and
    the legacy cainfo, and as the token of the x-tif and apikey schemes (which need it to check a call)."""
    if kind not in KINDS:
        raise InvalidInput(f"机构类型只能是：{'、'.join(KINDS)}", field="kind")
    if hosp_lv not in HOSP_LV:
        raise InvalidInput(f"医院等级代码应为 01–11，不是 {hosp_lv!r}", field="hosp_lv")
    if region not in REGIONS:
        raise InvalidInput(f"所在地区只能是：{'、'.join(REGIONS)}", field="region")
    code = fixmedins_code.strip().upper()
    if not (len(code) == 12 and code[0] in "HP" and code[1:].isdigit()):
        raise InvalidInput("机构编码应为 H（医院）或 P（药店）加 11 位数字，如 H33021300001", field="fixmedins_code")
    if session.get(Institution, code) is not None:
        raise Conflict(f"机构编码 {code} 已存在", field="fixmedins_code")
    secret = secret or secrets.token_urlsafe(18)
    institution = Institution(
        fixmedins_code=code, name=name.strip(), kind=kind, hosp_lv=hosp_lv, level=tier_for(kind, hosp_lv),
        region=region, admdvs=admdvs, cross_province_designated=cross_province_designated,
        agreement_status="active", suspended_until=None, secret_hash=hash_password(secret), created_at=now(),
        auth_schemes=check_auth_schemes(auth_schemes), public_key=check_gateway_key(public_key), gateway_token=secret,
        paas_id=None)
    session.add(institution)
    session.flush()
    return institution, secret


def get_institution(session: Session, code: str) -> Institution:
    institution = session.get(Institution, code)
    if institution is None:
        raise InstitutionNotFound(code=code)
    return institution


_INSTITUTION = Read(InstitutionRecord, Institution, Institution.fixmedins_code == bindparam("code"))


def check_auth_schemes(text: str) -> str:
    chosen = [s.strip() for s in text.split(",") if s.strip()]
    unknown = [s for s in chosen if s not in AUTH_SCHEMES]
    if not chosen or unknown:
        raise InvalidInput(f"接入方式只能是 {'、'.join(AUTH_SCHEMES)} 中的一种或几种（逗号分隔）", field="auth_schemes")
    return ",".join(dict.fromkeys(chosen))


def check_gateway_key(public_key: str | None) -> str | None:
    if not public_key:
        return None
    try:
        check_public_key(public_key)
    except ValueError as exc:
        raise InvalidInput(str(exc), field="public_key") from exc
    return public_key.strip().lower()


def set_gateway_access(session: Session, code: str, *, auth_schemes: str | None = None,
                       public_key: str | None = None, paas_id: str | None = None) -> Institution:
    """How the institution's system proves itself at the gateway: its schemes, SM2 public key, x-tif paas id."""
    institution = get_institution(session, code)
    if auth_schemes is not None:
        institution.auth_schemes = check_auth_schemes(auth_schemes)
    if public_key is not None:
        institution.public_key = check_gateway_key(public_key)
    if paas_id is not None:
        institution.paas_id = paas_id.strip() or None
    session.flush()
    return institution


def institution_record(session: Db, code: str) -> InstitutionRecord | None:
    """The institution as a read-only record (the gateway reads it on every call; None if unknown)."""
    return _INSTITUTION.first(session, code=code)


DESK_REFUSAL = "机构编码或接口密钥不正确（密钥由区医保中心在机构登记时发放）"


def desk_sign_in(session: Session, *, code: str, secret: str, opter: str, address: str = "",
                 hours: float = 12) -> str:
    """A hospital desk signs in with the institution's code and interface secret (as a 9001 with the secret
    does), throttled as every sign-in is; returns the session's token (the cashier's name kept with it)."""
    code = code.strip().upper()
    institution = session.get(Institution, code)
    if not throttle.guarded_check(session, "desk", code, address, secret,
                                  institution.secret_hash if institution is not None else None):
        raise Unauthorized(DESK_REFUSAL, field="secret")
    return open_session(session, Kind.DESK, code, hours=hours, detail=opter.strip())


def desk_session(session: Session, token: str | None) -> tuple[InstitutionRecord, str]:
    """The institution and cashier of a desk's session (401 when signed out or expired)."""
    row = live_session(session, Kind.DESK, token)
    institution = institution_record(session, row.subject)
    if institution is None:
        raise InstitutionNotFound(code=row.subject)
    return institution, row.detail or ""


def list_institutions(session: Session) -> Sequence[Institution]:
    return session.scalars(select(Institution).order_by(Institution.fixmedins_code)).all()


def set_agreement(session: Session, *, code: str, status: str, until: dt.date | None = None,
                  reason: str = "") -> Institution:
    """Suspend settlement until a date, terminate the agreement, or restore it (POLICY.md §12 sanctions); a
    suspension or termination says why."""
    institution = get_institution(session, code)
    if status not in STATUS:
        raise InvalidInput(f"协议状态只能是：{'、'.join(STATUS)}", field="status")
    if status == "suspended" and until is None:
        raise InvalidInput("暂停结算须填写暂停至哪一天", field="until")
    if status != "active" and not reason.strip():
        raise InvalidInput("暂停结算或解除协议须填写原因（如稽查决定书文号）", field="reason")
    if institution.agreement_status == "terminated" and status != "terminated":
        raise Refused("已解除协议的机构不能恢复，须重新签订协议", field="status")
    institution.agreement_status = status
    institution.suspended_until = until if status == "suspended" else None
    institution.agreement_reason = reason.strip() or None
    session.flush()
    return institution


def check_designated(institution: InstitutionRecord, day: dt.date) -> None:
    """Settlement is refused at a terminated institution, or a suspended one during its suspension."""
    if institution.agreement_status == "terminated":
        raise InstitutionTerminated(name=institution.name)
    if institution.agreement_status == "suspended" and (
            institution.suspended_until is None or day <= institution.suspended_until):
        raise InstitutionSuspended(name=institution.name, until=institution.suspended_until)


def add_doctor(session: Session, *, dr_code: str, name: str, fixmedins_code: str) -> Doctor:
    get_institution(session, fixmedins_code)
    if session.get(Doctor, dr_code) is not None:
        raise Conflict(f"医师编码 {dr_code} 已存在", field="dr_code")
    doctor = Doctor(dr_code=dr_code, name=name, fixmedins_code=fixmedins_code)
    session.add(doctor)
    session.flush()
    return doctor


class DeviceStatus(StrEnum):
    ACTIVE = "active"
    RETIRED = "retired"


DEVICE_LABELS = {DeviceStatus.ACTIVE: "在用", DeviceStatus.RETIRED: "已停用"}
MAX_DEV_NO = 100  # the national envelope's dev_no (字符型 100)


def register_device(session: Session, *, fixmedins_code: str, dev_no: str, name: str) -> Device:
    """登记结算终端: the dev_no the institution's messages will carry from it (a retired one may be registered
    again, by the same or another institution)."""
    get_institution(session, fixmedins_code)
    dev_no, name = dev_no.strip(), name.strip()
    if not dev_no or len(dev_no) > MAX_DEV_NO:
        raise InvalidInput(f"终端编号应为 1–{MAX_DEV_NO} 个字符（即接口报文的 dev_no）", field="dev_no")
    if not name:
        raise InvalidInput("请填写终端的位置或名称（如 门诊收费处1号窗口）", field="name")
    device = session.get(Device, dev_no)
    if device is not None and device.status == DeviceStatus.ACTIVE:
        raise DeviceTaken(dev_no=dev_no, owner=device.fixmedins_code)
    if device is None:
        device = Device(dev_no=dev_no)
        session.add(device)
    device.fixmedins_code, device.name, device.status = fixmedins_code, name, DeviceStatus.ACTIVE.value
    device.registered_at, device.retired_at = now(), None
    session.flush()
    return device


def retire_device(session: Session, *, fixmedins_code: str, dev_no: str) -> Device:
    """停用结算终端: settlements from it count as from an unregistered device."""
    device = session.get(Device, dev_no)
    if device is None or device.fixmedins_code != fixmedins_code or device.status != DeviceStatus.ACTIVE:
        raise DeviceNotFound(fixmedins_code=fixmedins_code, dev_no=dev_no)
    device.status, device.retired_at = DeviceStatus.RETIRED.value, now()
    session.flush()
    return device


def devices(session: Session, fixmedins_code: str) -> Sequence[Device]:
    return session.scalars(select(Device).where(Device.fixmedins_code == fixmedins_code)
                           .order_by(Device.status, Device.dev_no)).all()


_DEVICE = Read(DeviceRecord, Device, Device.dev_no == bindparam("dev_no"))
_REGISTERS_DEVICES = Read(DeviceRecord, Device, Device.fixmedins_code == bindparam("code"),
                          Device.status == DeviceStatus.ACTIVE.value)


def device_standing(db: Db, fixmedins_code: str, dev_no: str | None) -> str | None:
    """Why a settlement from `dev_no` at the institution is not from one of its terminals (None: it is, or the
    institution registers no terminals, or the message names none — ND03 judges only what it can)."""
    if not dev_no or _REGISTERS_DEVICES.first(db, code=fixmedins_code) is None:
        return None
    return device_problem(dev_no, fixmedins_code, _DEVICE.first(db, dev_no=dev_no), now())


def device_problem(dev_no: str, fixmedins_code: str, device: DeviceRecord | None, at: dt.datetime) -> str | None:
    """What is wrong with a settlement at `at` from terminal `dev_no` (its registration, if any) at the
    institution; None: it was one of the institution's terminals then."""
    if device is None or device.registered_at > at:
        return f"结算终端 {dev_no} 未在 {fixmedins_code} 登记"
    if device.fixmedins_code != fixmedins_code:
        return f"结算终端 {dev_no} 登记在 {device.fixmedins_code}，不属于 {fixmedins_code}"
    if device.retired_at is not None and device.retired_at <= at:
        return f"结算终端 {dev_no} 已于 {device.retired_at:%Y-%m-%d} 停用"
    return None


_DOCTORS = Read(DoctorRecord, Doctor, among=Doctor.dr_code)


def doctors_of(session: Db, dr_codes: Sequence[str]) -> dict[str, DoctorRecord]:
    """The registered doctors among `dr_codes`, by code."""
    codes = sorted({code for code in dr_codes if code})
    return {row.dr_code: row for row in _DOCTORS.all(session, values=codes)} if codes else {}


_POINTS = Read(DoctorPointsRecord, DoctorPoints, DoctorPoints.year == bindparam("year"), among=DoctorPoints.dr_code)


def docked_points(session: Db, dr_codes: Sequence[str], year: int) -> dict[str, int]:
    """The points left this year of those of `dr_codes` audit has docked (POLICY.md §12); the others have them all."""
    codes = sorted({code for code in dr_codes if code})
    return {row.dr_code: row.points for row in _POINTS.all(session, values=codes, year=year)} if codes else {}


def set_points_left(session: Session, *, dr_code: str, year: int, points: int) -> None:
    row = session.get(DoctorPoints, (dr_code, year))
    if row is None:
        session.add(DoctorPoints(dr_code=dr_code, year=year, points=points, updated_at=now()))
    else:
        row.points, row.updated_at = points, now()
    session.flush()


def get_doctor(session: Session, dr_code: str) -> Doctor:
    doctor = session.get(Doctor, dr_code)
    if doctor is None:
        raise DoctorNotFound(dr_code=dr_code)
    return doctor


def add_catalogue_item(session: Session, *, code: str, name: str, item_class: str, category: str,
                       price_ceiling: Decimal | None = None) -> CatalogueItem:
    if item_class not in ("A", "B", "C"):
        raise InvalidInput("目录类别只能是 A（甲）、B（乙）、C（丙）", field="item_class")
    if session.get(CatalogueItem, code) is not None:
        raise Conflict(f"目录编码 {code} 已存在", field="code")
    item = CatalogueItem(code=code, name=name, item_class=item_class, category=category, price_ceiling=price_ceiling,
                         updated_at=now())
    session.add(item)
    session.flush()
    return item


def set_selfpay(session: Session, *, code: str, selfpay_prop: Decimal, valid_from: dt.date,
                valid_to: dt.date | None = None) -> CatalogueSelfpay:
    item = session.get(CatalogueItem, code)
    if item is None:
        raise NotFound(f"目录中没有编码 {code}", field="code")
    if item.item_class != "B":
        raise InvalidInput("只有乙类项目有先行自付比例", field="selfpay_prop")
    if not 0 <= selfpay_prop <= 1:
        raise InvalidInput("先行自付比例须在 0 到 1 之间", field="selfpay_prop")
    row = CatalogueSelfpay(code=code, selfpay_prop=selfpay_prop, valid_from=valid_from, valid_to=valid_to)
    item.updated_at = now()
    session.add(row)
    session.flush()
    return row


_CATALOGUE_ITEMS = Read(CatalogueItemRecord, CatalogueItem, among=CatalogueItem.code)
_CATALOGUE_SELFPAY = Read(SelfpayRecord, CatalogueSelfpay, among=CatalogueSelfpay.code,
                          order_by=(CatalogueSelfpay.valid_from, CatalogueSelfpay.id))


def catalogue_lookup(session: Db, codes: Sequence[str],
                     day: dt.date) -> dict[str, tuple[CatalogueItemRecord, Decimal | None]]:
    """Items by code, each with the 乙 first self-pay ratio in force on `day` (None: the edition default)."""
    if not codes:
        return {}
    items = {item.code: item for item in _CATALOGUE_ITEMS.all(session, values=codes)}
    props: dict[str, Decimal] = {}
    for row in _CATALOGUE_SELFPAY.all(session, values=list(items)) if items else ():
        if row.valid_from <= day and (row.valid_to is None or day <= row.valid_to):
            props[row.code] = row.selfpay_prop
    return {code: (item, props.get(code)) for code, item in items.items()}


def find_catalogue(session: Session, query: str, *, limit: int = 30) -> Sequence[CatalogueItem]:
    """Catalogue items whose code starts with, or whose name contains, `query` (the desk's item picker)."""
    text = query.strip()
    condition = CatalogueItem.code.startswith(text) | CatalogueItem.name.contains(text) if text else true()
    return session.scalars(select(CatalogueItem).where(condition).order_by(CatalogueItem.name).limit(limit)).all()
