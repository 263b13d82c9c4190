"""People operations: register, find, certificates, employee-insurance status. Flush, never commit."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence as Seq

from sqlalchemy import ColumnElement, bindparam, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from yibao.access import throttle
from yibao.access.sessions import Kind, close_all, live_session, open_session
from yibao.db import digest_of
from yibao.errors import Conflict, InvalidInput, NotFound, Unauthorized
from yibao.kit.clock import now
from yibao.kit.idcard import IdNumberError, parse_id_number
from yibao.kit.passwords import hash_password, verify_password
from yibao.people.models import (
    Certificate,
    CertificateRecord,
    Person,
    PersonChange,
    PersonRecord,
    ResidentAccount,
    Sequence,
)
from yibao.people.towns import TOWN_BY_CODE
from yibao.policy.eligibility import Certificate as PolicyCertificate
from yibao.statements import Db, Read

PSN_PREFIX = "330213"  # 奉化区 division code; psn_no = prefix + 10-digit sequence

CERTIFICATE_KINDS: dict[str, str] = {
    "priority_entitled": "重点优抚对象证",
    "disabled_grade_1": "残疾人证（一级）",
    "disabled_grade_2": "残疾人证（二级）",
    "minimum_living": "低保证",
    "extreme_poverty": "特困/五保/三无/孤儿供养证",
    "marginal_low_income": "低保边缘家庭证明",
    "aid_recipient": "扶助对象证明",
    "monitored_poverty": "返贫致贫监测对象证明",
    "illness_poverty": "因病致贫重病患者证明",
}
# certificate kinds that make a person a medical-assistance recipient (POLICY.md §7)
ASSISTANCE_KINDS = ("extreme_poverty", "minimum_living", "marginal_low_income", "monitored_poverty",
                    "illness_poverty")


def reserve_numbers(session: Session, name: str, count: int) -> int:
    """Reserve `count` consecutive numbers of a sequence; returns the first. Safe under concurrency."""
    result = session.execute(
        update(Sequence).where(Sequence.name == name).values(value=Sequence.value + count).returning(Sequence.value)
    ).scalar_one_or_none()
    if result is None:
        try:
            with session.begin_nested():  # two first users at once: one creates the row, the other retries
                session.add(Sequence(name=name, value=0))
        except IntegrityError:
            pass
        return reserve_numbers(session, name, count)
    return int(result) - count + 1


def next_psn_no(session: Session) -> str:
    return f"{PSN_PREFIX}{reserve_numbers(session, 'psn_no', 1):010d}"


def check_identity(certno: str, *, birth_date: dt.date | None = None, sex: str | None = None) -> tuple[
        str, dt.date, str]:
    """Validate an ID number (GB 11643) and cross-check what was entered; returns (number, birth, sex)."""
    try:
        parsed = parse_id_number(certno)
    except IdNumberError as exc:
        raise InvalidInput(str(exc), field="certno") from None
    if birth_date is not None and birth_date != parsed.birth_date:
        raise InvalidInput(f"出生日期 {birth_date} 与身份证号中的 {parsed.birth_date} 不一致，请核对",
                           field="birth_date")
    if sex is not None and sex != parsed.sex:
        raise InvalidInput("性别与身份证号不一致（第 17 位奇数为男、偶数为女），请核对", field="sex")
    return parsed.number, parsed.birth_date, parsed.sex


def other_person_id(name: str | None, certno: str | None, *, role: str, field: str) -> str | None:
    """The ID number of someone acting for the insured (a proxy 代办人, a payer 代缴人): both name and a
    valid ID number, or neither (None)."""
    if name is None and certno is None:
        return None
    if not (name and certno):
        raise InvalidInput(f"他人{role[:2]}须同时登记{role}姓名和身份证号", field=field)
    try:
        return parse_id_number(certno).number
    except IdNumberError as exc:
        raise InvalidInput(f"{role}身份证号无效：{exc}", field=field) from None


def check_town(local: bool, town: str | None) -> None:
    if local and town not in TOWN_BY_CODE:
        names = "、".join(f"{t.name}({code})" for code, t in TOWN_BY_CODE.items())
        raise InvalidInput(f"本区户籍人员须填写所在镇（街道）：{names}", field="town")
    if not local and town is not None:
        raise InvalidInput("非本区户籍人员不填写镇（街道）", field="town")


def register_person(
    session: Session,
    *,
    certno: str,
    name: str,
    local: bool,
    town: str | None = None,
    birth_date: dt.date | None = None,
    sex: str | None = None,
    household_no: str | None = None,
    phone: str | None = None,
    employee_insured: bool = False,
) -> Person:
    number, birth, sex = check_identity(certno, birth_date=birth_date, sex=sex)
    name = name.strip()
    if not name:
        raise InvalidInput("请填写姓名", field="name")
    check_town(local, town)
    existing = session.scalar(select(Person.psn_no).where(Person.certno_digest == digest_of("certno", number)))
    if existing is not None:
        raise Conflict(f"身份证号 {number} 已登记，人员编号 {existing}", field="certno")
    person = Person(psn_no=next_psn_no(session), certno=number, name=name, sex=sex, birth_date=birth, local=local,
                    town=town, household_no=household_no, phone=phone, employee_insured=employee_insured,
                    created_at=now())
    session.add(person)
    try:
        session.flush()
    except IntegrityError:
        raise Conflict(f"身份证号 {number} 已登记", field="certno") from None
    return person


def get_person(session: Session, psn_no: str, *, with_certificates: bool = False) -> Person:
    query = select(Person).where(Person.psn_no == psn_no)
    if with_certificates:
        query = query.options(selectinload(Person.certificates))
    person = session.scalar(query)
    if person is None:
        raise NotFound(f"没有人员编号为 {psn_no} 的参保人", field="psn_no")
    return person


_PERSON_BY_CERTNO = Read(PersonRecord, Person, Person.certno_digest == bindparam("digest"))
_PERSON_BY_PSN_NO = Read(PersonRecord, Person, Person.psn_no == bindparam("psn_no"))
_CERTIFICATES = Read(CertificateRecord, Certificate, Certificate.psn_no == bindparam("psn_no"),
                     order_by=(Certificate.valid_from, Certificate.id))


def person_with_certno(session: Db, certno: str) -> PersonRecord | None:
    """The person with this ID number, if registered (a read-only record)."""
    return _PERSON_BY_CERTNO.first(session, digest=digest_of("certno", certno))


def person_by_certno(session: Db, certno: str) -> PersonRecord:
    """The person with this ID number (a read-only record; the settlement hot path)."""
    person = person_with_certno(session, certno)
    if person is None:
        raise NotFound(f"没有身份证号为 {certno} 的参保人", field="certno")
    return person


def person_record(session: Db, psn_no: str) -> PersonRecord:
    """The person as a read-only record (the settlement hot path; `get_person` gives the ORM object)."""
    person = _PERSON_BY_PSN_NO.first(session, psn_no=psn_no)
    if person is None:
        raise NotFound(f"没有人员编号为 {psn_no} 的参保人", field="psn_no")
    return person


def certificates_of(session: Db, psn_no: str) -> list[CertificateRecord]:
    """The person's certificates, oldest first, as read-only records."""
    return _CERTIFICATES.all(session, psn_no=psn_no)


def search_condition(query: str) -> ColumnElement[bool]:
    """Who a typed query names: psn_no, ID or phone number exactly (their digests), or a name prefix."""
    text = query.strip()
    if not text:
        raise InvalidInput("请输入姓名、身份证号、手机号或人员编号", field="q")
    return or_(Person.psn_no == text, Person.certno_digest == digest_of("certno", text),
               Person.phone_digest == digest_of("phone", text),
               Person.name.startswith(text, autoescape=True))  # a % or _ typed is a character, not a wildcard


def find_persons(session: Session, query: str, *, limit: int = 50) -> Seq[Person]:
    """By psn_no, ID number or phone number exactly (their digests), or by name prefix (the doors' counted,
    paged and filtered search is enrollment/search.py)."""
    return session.scalars(select(Person).where(search_condition(query)).order_by(Person.name, Person.psn_no)
                           .limit(limit)).all()


def add_certificate(
    session: Session, *, psn_no: str, kind: str, cert_no: str, valid_from: dt.date, valid_to: dt.date | None
) -> Certificate:
    get_person(session, psn_no)
    if kind not in CERTIFICATE_KINDS:
        raise InvalidInput(f"未知的证件类别 {kind!r}，可选：{'、'.join(CERTIFICATE_KINDS)}", field="kind")
    if valid_to is not None and valid_to < valid_from:
        raise InvalidInput("证件有效期止不能早于起", field="valid_to")
    if not cert_no.strip():
        raise InvalidInput("请填写证件编号", field="cert_no")
    certificate = Certificate(psn_no=psn_no, kind=kind, cert_no=cert_no.strip(), valid_from=valid_from,
                              valid_to=valid_to, created_at=now())
    session.add(certificate)
    session.flush()
    return certificate


def set_employee_insurance(session: Session, *, psn_no: str, insured: bool, ended_on: dt.date | None) -> Person:
    person = get_person(session, psn_no)
    if insured and ended_on is not None:
        raise InvalidInput("仍在职工医保的人员不填写中断日期", field="ended_on")
    person.employee_insured = insured
    person.employee_insurance_end = ended_on
    session.flush()
    return person


# ASSUMPTION: a phone number is a mobile (1 and ten digits) or a landline with its area code (0574-88689400)
PHONE = re.compile(r"1\d{10}|0\d{2,3}-?\d{7,8}")
CHANGED_FIELDS = {"phone": "联系电话", "town": "所在镇（街道）"}


def update_person(session: Session, *, psn_no: str, phone: str | None, town: str | None, reason: str,
                  actor: str) -> list[PersonChange]:
    """Change a person's phone and town at the window: each field that differs is changed and kept with its old
    and new value, who and why (人员信息变更); a field left empty keeps its value (a clerk who sees the phone
    masked changes the town alone); nothing to change, a bad phone or town, no reason → refused."""
    person = get_person(session, psn_no)
    phone = (phone or "").strip().replace(" ", "") or person.phone
    if phone is not None and phone != person.phone and not PHONE.fullmatch(phone):
        raise InvalidInput("联系电话应为 11 位手机号或带区号的固定电话（如 0574-88689400）", field="phone")
    town = town or person.town
    check_town(person.local, town)
    wanted = {"phone": phone, "town": town}
    changed = {name: value for name, value in wanted.items() if getattr(person, name) != value}
    if not changed:
        raise InvalidInput("没有需要修改的内容", field="phone")
    if not reason.strip():
        raise InvalidInput("请填写变更原因（如：本人申请、户籍迁移）", field="reason")
    moment, rows = now(), []
    for name, value in changed.items():
        rows.append(PersonChange(psn_no=psn_no, field=name, old=getattr(person, name), new=value,
                                 reason=reason.strip()[:200], changed_by=actor[:60], changed_at=moment))
        setattr(person, name, value)
    session.add_all(rows)
    session.flush()
    return rows


def changes_of(session: Session, psn_no: str) -> Seq[PersonChange]:
    """A person's changes at the window, newest first."""
    return session.scalars(select(PersonChange).where(PersonChange.psn_no == psn_no)
                           .order_by(PersonChange.changed_at.desc(), PersonChange.id)).all()


def record_death(session: Session, *, psn_no: str, died_on: dt.date, source: str) -> Person:
    """死亡登记: the date a person died and who reported it; care settled after it is an audit finding (MM04) and
    refused at the counter. A corrected date replaces the earlier one."""
    person = get_person(session, psn_no)
    if not source.strip():
        raise InvalidInput("请填写死亡信息的来源（如 民政殡葬信息、公安户籍注销）", field="source")
    if died_on > now().date():
        raise InvalidInput(f"死亡日期 {died_on} 晚于今天，请核对", field="died_on")
    if died_on < person.birth_date:
        raise InvalidInput(f"死亡日期 {died_on} 早于出生日期 {person.birth_date}，请核对", field="died_on")
    person.death_date, person.death_source = died_on, source.strip()[:100]
    session.flush()
    return person


def policy_certificates(certificates: Seq[Certificate]) -> tuple[PolicyCertificate, ...]:
    return tuple(PolicyCertificate(c.kind, c.valid_from, c.valid_to) for c in certificates)


def assistance_class_on(certificates: Seq[Certificate] | Seq[CertificateRecord], day: dt.date) -> str | None:
    """The medical-assistance class a person holds a valid certificate for on `day` (POLICY.md §7)."""
    held = {c.kind for c in certificates if c.valid_from <= day and (c.valid_to is None or day <= c.valid_to)}
    return next((kind for kind in ASSISTANCE_KINDS if kind in held), None)


# ---------------------------------------------------------------------------------------------------
# Resident sign-in for the self-service pages

RESIDENT_PASSWORD_MIN = 8


def _check_new_password(password: str, field: str) -> None:
    if len(password) < RESIDENT_PASSWORD_MIN:
        raise InvalidInput(f"密码至少 {RESIDENT_PASSWORD_MIN} 位", field=field)


def open_resident_account(session: Session, *, psn_no: str, password: str, actor: str) -> ResidentAccount:
    """Open (or reset) a resident's online account with an initial password the clerk hands over."""
    get_person(session, psn_no)
    _check_new_password(password, "password")
    account = session.get(ResidentAccount, psn_no)
    if account is None:
        account = ResidentAccount(psn_no=psn_no, created_at=now(), last_sign_in=None)
        session.add(account)
    account.password_hash = hash_password(password)
    account.created_by = actor
    close_all(session, Kind.RESIDENT, psn_no)  # a reset ends every session opened with the old password
    session.flush()
    return account


RESIDENT_REFUSAL = "身份证号或密码不正确；未开通的请到村（社区）或区医保中心窗口开通网上服务"


def resident_sign_in(session: Session, *, certno: str, password: str, address: str = "",
                     hours: float = 2) -> tuple[str, Person]:
    """A new session of the person whose ID number and password these are (its token, and the person); one
    message for every failure (no account probing), throttled as staff sign-in is (access/throttle.py)."""
    person = session.scalar(select(Person).where(Person.certno_digest == digest_of("certno", certno)))
    account = session.get(ResidentAccount, person.psn_no) if person is not None else None
    if not throttle.guarded_check(session, "resident", certno, address, password,
                                  account.password_hash if account else None):
        raise Unauthorized(RESIDENT_REFUSAL, field="password")
    assert person is not None and account is not None
    account.last_sign_in = now()
    return open_session(session, Kind.RESIDENT, person.psn_no, hours=hours), person


def resident_session(session: Session, token: str | None) -> Person:
    """The person a resident's session token belongs to (401 when signed out, expired or revoked)."""
    return get_person(session, live_session(session, Kind.RESIDENT, token).subject)


def change_resident_password(session: Session, *, psn_no: str, current: str, new: str,
                             keep: str | None = None) -> None:
    """A resident replaces the initial password the clerk handed over (or any later one)."""
    account = session.get(ResidentAccount, psn_no)
    if account is None or not verify_password(current, account.password_hash):
        raise Unauthorized("原密码不正确", field="current")  # signed in already: no lockout count here
    _check_new_password(new, "new")
    if new == current:
        raise InvalidInput("新密码不能与原密码相同", field="new")
    account.password_hash = hash_password(new)
    close_all(session, Kind.RESIDENT, psn_no, keep=keep)  # other browsers signed in with the old one are out
    session.flush()
