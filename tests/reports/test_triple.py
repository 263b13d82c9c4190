"""S22's "三重保障" figures (reports/triple.py, issue 16 item 3) on both databases, from settlements made through the
settlement service: an outpatient visit, a costly stay the serious-illness insurance pays into, a costlier stay
of a minimum-living recipient the medical assistance's high-cost relief pays into too (the ordinary rates are 0
until set), and one cancelled stay that counts nowhere; the page
(with its chart's data), the Excel download and `yibao report triple`."""

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

from tests.audit.helpers import audit_world, line, settled
from tests.cli.test_commands import run
from tests.gateway.his import insured
from tests.settlement.test_services import PEOPLES
from tests.web.test_pages import staff_cookie, text
from yibao.kit.money import round_money
from yibao.people.service import add_certificate
from yibao.policy.editions import Editions
from yibao.reports.triple import HEADER, triple_protection
from yibao.settlement.models import SettlementRecord
from yibao.settlement.settle import cancel_settlement

LENS = "C03010000001"  # 进口人工晶体, 乙类, ceiling 6000


def stays(session: Session, editions: Editions) -> list[SettlementRecord]:
    audit_world(session)
    plain, costly, poor, undone = (insured(session) for _ in range(4))
    add_certificate(session, psn_no=poor.psn_no, kind="minimum_living", cert_no="DB-1", valid_from=dt.date(2022, 1, 1),
                    valid_to=None)
    rows = [
        settled(session, editions, plain.psn_no, day="2022-03-01", lines=[line("F1", day="2022-03-01")]),
        settled(session, editions, costly.psn_no, code=PEOPLES, day="2022-04-01", until="2022-04-20",
                lines=[line("F1", LENS, day="2022-04-01", count="25", price="6000")]),
        settled(session, editions, poor.psn_no, code=PEOPLES, day="2022-05-01", until="2022-05-06",
                lines=[line("F1", LENS, day="2022-05-01", count="80", price="6000")]),  # high-cost relief
    ]
    gone = settled(session, editions, undone.psn_no, code=PEOPLES, day="2022-05-10", until="2022-05-12",
                   lines=[line("F1", LENS, day="2022-05-10", count="1", price="6000")])
    cancel_settlement(session, gone.setl_id, institution=None, msgid=None, actor="t")
    session.commit()
    return rows


def test_the_figures_are_the_standing_settlements_sums(session: Session, editions: Editions) -> None:
    rows = stays(session, editions)
    report = triple_protection(session, start=dt.date(2022, 1, 1), end=dt.date(2022, 12, 31))
    value = {f.key: f.value for f in report.figures}
    assert report.settlements == 3
    assert value["medfee"] == sum((r.medfee_sumamt for r in rows), Decimal(0))
    assert value["hifp"] == sum((r.hifp_pay for r in rows), Decimal(0))
    inpatient = [r for r in rows if r.benefit == "inpatient"]
    assert value["inpatient_ratio"] == round_money(sum((r.hifp_pay for r in inpatient), Decimal(0)) * 100
                                                   / sum((r.inscp_scp_amt for r in inpatient), Decimal(0)))
    serious = [r for r in rows if r.hifmi_pay > 0]
    assisted = [r for r in rows if r.maf_pay > 0]
    assert len(serious) >= 1 and len(assisted) >= 1, [(r.hifmi_pay, r.maf_pay) for r in rows]
    assert (value["serious_cases"], value["serious_amount"]) == (len(serious), sum(r.hifmi_pay for r in serious))
    assert value["serious_ratio"] == round_money(sum((r.hifp_pay + r.hifmi_pay for r in serious), Decimal(0)) * 100
                                                 / sum((r.inscp_scp_amt for r in serious), Decimal(0)))
    assert (value["assistance_cases"], value["assistance_amount"]) == (len(assisted), sum(r.maf_pay for r in assisted))
    march = triple_protection(session, start=dt.date(2022, 3, 1), end=dt.date(2022, 3, 31))
    assert march.settlements == 1 and march.figure("inpatient_ratio").value is None  # no stay: nothing to divide
    assert march.figure("serious_ratio").value is None and march.figure("serious_cases").value == 0


def test_the_page_the_excel_file_and_the_command(client: TestClient, session: Session, editions: Editions,
                                                 tmp_path: Path) -> None:
    stays(session, editions)
    staff_cookie(client, session, "readonly")
    shown = client.get("/console/reports/triple", params={"start": "2022-01-01", "end": "2022-12-31"})
    assert shown.status_code == 200 and "政策内住院报销比例" in shown.text and "77.89%" in text(shown.text)
    assert "结算 3 笔" in text(shown.text) and "15,591 人次" in text(shown.text)
    chart = json.loads(re.search(r'id="chart-data">(.*?)</script>', shown.text, re.S).group(1))  # type: ignore[union-attr]
    assert chart["s22"] == ["77.89", "67.17"] and all(value is not None for value in chart["ours"])
    bad = client.get("/console/reports/triple", params={"start": "2022-13-01"})
    assert bad.status_code == 400 and "日期格式" in bad.text
    backwards = client.get("/console/reports/triple", params={"start": "2022-12-31", "end": "2022-01-01"})
    assert backwards.status_code == 400 and "早于起始日期" in backwards.text
    sheet = client.get("/console/reports/triple.xlsx", params={"start": "2022-01-01", "end": "2022-12-31"})
    book = load_workbook(io.BytesIO(sheet.content), read_only=True).active
    assert book is not None
    table = list(book.iter_rows(values_only=True))  # type: ignore[union-attr]
    assert table[0] == HEADER
    assert [row[0] for row in table[1:4]] == ["医疗总费用", "基本医保统筹基金支付", "政策内住院报销比例"]

    printed = client.get("/console/reports/triple.pdf", params={"start": "2022-01-01", "end": "2022-12-31"})
    assert printed.status_code == 200 and printed.content.startswith(b"%PDF")
    refused = run(tmp_path, "report", "triple", "--from", "2022-12-31", "--to", "2022-01-01")
    assert refused.returncode == 2 and "晚于" in refused.stderr
    empty = run(tmp_path, "report", "triple", "--from", "2022-01-01", "--to", "2022-12-31")
    assert empty.returncode == 0 and "结算 0 笔" in empty.stdout and "政策内住院报销比例：—（77.89 %）" in empty.stdout
    target = tmp_path / "triple.xlsx"
    assert run(tmp_path, "report", "triple", "--from", "2022-01-01", "--to", "2022-12-31", "--xlsx",
               str(target)).returncode == 0 and target.read_bytes().startswith(b"PK")
