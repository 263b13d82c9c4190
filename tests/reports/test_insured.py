"""Insured persons and contributions (reports/insured.py, issue 16 item 3) on both databases: enrollments and
payments made through the services, read as of a day — a registration after the day and a payment after the day
do not count yet, a cancelled enrollment counts until it was cancelled, a fully subsidised person is collected
from registration — by category, town and channel, beside the year before as of the same day; the page with its
chart's data, the Excel file cell by cell, the command."""

from __future__ import annotations

import datetime as dt
import io
import json
import re
from decimal import Decimal
from pathlib import Path

from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.cli.test_commands import run
from tests.registry.helpers import certno
from tests.web.test_pages import staff_cookie, text
from yibao.contributions.models import Bill
from yibao.contributions.service import PaymentRequest
from yibao.enrollment.models import Enrollment
from yibao.enrollment.payments import pay_contribution
from yibao.enrollment.service import EnrollmentRequest, cancel_enrollment, enroll_person
from yibao.people.service import add_certificate, register_person
from yibao.policy.editions import Editions
from yibao.reports.insured import CHANNEL_HEADER, HEADER, insured_report, year_before

d = dt.date.fromisoformat
AS_OF = d("2022-12-01")  # the 2023 collection, beside the 2022 one as of 2021-12-01


def enrolled(session: Session, editions: Editions, *, year: int, registered: str, birth: str = "1980-05-17",
             town: str = "yuelin", paid: str | None = None, channel: str = "wechat", subsidy: bool = False,
             ) -> Enrollment:
    person = register_person(session, certno=certno(birth), name="邬测", local=True, town=town,
                             employee_insured=False)
    if subsidy:
        add_certificate(session, psn_no=person.psn_no, kind="minimum_living", cert_no=f"DB-{person.psn_no}",
                        valid_from=d("2020-01-01"), valid_to=None)
    enrollment = enroll_person(session, editions, EnrollmentRequest(person.psn_no, year, d(registered), "zlb_app"),
                               actor="t")
    if paid is not None:
        bill = session.scalars(select(Bill).where(Bill.enrollment_id == enrollment.id)).one()
        pay_contribution(session, PaymentRequest(bill.bill_no, channel, str(enrollment.personal_amount), d(paid),
                                                 f"R-{bill.bill_no}"), actor="t")
    return enrollment


def world(session: Session, editions: Editions) -> None:
    # 2023 as of 2022-12-01
    enrolled(session, editions, year=2023, registered="2022-10-15", paid="2022-11-01")  # adult, paid, 岳林
    enrolled(session, editions, year=2023, registered="2022-10-15", paid="2022-11-20", channel="alipay",
             town="xikou")
    enrolled(session, editions, year=2023, registered="2022-10-20", subsidy=True, town="xikou")  # 全额资助
    enrolled(session, editions, year=2023, registered="2022-10-20", birth="2010-03-01")  # minor, unpaid
    enrolled(session, editions, year=2023, registered="2022-11-01", paid="2022-12-05")  # paid after the day
    enrolled(session, editions, year=2023, registered="2022-12-02", paid="2022-12-02")  # registered after
    gone = enrolled(session, editions, year=2023, registered="2022-10-15")  # cancelled after the day: counts
    cancel_enrollment(session, psn_no=gone.psn_no, enrollment_id=gone.id, reason="重复登记", on=d("2022-12-10"),
                      actor="t")
    gone.cancelled_at = dt.datetime(2022, 12, 10, 9, 30)  # as if cancelled then (the service stamps now)
    session.flush()
    # 2022 as of 2021-12-01
    enrolled(session, editions, year=2022, registered="2021-10-15", paid="2021-11-01")
    enrolled(session, editions, year=2022, registered="2021-10-15", paid="2021-11-02", town="xikou")
    enrolled(session, editions, year=2022, registered="2021-10-15", paid="2022-01-10")  # after the day
    session.commit()


def test_the_figures_as_of_the_day_and_a_year_before(session: Session, editions: Editions) -> None:
    world(session, editions)
    report = insured_report(session, editions, year=2023, as_of=AS_OF)
    t = report.total
    assert report.last_as_of == d("2021-12-01") and year_before(d("2024-02-29")) == d("2023-02-28")
    # registered by the day: six (one after it); the one cancelled on 12-10 still counts
    assert (t.registered, t.paid, t.subsidised, t.unpaid) == (6, 2, 1, 3)
    assert t.rate == Decimal("50.00")
    assert t.personal == Decimal("1500.00")
    assert t.government == Decimal("2090.00") * 2 + Decimal("2840.00")
    assert (t.last_registered, t.last_collected) == (3, 2) and t.change == Decimal("50.00")
    by_category = {r.key: r for r in report.by_category}
    assert set(by_category) == {"adult", "minor"} and by_category["minor"].unpaid == 1
    assert by_category["adult"].label == "成年居民"
    by_town = {r.label: r for r in report.by_town}
    assert (by_town["溪口镇"].paid, by_town["溪口镇"].subsidised, by_town["溪口镇"].last_collected) == (1, 1, 1)
    assert sum(r.registered for r in report.by_town) == t.registered
    channels = {c.key: (c.payments, c.amount, c.last_payments) for c in report.by_channel}
    assert channels == {"wechat": (1, Decimal("750.00"), 2), "alipay": (1, Decimal("750.00"), 0)}
    later = insured_report(session, editions, year=2023, as_of=d("2022-12-31"))
    assert (later.total.registered, later.total.paid) == (6, 4)  # one more registered, the cancelled one gone
    none = insured_report(session, editions, year=2030, as_of=AS_OF)
    assert none.total.registered == 0 and none.total.rate is None and none.by_channel == []


def test_the_page_the_excel_file_and_the_command(client: TestClient, session: Session, editions: Editions,
                                                 tmp_path: Path) -> None:
    world(session, editions)
    report = insured_report(session, editions, year=2023, as_of=AS_OF)
    staff_cookie(client, session, "readonly")
    shown = client.get("/console/reports/insured", params={"year": "2023", "as_of": "2022-12-01"})
    assert shown.status_code == 200
    assert "登记 6 人，已缴费 2 人，全额资助 1 人，未缴费 3 人，缴费进度 50.00%" in text(shown.text)
    chart = json.loads(re.search(r'id="chart-data">(.*?)</script>', shown.text, re.S).group(1))  # type: ignore[union-attr]
    assert chart["names"] == [r.label for r in report.by_town] and sum(chart["unpaid"]) == 3
    bad = client.get("/console/reports/insured", params={"year": "23", "as_of": "2022-13-01"})
    assert bad.status_code == 400 and "参保年度应为四位年份" in bad.text and "统计截止日格式应为" in bad.text
    early = client.get("/console/reports/insured", params={"year": "2001"})
    assert early.status_code == 400 and "参保年度应在 2018 至" in early.text

    sheet = client.get("/console/reports/insured.xlsx", params={"year": "2023", "as_of": "2022-12-01"})
    workbook = load_workbook(io.BytesIO(sheet.content), read_only=True)
    assert workbook.sheetnames == ["参保与缴费", "缴费渠道"]
    table = list(workbook["参保与缴费"].iter_rows(values_only=True))
    assert table[0] == HEADER
    first = report.by_category[0]
    assert table[1] == ("按参保类别", first.label, first.registered, first.paid, first.subsidised, first.unpaid,
                        float(first.rate or 0), float(first.personal), float(first.government), first.last_registered,
                        first.last_collected, float(first.change) if first.change is not None else "—")
    total = next(row for row in table if row and row[0] == "合计")
    assert total[2:6] == (6, 2, 1, 3)
    channels = list(workbook["缴费渠道"].iter_rows(values_only=True))
    assert channels[0] == CHANNEL_HEADER
    assert {row[0]: row[1:3] for row in channels[1:]} == {"微信（宁波税务·社保缴费）": (1, 750),
                                                         "支付宝（宁波社保缴费）": (1, 750)}

    printed = client.get("/console/reports/insured.pdf", params={"year": "2023", "as_of": "2022-12-01"})
    assert printed.status_code == 200 and printed.content.startswith(b"%PDF") and b"FontFile2" in printed.content
    assert client.get("/console/reports/insured.docx", params={"year": "2023"}).status_code == 404
    quiet = run(tmp_path, "report", "insured", "--year", "2023", "--as-of", "2022-12-01")
    assert quiet.returncode == 0 and "2023 年度截至 2022-12-01：登记 0 人" in quiet.stdout
    wrong = run(tmp_path, "report", "insured", "--year", "2023", "--as-of", "2022-12-32")
    assert wrong.returncode == 2 and "--as-of 应为 YYYY-MM-DD" in wrong.stderr
    written = run(tmp_path, "report", "insured", "--year", "2023", "--xlsx", str(tmp_path / "i.xlsx"))
    assert written.returncode == 0 and (tmp_path / "i.xlsx").exists()
