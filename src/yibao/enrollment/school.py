"""School batch enrollment (S22 §2(二): 中小学生由所在学校统一组织办理参保手续).

A school sends a CSV or Excel file, one student a row. Every bad row is reported with its line number;
the clerk then imports none (mode `all_or_nothing`) or only the valid rows (mode `valid_only`).
Checks are done in bulk (a few queries for the whole file), then persons, enrollments and bills are
inserted in bulk, so a 5,000-row file takes seconds.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from yibao.db import digest_of
from yibao.enrollment.models import Enrollment
from yibao.enrollment.service import (
    EnrollmentRequest,
    Progress,
    edition_for_year,
    insert_enrollments,
    plan_enrollment,
)
from yibao.errors import InvalidInput
from yibao.kit.batches import chunks
from yibao.kit.clock import now
from yibao.kit.dates import age_on
from yibao.kit.errors import DomainError
from yibao.kit.idcard import IdNumberError, parse_id_number
from yibao.people.models import Certificate, Person
from yibao.people.service import PSN_PREFIX, reserve_numbers
from yibao.people.towns import TOWN_BY_CODE, TOWNS
from yibao.policy.editions import Editions
from yibao.tables import TableRow, read_table

COLUMNS = {"身份证号": "certno", "姓名": "name", "学校": "school", "班级": "school_class", "联系电话": "phone",
           "户籍镇街": "town"}
REQUIRED = ("身份证号", "姓名", "学校")
TOWN_BY_NAME = {town.name: town.code for town in TOWNS}
Mode = Literal["all_or_nothing", "valid_only"]


SchoolRow = TableRow  # a pupil's line of the school's file


@dataclass(slots=True)
class ImportReport:
    total: int = 0
    valid: int = 0
    imported: int = 0
    errors: list[dict[str, Any]] = field(default_factory=list)


def read_school_file(filename: str, content: bytes) -> list[SchoolRow]:
    """Rows of a CSV (UTF-8 or GBK) or Excel (.xlsx) file; a malformed file → InvalidInput."""
    return read_table(filename, content, COLUMNS, REQUIRED)


# ASSUMPTION (a plausibility check of the school's list, not a benefit rule): a 中小学生 (S22 §1) is 3 to 25
# years old on the registration date — kindergarten to the oldest vocational-school pupils. A row outside it is
# refused with its age, so that a parent's ID number typed for the child's is not enrolled at the student rate.
STUDENT_AGES = (3, 25)


def _check_row(row: SchoolRow, seen: dict[str, int], registered_on: dt.date) -> tuple[str, str | None] | str:
    """(ID number, town code) of a row that passes the file-level checks, or the problem."""
    values = row.values
    try:
        parsed = parse_id_number(values.get("certno", ""))
    except IdNumberError as exc:
        return f"身份证号：{exc}"
    certno, age = parsed.number, age_on(parsed.birth_date, registered_on)
    if not STUDENT_AGES[0] <= age <= STUDENT_AGES[1]:
        return (f"按身份证号出生于 {parsed.birth_date:%Y年%m月%d日}，登记日 {age} 周岁，不在中小学生的年龄范围"
                f"（{STUDENT_AGES[0]}–{STUDENT_AGES[1]} 周岁）：请核对是否填成了家长的身份证号，成年人请个人参保")
    if not values.get("name"):
        return "姓名为空"
    if not values.get("school"):
        return "学校为空"
    if certno in seen:
        return f"身份证号与第 {seen[certno]} 行重复"
    seen[certno] = row.line
    town_text = values.get("town", "")
    town = TOWN_BY_NAME.get(town_text, town_text) or None
    if town is not None and town not in TOWN_BY_CODE:
        return f"户籍镇街“{town_text}”不是奉化区的镇（街道），请填写如“岳林街道”，非本区户籍请留空"
    return certno, town


def _error(row: SchoolRow, message: str) -> dict[str, Any]:
    """A refused row, with whom it names (the school's clerk finds the pupil by name and class, not by line)."""
    who = "，".join(v for v in (row.values.get("name"), row.values.get("school_class")) if v)
    return {"line": row.line, "name": who, "message": message}


def import_school_batch(
    session: Session, editions: Editions, rows: Sequence[SchoolRow], *, year: int, registration_date: dt.date,
    mode: Mode, actor: str, progress: Progress | None = None,
) -> ImportReport:
    """Validate every row, then import none (if any row is bad and mode is all_or_nothing) or the valid rows."""
    if mode not in ("all_or_nothing", "valid_only"):
        raise InvalidInput("导入方式只能是 all_or_nothing（有错则全部不导入）或 valid_only（只导入正确的行）",
                           field="mode")
    edition = edition_for_year(editions, year)
    report = ImportReport(total=len(rows))
    seen: dict[str, int] = {}
    checked: list[tuple[SchoolRow, str, str | None]] = []
    for row in rows:
        outcome = _check_row(row, seen, registration_date)
        if isinstance(outcome, str):
            report.errors.append(_error(row, outcome))
        else:
            checked.append((row, *outcome))
    certnos = [certno for _, certno, _ in checked]
    digests = [digest_of("certno", certno) for certno in certnos]
    persons = {p.certno: p for chunk in chunks(digests)
               for p in session.scalars(select(Person).where(Person.certno_digest.in_(chunk)))}
    known = [p.psn_no for p in persons.values()]
    enrolled = {psn for chunk in chunks(known) for psn in session.scalars(select(Enrollment.psn_no).where(
        Enrollment.psn_no.in_(chunk), Enrollment.year == year, Enrollment.status != "cancelled"))}
    certificates: dict[str, list[Certificate]] = {}
    for chunk in chunks(known):
        for certificate in session.scalars(select(Certificate).where(Certificate.psn_no.in_(chunk))):
            certificates.setdefault(certificate.psn_no, []).append(certificate)
    plans: list[tuple[Person, bool, dict[str, Any]]] = []
    moment = now()
    for number, (row, certno, town) in enumerate(checked, start=1):
        person = persons.get(certno)
        if person is not None and person.name != row.values["name"]:
            report.errors.append(_error(row, f"姓名与已登记的“{person.name}”不一致"))
            continue
        if person is not None and person.psn_no in enrolled:
            report.errors.append(_error(row, f"{person.name} 已登记 {year} 年度参保"))
            continue
        is_new = person is None
        if person is None:
            parsed = parse_id_number(certno)
            person = Person(psn_no=f"{PSN_PREFIX}-new-{number}", certno=certno, name=row.values["name"],
                            sex=parsed.sex, birth_date=parsed.birth_date, local=town is not None, town=town,
                            household_no=None, phone=row.values.get("phone") or None, employee_insured=False,
                            employee_insurance_end=None, created_at=moment)
        request = EnrollmentRequest(person.psn_no, year, registration_date, "school", student=True,
                                    school_name=row.values["school"],
                                    school_class=row.values.get("school_class") or None)
        try:
            plan = plan_enrollment(edition, person, certificates.get(person.psn_no, ()), request)
        except DomainError as exc:
            report.errors.append(_error(row, exc.message))
            continue
        plans.append((person, is_new, plan))
        if progress is not None and number % 500 == 0:
            progress(number, len(checked))
    report.errors.sort(key=lambda error: error["line"])
    report.valid = len(plans)
    if not plans or (mode == "all_or_nothing" and report.errors):
        return report
    _write(session, plans, actor=actor, moment=moment)
    report.imported = len(plans)
    if progress is not None:
        progress(len(checked), len(checked))
    return report


def _write(session: Session, plans: list[tuple[Person, bool, dict[str, Any]]], *, actor: str,
           moment: dt.datetime) -> None:
    new = [(person, plan) for person, is_new, plan in plans if is_new]
    if new:
        first = reserve_numbers(session, "psn_no", len(new))
        person_rows = []
        for offset, (person, plan) in enumerate(new):
            psn_no = f"{PSN_PREFIX}{first + offset:010d}"
            plan["psn_no"] = psn_no
            person_rows.append({column.key: getattr(person, column.key) for column in Person.__table__.columns}
                               | {"psn_no": psn_no})
        session.execute(insert(Person), person_rows)
    insert_enrollments(session, [plan | {"created_by": actor, "created_at": moment} for _, _, plan in plans])
