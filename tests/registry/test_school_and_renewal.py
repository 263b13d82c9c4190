"""School batch import (CSV and Excel) and annual renewal (issue 3 §5)."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.dbfixtures import EDITIONS
from tests.registry.helpers import certno, person
from tests.registry.test_enrollment import bill_of, enroll
from yibao.contributions.service import PaymentRequest
from yibao.enrollment.models import Enrollment
from yibao.enrollment.payments import pay_contribution
from yibao.enrollment.school import import_school_batch, read_school_file
from yibao.enrollment.service import renew_year
from yibao.errors import InvalidInput
from yibao.people.models import Person
from yibao.people.service import add_certificate

d = dt.date.fromisoformat
HEADER = "身份证号,姓名,学校,班级,联系电话,户籍镇街\n"


def counts(session: Session) -> tuple[int, int]:
    return (session.scalar(select(func.count()).select_from(Person)) or 0,
            session.scalar(select(func.count()).select_from(Enrollment)) or 0)


def school_csv(session: Session) -> bytes:
    employee = person(session, "2009-09-09", employee=True, name="职工子")
    known = person(session, "2010-10-10", name="王小二")
    lines = [
        f"{certno('2011-01-01')},邬一,锦屏中学,初一(1),13800000001,锦屏街道",
        "330283201101010000,邬二,锦屏中学,初一(1),,锦屏街道",  # bad check digit → line 3
        f"{certno('2012-02-02', region='510321')},外来生,锦屏中学,初一(2),,",
        ",邬四,锦屏中学,初一(2),,",  # empty ID → line 5
        f"{employee.certno},职工子,锦屏中学,初二(1),,",  # employee-insured → line 6
        f"{known.certno},王大二,锦屏中学,初二(1),,",  # name differs → line 7
        f"{known.certno},王小二,锦屏中学,初二(1),,",  # the same ID as line 7 → line 8
        f"{certno('2013-03-03')},邬八,,初二(2),,",  # no school → line 9
        f"{certno('2011-05-05')},邬九,锦屏中学,初二(2),,火星镇",  # unknown town → line 10
        f"{certno('1963-06-06')},邬家长,锦屏中学,初二(2),,",  # a 58-year-old (a parent's ID number) → line 11
    ]
    return (HEADER + "\n".join(lines) + "\n").encode("utf-8")


def test_every_bad_row_is_reported_with_its_line_number(session: Session) -> None:
    rows = read_school_file("class.csv", school_csv(session))
    before = counts(session)
    report = import_school_batch(session, EDITIONS, rows, year=2022, registration_date=d("2021-09-10"),
                                 mode="all_or_nothing", actor="t")
    lines = [error["line"] for error in report.errors]
    assert lines == [3, 5, 6, 7, 8, 9, 10, 11]
    assert "重复" in report.errors[4]["message"] and "不一致" in report.errors[3]["message"]
    # issue 20: a parent's ID number was enrolled at the student rate without a word; the report names the
    # pupil and quotes as people write
    assert "58 周岁" in report.errors[7]["message"] and "家长" in report.errors[7]["message"]
    assert report.errors[7]["name"] == "邬家长，初二(2)"
    assert "“火星镇”" in report.errors[6]["message"] and "'" not in report.errors[6]["message"]
    assert report.total == 10 and report.valid == 2 and report.imported == 0
    assert counts(session) == before  # all or nothing: nothing written


def test_valid_only_imports_the_good_rows(session: Session) -> None:
    rows = read_school_file("class.csv", school_csv(session))
    persons_before, enrollments_before = counts(session)
    report = import_school_batch(session, EDITIONS, rows, year=2022, registration_date=d("2021-09-10"),
                                 mode="valid_only", actor="t")
    assert report.imported == 2
    assert counts(session) == (persons_before + 2, enrollments_before + 2)
    imported = session.scalars(select(Enrollment).where(Enrollment.channel == "school")).all()
    assert {(e.category, e.personal_amount) for e in imported} == {("student", Decimal("260.00"))}
    outsider = session.scalars(select(Person).where(Person.name == "外来生")).one()
    assert (outsider.local, outsider.town) == (False, None)


def test_excel_files_are_read_too(session: Session) -> None:
    book = Workbook()
    sheet = book.active
    sheet.append(["身份证号", "姓名", "学校", "班级"])
    sheet.append([certno("2014-04-04"), "邬表", "实验小学", "二(3)"])
    buffer = io.BytesIO()
    book.save(buffer)
    rows = read_school_file("名单.xlsx", buffer.getvalue())
    report = import_school_batch(session, EDITIONS, rows, year=2022, registration_date=d("2021-09-10"),
                                 mode="all_or_nothing", actor="t")
    assert (report.imported, report.errors) == (1, [])


@pytest.mark.parametrize(("name", "content", "message"), [
    ("a.csv", "姓名,学校\n张三,一中\n".encode(), "缺少列：身份证号"),
    ("a.csv", HEADER.encode(), "没有数据行"),
    ("a.txt", b"x", ".csv"),
    ("a.xlsx", b"not a zip", "Excel"),
    ("a.csv", b"\xff\xfe\x00\xd8", "编码"),
])
def test_malformed_files_are_refused(name: str, content: bytes, message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        read_school_file(name, content)


def test_gbk_csv_files_from_chinese_excel(session: Session) -> None:
    rows = read_school_file("a.csv", (HEADER + f"{certno('2015-01-01')},邬国,实验小学,,,\n").encode("gbk"))
    assert rows[0].values["name"] == "邬国"


def test_renewal_recomputes_category_and_subsidy(session: Session) -> None:
    """Renewing 2022 into 2023: a minor born 2003-06-01 becomes an adult; an expired certificate ends the
    subsidy; the employee-insured and the unpaid are not renewed."""
    grown = person(session, "2003-06-01", name="长大")
    subsidised = person(session, "1960-01-01", name="低保")
    add_certificate(session, psn_no=subsidised.psn_no, kind="minimum_living", cert_no="D", valid_from=d("2020-01-01"),
                    valid_to=d("2022-06-30"))
    unpaid = person(session, "1970-01-01", name="未缴")
    gone = person(session, "1975-01-01", name="转职工")
    for p in (grown, gone):
        e = enroll(session, p.psn_no)
        pay_contribution(session, PaymentRequest(bill_of(session, e).bill_no, "wechat", e.personal_amount,
                                         d("2021-11-01"), f"R{p.psn_no}"), actor="t")
    enroll(session, subsidised.psn_no, registered="2021-10-15")
    enroll(session, unpaid.psn_no)
    gone.employee_insured = True
    session.flush()
    result = renew_year(session, EDITIONS, year=2023, registration_date=d("2022-10-15"), actor="t")
    renewed = {e.psn_no: e for e in session.scalars(select(Enrollment).where(Enrollment.year == 2023))}
    assert set(renewed) == {grown.psn_no, subsidised.psn_no}
    assert (renewed[grown.psn_no].category, renewed[grown.psn_no].personal_amount) == ("adult", Decimal("750.00"))
    assert renewed[subsidised.psn_no].full_subsidy_class is None
    assert renewed[subsidised.psn_no].personal_amount == Decimal("750.00")
    assert result.renewed == 2 and sum(result.skipped.values()) == 1
    again = renew_year(session, EDITIONS, year=2023, registration_date=d("2022-10-16"), actor="t")
    assert again.renewed == 0
