"""The collection page over the real app (both databases): a withholding request made, its file downloaded, the
bank's result imported with a bad line listed by number."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re

from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy.orm import Session

from tests.registry.helpers import person
from tests.registry.test_enrollment import bill_of, enroll
from tests.web.test_pages import staff_cookie, text
from yibao.contributions.service import sign_agreement


def test_a_clerk_runs_a_withholding_month_on_the_page(client: TestClient, session: Session) -> None:
    someone = person(session, "1972-03-03")
    bill = bill_of(session, enroll(session, someone.psn_no)).bill_no
    sign_agreement(session, psn_no=someone.psn_no, bank="icbc", card_no="6222020000000099",
                   signed_on=dt.date(2021, 9, 1))
    session.commit()
    staff_cookie(client, session, "readonly")
    assert client.get("/console/collection").status_code == 403
    staff_cookie(client, session, "clerk")
    bad = client.post("/console/collection/withholding-runs", data={"bank": "icbc", "month": "11/2021"})
    assert bad.status_code == 400 and "月份应为 YYYY-MM" in text(bad.text)
    made = client.post("/console/collection/withholding-runs", data={"bank": "icbc", "month": "2021-11"})
    assert "工商银行 · 2021-11" in text(made.text) and "1 人 / 750.00 元" in text(made.text)
    run_id = re.search(r'class="mono">(\w+)<', made.text).group(1)  # type: ignore[union-attr]
    rows = list(csv.reader(io.StringIO(client.get(f"/console/collection/withholding-runs/{run_id}/request.csv")
                                       .content.decode("utf-8-sig"))))
    assert rows[1][2] == bill and rows[1][5] == "6222020000000099"
    result = ("批次号,序号,缴费单号,扣款结果,扣款金额,银行流水号,扣款日期\n"
              f"{run_id},1,{bill},成功,750.00,ICBC-1,2021-11-08\n{run_id},2,{bill},成功,750.00,ICBC-2,2021-11-08\n")
    report = client.post("/console/collection/files", data={"kind": "withholding_result", "file_id": "ICBC-R1"},
                         files={"file": ("r.csv", result.encode("gbk"), "text/csv")})
    shown = text(report.text)
    assert "缴费成功 1 笔，合计 750.00 元；错误 1 行" in shown and "没有序号 2" in shown
    assert 'data-testid="file-errors-export"' in report.text

    listed = client.get("/console/collection")
    assert "ICBC-R1" in listed.text and "银行扣款结果" in text(listed.text)
    one = client.get("/console/collection/files/ICBC-R1")
    assert one.status_code == 200 and "2 行；缴费成功 1 笔，合计 750.00 元；错误 1 行" in text(one.text)
    assert "没有序号 2" in text(one.text)
    book = load_workbook(io.BytesIO(client.get("/console/collection/files/ICBC-R1/errors.xlsx").content))
    table = list(book["错误行"].iter_rows(values_only=True))
    assert table[0] == ("行号", "原因") and len(table) == 2 and table[1][0] == 3 and "没有序号 2" in str(table[1][1])
    missing = client.get("/console/collection/files/NONE/errors.xlsx")
    assert missing.status_code == 404 and "没有编号为 NONE 的已导入文件" in text(missing.text)
    assert "文件所列已收款 2 笔 1500.00 元；已入账 1 笔 750.00 元；差额 750.00 元" in text(one.text)
    assert "对账差异" in load_workbook(io.BytesIO(client.get("/console/collection/files/ICBC-R1/errors.xlsx")
                                              .content)).sheetnames

    day = client.get("/console/collection/reconcile", params={"day": "2021-11-08"})
    assert day.status_code == 200 and "银行卡代扣 工商银行 1 750.00" in text(day.text)
    statement = "渠道,银行,笔数,金额\n银行卡代扣,工商银行,1,750.00\n微信,,2,1500.00\n"
    checked = client.post("/console/collection/reconcile", data={"day": "2021-11-08"},
                          files={"file": ("s.csv", statement.encode("gbk"), "text/csv")})
    shown = text(checked.text)
    assert checked.status_code == 200 and "1 750.00 相符" in shown and "不符：差 2 笔 1500.00 元" in shown
    broken = client.post("/console/collection/reconcile", data={"day": "2021-11-08"},
                         files={"file": ("s.csv", "渠道,银行,笔数,金额\n邮局,,x,1\n".encode(), "text/csv")})
    assert broken.status_code == 400
    assert "对账单有错误，未对账：第 2 行：渠道应为 微信、支付宝、银行柜面" in text(broken.text)
    assert client.get("/console/collection/reconcile", params={"day": "2021-13-01"}).status_code == 400
    staff_cookie(client, session, "readonly")
    assert client.get("/console/collection/files/ICBC-R1").status_code == 403


def test_a_file_is_checked_before_its_job_and_a_broken_one_fails_whole(client: TestClient, session: Session) -> None:
    staff_cookie(client, session, "clerk")
    csv_file = {"file": ("r.csv", b"x,y\n1,2\n", "text/csv")}
    no_id = client.post("/console/collection/files", data={"kind": "tax_daily", "file_id": " "}, files=csv_file)
    assert no_id.status_code == 400 and "请填写文件编号" in text(no_id.text)
    no_kind = client.post("/console/collection/files", data={"kind": "x", "file_id": "T1"}, files=csv_file)
    assert no_kind.status_code == 400 and "请选择文件类型" in text(no_kind.text)
    broken = client.post("/console/collection/files", data={"kind": "tax_daily", "file_id": "T1"}, files=csv_file,
                         follow_redirects=False)
    assert broken.status_code == 303 and broken.headers["location"].startswith("/console/collection/imports/")
    shown = client.get(broken.headers["location"])
    assert "导入失败，未导入任何数据" in text(shown.text) and 'role="alert"' in shown.text
    assert client.get("/console/collection/files/T1").status_code == 404  # nothing recorded
    assert client.get("/console/collection/imports/nope").status_code == 400
