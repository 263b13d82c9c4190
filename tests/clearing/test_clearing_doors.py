"""Clearing over HTTP and the command line (issue 16 item 2): a clerk builds, an administrator approves and pays,
a refusal an administrator decides is deducted, the Excel statement is checked cell by cell; the read-only role
may look only."""

from __future__ import annotations

import io
import os
import subprocess
from pathlib import Path

from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy.orm import Session

from tests.clearing.test_clearing import settled_on
from tests.cli.test_calc import YIBAO
from tests.dbfixtures import sign_in
from tests.gateway.his import insured
from tests.settlement.test_services import COMMUNITY
from yibao.demo import ensure_demo_institutions
from yibao.policy.editions import Editions


def test_the_centre_clears_a_month_over_http(client: TestClient, session: Session, editions: Editions,
                                             clerk: dict[str, str]) -> None:
    ensure_demo_institutions(session)
    person = insured(session)
    setl_id = settled_on(session, editions, person.psn_no, "2026-10-10 09:00:00")
    session.commit()
    auditor, admin, readonly = (sign_in(client, session, role) for role in ("auditor", "admin", "readonly"))
    assert client.post("/api/clearing-deductions", headers=auditor, json={}).status_code == 403  # decides: admin
    refusal = client.post("/api/clearing-deductions", headers=admin, json={
        "fixmedins_code": COMMUNITY, "kind": "refusal", "fund": "390100", "amount": "6.00",
        "reason": "超量开药（稽查结论）", "setl_id": setl_id, "case_ref": "JC-1"})
    assert refusal.status_code == 201, refusal.text
    assert client.post("/api/clearings", headers=readonly, json={"month": "2026-10"}).status_code == 403
    built = client.post("/api/clearings", headers=clerk, json={"month": "2026-10"})
    assert built.status_code == 201, built.text
    [statement] = [row for row in built.json()["built"] if row["fixmedins_code"] == COMMUNITY]
    assert (statement["hifp_pay"], statement["deductions"], statement["payable"]) == ("48.00", "6.00", "42.00")
    again = client.post("/api/clearings", headers=clerk, json={"month": "2026-10", "fixmedins_code": COMMUNITY})
    assert again.status_code == 409 and again.json()["code"] == "clearing_exists"
    own = client.post(f"/api/clearings/{statement['id']}/approve", headers=clerk)
    assert own.status_code == 400 and own.json()["code"] == "own_clearing"
    assert client.post(f"/api/clearings/{statement['id']}/approve", headers=admin).json()["status"] == "approved"
    paid = client.post(f"/api/clearings/{statement['id']}/pay", headers=admin, json={"payment_ref": "BOC-1"})
    assert paid.json()["status"] == "paid", paid.text
    listed = client.get("/api/clearings", headers=readonly, params={"month": "2026-10"}).json()
    assert statement["id"] in {row["id"] for row in listed}
    sheet = client.get(f"/api/clearings/{statement['id']}/statement.xlsx", headers=readonly)
    book = load_workbook(io.BytesIO(sheet.content))
    summary = {row[0]: row[1] for row in book["清算汇总"].iter_rows(values_only=True) if row and row[0]}
    assert summary["状态"] == "已支付" and summary["结算笔数（含撤销）"] == 1
    assert summary["统筹基金（390100）"] == 48 and summary["稽查扣减（不予支付、追回）"] == -6
    assert summary["应付机构金额"] == 42
    lines = list(book["结算明细"].iter_rows(values_only=True))
    assert lines[1][0] == setl_id and lines[1][6] == 80  # 医疗费总额 of the one settlement


def run(data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "YIBAO_DATA_DIR": str(data_dir)}
    env.pop("YIBAO_DATABASE_URL", None)
    return subprocess.run([YIBAO, *args], capture_output=True, text=True, timeout=300, env=env, check=False)


def test_the_command_line_builds_approves_and_pays(tmp_path: Path) -> None:
    assert run(tmp_path, "demo", "--persons", "40").returncode == 0
    import datetime as dt
    import sqlite3

    with sqlite3.connect(tmp_path / "yibao.sqlite3") as database:  # the demo's settlements made last month
        database.execute("UPDATE settlements SET setl_time = '2026-10-15 10:00:00.000000'")
    not_closed = run(tmp_path, "clear", "build", "--month", f"{dt.date.today():%Y-%m}", "--by", "clerk")
    assert not_closed.returncode == 2 and "尚未结束" in not_closed.stderr
    built = run(tmp_path, "clear", "build", "--month", "2026-10", "--by", "clerk")
    assert built.returncode == 0 and "清算单" in built.stdout, built.stderr
    first = built.stdout.splitlines()[0].split("\t")[0]
    own = run(tmp_path, "clear", "approve", first, "--by", "clerk")
    assert own.returncode == 2 and "另一位工作人员审核" in own.stderr
    assert run(tmp_path, "clear", "approve", first, "--by", "admin").returncode == 0
    paid = run(tmp_path, "clear", "pay", first, "--by", "admin", "--ref", "BOC-9")
    assert paid.returncode == 0 and "已支付" in paid.stdout
    assert "已支付" in run(tmp_path, "clear", "list", "--month", "2026-10").stdout
    out = tmp_path / "s.xlsx"
    assert run(tmp_path, "clear", "statement", first, "--xlsx", str(out)).returncode == 0
    assert load_workbook(out)["清算汇总"]["A1"].value.startswith("奉化区城乡居民医保定点医药机构清算单")
