"""The desk's day (issue 20: 今日结算与日结) on both databases: the day's settlements and cancellations at this
institution only, each with its reprint, the totals by fund netted and the cash the till should hold; the same
in the Excel download, cell by cell."""

from __future__ import annotations

import io
import re
from decimal import Decimal

from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.gateway.his import insured
from tests.web.test_pages import YEAR, text
from yibao.demo import DEMO_HIS_SECRET, ensure_demo_institutions
from yibao.settlement.listing import day_totals
from yibao.settlement.models import Settlement

CLINIC = "H33021300003"


def settle_at_the_desk(client: TestClient, certno: str, price: str) -> str:
    opened = client.post("/desk/visits", data={"cert_type": "02", "certno": certno, "med_type": "11"},
                         follow_redirects=False)
    visit = opened.headers["location"]
    client.post(f"{visit}/fees", data={"code": "XJ01CAA040A001010101445", "cnt": "2", "pric": price})
    settled = client.post(f"{visit}/settle", data={"medfee_sumamt": f"{Decimal(price) * 2:.2f}", "tendered": "100"})
    assert "找零" in text(settled.text)
    found = re.search(r'data-testid="setl-id">([^<]+)<', settled.text)
    assert found is not None, text(settled.text)
    return found.group(1)


def test_the_day_end_nets_a_cancellation_and_holds_the_cash(client: TestClient, session: Session) -> None:
    ensure_demo_institutions(session)
    first, second = insured(session, year=YEAR, name="邬日结"), insured(session, year=YEAR, name="邬撤销")
    session.commit()
    client.post("/desk/login", data={"fixmedins_code": CLINIC, "secret": DEMO_HIS_SECRET, "opter": "收费员甲"})
    opened = client.post("/desk/visits", data={"cert_type": "02", "certno": first.certno, "med_type": "11"},
                         follow_redirects=False)
    visit = opened.headers["location"]
    client.post(f"{visit}/fees", data={"code": "XJ01CAA040A001010101445", "cnt": "2", "pric": "40"})
    short = client.post(f"{visit}/settle", data={"medfee_sumamt": "80.00", "tendered": "1.00"})
    assert short.status_code == 400 and "实收现金 1.00 元少于应收 32.00 元" in text(short.text)
    assert session.scalar(select(func.count()).select_from(Settlement)) == 0  # refused whole: nothing settled
    settled = client.post(f"{visit}/settle", data={"medfee_sumamt": "80.00", "tendered": "100"})
    assert "实收现金 100.00 元，应收 32.00 元， 找零 68.00 元" in text(settled.text)
    kept = re.search(r'data-testid="setl-id">([^<]+)<', settled.text).group(1)  # type: ignore[union-attr]
    gone = settle_at_the_desk(client, second.certno, "25")
    assert client.post(f"/desk/settlements/{gone}/cancel", data={"reason": "患者退药"},
                       follow_redirects=False).status_code == 303
    today = session.get(Settlement, (first.psn_no, kept))
    assert today is not None
    totals = day_totals(session, fixmedins_code=CLINIC, day=today.setl_time.date())
    assert (totals.settlements, totals.cancellations) == (2, 1)
    assert totals.sums["medfee_sumamt"] == Decimal("80.00") and totals.cash == today.psn_cash_pay
    shown = client.get("/desk/day", params={"day": today.setl_time.date().isoformat()})
    words = text(shown.text)
    assert shown.status_code == 200 and "结算 / 撤销 2 / 1" in words
    assert f'data-testid="day-cash">{totals.cash:.2f}<' in shown.text
    assert words.count("重打") == 3 and "已撤销" in words and "邬日结" in words
    assert client.get("/desk/day", params={"day": "2026-02-30"}).status_code == 400

    book = load_workbook(io.BytesIO(client.get("/desk/day.xlsx",
                                               params={"day": today.setl_time.date().isoformat()}).content))
    table = list(book["日结"].iter_rows(values_only=True))
    assert table[0][:3] == ("结算编号", "结算时间", "姓名") and len(table) == 1 + 3 + 1
    assert table[-1][0] == "合计" and table[-1][5] == 80 and table[-1][10] == float(totals.cash)
    assert {row[0] for row in table[1:-1]} >= {kept, gone}
