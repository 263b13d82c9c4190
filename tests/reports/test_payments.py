"""What the funds paid, by institution (ranked), level and benefit (reports/payments.py, issue 16 item 3) on both
databases: the figures equal the sums of the settlements made through the service, a manual claim is its own row,
a cancelled stay counts nowhere; the page with its chart's data, the Excel file cell by cell, the command."""

from __future__ import annotations

import datetime as dt
import io
import json
import re
from decimal import Decimal
from pathlib import Path

from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy.orm import Session

from tests.cli.test_commands import run
from tests.gateway.his import insured
from tests.reports.test_triple import stays
from tests.web.test_pages import staff_cookie, text
from yibao.policy.chain import FeeLine, ItemClass
from yibao.policy.editions import Benefit, Editions, Level
from yibao.reports.payments import HEADER, MANUAL_LABEL, payments
from yibao.settlement.manual import manual_reimbursement
from yibao.settlement.models import SettlementRecord

YEAR = (dt.date(2022, 1, 1), dt.date(2022, 12, 31))


def world(session: Session, editions: Editions) -> list[SettlementRecord]:
    rows = list(stays(session, editions))
    claimant = insured(session)
    rows.append(manual_reimbursement(session, editions, psn_no=claimant.psn_no, benefit=Benefit.OUTPATIENT,
                                     service_date=dt.date(2022, 7, 1), level=Level.OTHER, region="zhejiang",
                                     lines=(FeeLine(Decimal("320"), ItemClass.A),), place="杭州市第一人民医院",
                                     actor="t"))
    session.commit()
    return rows


def test_the_ranking_and_groups_are_the_settlements_sums(session: Session, editions: Editions) -> None:
    rows = world(session, editions)
    report = payments(session, start=YEAR[0], end=YEAR[1])
    assert report.total.settlements == len(rows) == 4
    assert report.total.fund == sum((r.fund_pay_sumamt for r in rows), Decimal(0))
    by_place: dict[str, Decimal] = {}
    for r in rows:
        by_place[r.fixmedins_code or ""] = by_place.get(r.fixmedins_code or "", Decimal(0)) + r.fund_pay_sumamt
    assert [(p.key, p.fund) for p in report.by_institution] == sorted(by_place.items(), key=lambda kv: (-kv[1], kv[0]))
    manual = next(p for p in report.by_institution if p.key == "")
    assert manual.label == MANUAL_LABEL and manual.settlements == 1
    assert {p.label for p in report.by_benefit} == {"普通门诊", "住院"}
    assert sum(p.fund for p in report.by_level) == report.total.fund
    assert abs(sum((p.share or Decimal(0)) for p in report.by_institution) - 100) <= Decimal("0.05")
    none = payments(session, start=dt.date(2021, 1, 1), end=dt.date(2021, 12, 31))
    assert none.total.settlements == 0 and none.by_institution == [] and none.total.share is None


def test_the_page_the_excel_file_and_the_command(client: TestClient, session: Session, editions: Editions,
                                                 tmp_path: Path) -> None:
    world(session, editions)
    report = payments(session, start=YEAR[0], end=YEAR[1])
    staff_cookie(client, session, "readonly")
    shown = client.get("/console/reports/payments", params={"start": "2022-01-01", "end": "2022-12-31"})
    assert shown.status_code == 200 and "按机构（排名）" in shown.text and MANUAL_LABEL in shown.text
    chart = json.loads(re.search(r'id="chart-data">(.*?)</script>', shown.text, re.S).group(1))  # type: ignore[union-attr]
    top = report.by_institution[0]
    assert chart["names"][0] == top.label and chart["values"][0] == str(top.fund)
    assert "共 4 笔" in text(shown.text)
    sheet = client.get("/console/reports/payments.xlsx", params={"start": "2022-01-01", "end": "2022-12-31"})
    book = load_workbook(io.BytesIO(sheet.content), read_only=True).active
    assert book is not None
    table = list(book.iter_rows(values_only=True))  # type: ignore[union-attr]
    first = report.by_institution[0]
    assert table[0] == HEADER and table[1][:5] == ("按机构", first.label, first.settlements, float(first.medfee),
                                                   float(first.fund))
    assert table[-1][:3] == ("合计", "合计", 4)

    printed = client.get("/console/reports/payments.pdf", params={"start": "2022-01-01", "end": "2022-12-31"})
    assert printed.status_code == 200 and printed.content.startswith(b"%PDF")
    quiet = run(tmp_path, "report", "payments", "--from", "2022-01-01", "--to", "2022-12-31")
    assert quiet.returncode == 0 and "结算 0 笔" in quiet.stdout
    wrong = run(tmp_path, "report", "payments", "--from", "2022-02-30", "--to", "2022-12-31")
    assert wrong.returncode == 2 and "--from 应为 YYYY-MM-DD" in wrong.stderr
