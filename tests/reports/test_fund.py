"""Fund income, payments and balance by month (reports/fund.py, issue 16 item 3) on both databases: contributions
paid, refunded and subsidised through the services land in the month of their date (a fully subsidised person in
the month of registration, a cancelled one taken back in the month of cancelling), the funds' payments are the
ledger's postings of the settlements (a cancelled stay nets to nothing), and each year opens with the last one's
balance; the page with its chart's data, the Excel file cell by cell, the command."""

from __future__ import annotations

import io
import json
import re
from decimal import Decimal
from pathlib import Path

from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy.orm import Session

from tests.cli.test_commands import run
from tests.reports.test_insured import enrolled
from tests.reports.test_triple import stays
from tests.web.test_pages import staff_cookie, text
from yibao.enrollment.service import cancel_enrollment
from yibao.glossary import FUNDS
from yibao.kit.clock import now
from yibao.kit.money import fmt_yuan
from yibao.policy.editions import Editions
from yibao.reports.fund import HEADER, fund_report
from yibao.settlement.models import SettlementRecord

ADULT, SUBSIDY, FULL = Decimal("750.00"), Decimal("2090.00"), Decimal("2840.00")


def world(session: Session, editions: Editions) -> list[SettlementRecord]:
    rows = stays(session, editions)  # their persons paid on 2021-10-11; the ledger posts the stays today
    enrolled(session, editions, year=2023, registered="2022-10-15", paid="2022-11-01")
    enrolled(session, editions, year=2023, registered="2022-10-20", subsidy=True)  # 全额资助: 2840 in October
    enrolled(session, editions, year=2023, registered="2022-10-20")  # unpaid: nothing
    gone = enrolled(session, editions, year=2023, registered="2022-10-15", paid="2022-10-16")
    cancel_enrollment(session, psn_no=gone.psn_no, enrollment_id=gone.id, reason="重复登记", on=now().date(),
                      actor="t")
    session.commit()
    return rows


def test_income_payments_and_the_balance_month_by_month(session: Session, editions: Editions) -> None:
    rows = world(session, editions)
    year = fund_report(session, year=2022)
    october, november = year.months[9], year.months[10]
    assert (october.personal, october.refunded, october.subsidy) == (ADULT, 0, SUBSIDY + FULL)
    assert (november.personal, november.subsidy, november.income) == (ADULT, SUBSIDY, ADULT + SUBSIDY)
    assert year.total("income") == 2 * ADULT + 2 * SUBSIDY + FULL and year.total("paid_total") == 0
    before = fund_report(session, year=2021)
    assert before.opening == 0 and before.total("income") > 0 and before.months[9].personal > 0
    assert year.opening == before.closing == before.total("income")
    assert year.closing == year.opening + year.total("income")

    today = now().date()
    this = fund_report(session, year=today.year)
    month = this.months[today.month - 1]
    assert (month.refunded, month.subsidy) == (ADULT, -SUBSIDY)  # the cancelled enrollment's refund and subsidy
    assert month.paid == tuple(sum((getattr(r, f.amount_field) for r in rows), Decimal(0)) for f in FUNDS)
    assert month.paid[0] > 0 and month.paid[1] > 0 and month.paid[2] > 0
    assert this.opening == year.closing  # nothing between
    assert this.closing == this.opening + this.total("income") - this.paid_of(0)
    assert [m.balance for m in this.months[today.month:]] == [this.closing] * (12 - today.month)


def test_the_page_the_excel_file_and_the_command(client: TestClient, session: Session, editions: Editions,
                                                 tmp_path: Path) -> None:
    world(session, editions)
    report = fund_report(session, year=2022)
    staff_cookie(client, session, "readonly")
    shown = client.get("/console/reports/fund", params={"year": "2022"})
    assert shown.status_code == 200
    assert f"全年收入 {fmt_yuan(report.total('income'))}" in text(shown.text)
    chart = json.loads(re.search(r'id="chart-data">(.*?)</script>', shown.text, re.S).group(1))  # type: ignore[union-attr]
    assert chart["income"] == [str(m.income) for m in report.months] and chart["balance"][-1] == str(report.closing)
    bad = client.get("/console/reports/fund", params={"year": "20x2"})
    assert bad.status_code == 400 and "年度应为四位年份" in bad.text

    sheet = client.get("/console/reports/fund.xlsx", params={"year": "2022"})
    book = load_workbook(io.BytesIO(sheet.content), read_only=True).active
    assert book is not None
    table = list(book.iter_rows(values_only=True))  # type: ignore[union-attr]
    assert table[0] == HEADER and table[1][0] == "上年结转" and table[1][-1] == float(report.opening)
    october = report.months[9]
    assert table[11] == ("2022年10月", float(october.personal), 0, float(october.subsidy), float(october.income),
                         0, 0, 0, 0, float(october.balance))
    assert table[-1][0] == "全年合计" and table[-1][4] == float(report.total("income"))

    printed = client.get("/console/reports/fund.pdf", params={"year": "2022"})
    assert printed.status_code == 200 and printed.content.startswith(b"%PDF") and b"FontFile2" in printed.content
    assert client.get("/console/reports/fund.docx", params={"year": "2022"}).status_code == 404
    quiet = run(tmp_path, "report", "fund", "--year", "2022")
    assert quiet.returncode == 0 and "2022 年：统筹基金上年结转 0.00 元" in quiet.stdout
    assert quiet.stdout.count("结余") == 13
    wrong = run(tmp_path, "report", "fund", "--year", "1999")
    assert wrong.returncode == 2
