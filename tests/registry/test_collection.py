"""Collection runs (enrollment/collection.py; issue 16 item 1) on both databases: a bank's monthly withholding
request, its result file with every outcome and bad lines named, the retry next month, a closed account excluded
with its reason; the tax bureau's daily file; each file once by its id, valid-only or all-or-nothing."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.registry.helpers import person
from tests.registry.test_enrollment import bill_of, enroll
from yibao.contributions.models import BankAgreement, Bill, Payment
from yibao.contributions.service import sign_agreement
from yibao.enrollment.collection import import_tax_file, import_withholding_result, withholding_request
from yibao.enrollment.models import Enrollment
from yibao.errors import Conflict, InvalidInput

RESULT = "批次号,序号,缴费单号,扣款结果,扣款金额,银行流水号,扣款日期\n"
TAX = "缴费单号,身份证号,姓名,缴费渠道,银行,缴费金额,缴费日期,税务流水号\n"


def payments(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(Payment)) or 0


def status(session: Session, bill_no: str) -> str:
    return session.scalars(select(Bill.status).where(Bill.bill_no == bill_no)).one()


@pytest.fixture
def three(session: Session) -> list[tuple[str, str]]:
    """Three people with an unpaid 750.00 bill and a BOC agreement; a fourth with an ICBC one."""
    found = []
    for n, bank in enumerate(("boc", "boc", "boc", "icbc")):
        someone = person(session, f"197{n}-03-03")
        bill = bill_of(session, enroll(session, someone.psn_no)).bill_no
        sign_agreement(session, psn_no=someone.psn_no, bank=bank, card_no=f"62220200000000{n:02d}",
                       signed_on=dt.date(2021, 9, 1))
        found.append((someone.psn_no, bill))
    return found


def request_rows(content: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))


def test_a_months_request_a_result_with_every_outcome_and_the_retry(session: Session,
                                                                    three: list[tuple[str, str]]) -> None:
    made = withholding_request(session, bank="boc", month="2021-11", actor="t")
    rows = request_rows(made.content)
    assert rows[0] == ["批次号", "序号", "缴费单号", "身份证号", "姓名", "银行卡号", "扣款金额", "扣款日期"]
    assert [r[2] for r in rows[1:]] == [bill for _, bill in three[:3]]  # the ICBC agreement is not BOC's
    assert {r[7] for r in rows[1:]} == {"2021-11-08"} and rows[1][5] == "6222020000000000"
    with pytest.raises(Conflict):
        withholding_request(session, bank="boc", month="2021-11", actor="t")
    run = made.run.id
    (_, a), (_, b), (c_psn, c) = three[:3]
    text = RESULT + "".join([
        f"{run},1,{a},成功,750.00,BOC001,2021-11-08\n",
        f"{run},2,{b},余额不足,0,,2021-11-08\n",
        f"{run},3,{c},账户已销户,0,,2021-11-08\n",
        f"{run},9,{a},成功,750.00,BOC009,2021-11-08\n",  # no such request line
        f"{run},1,{a},成功,750.00,BOC010,2021-11-08\n",  # line 1 twice
    ])
    report = import_withholding_result(session, "result.csv", text.encode("gbk"), file_id="BOC-R-1", actor="t")
    assert (report.paid, report.amount, report.outcomes) == (1, Decimal("750.00"),
                                                             {"paid": 1, "insufficient": 1, "closed": 1})
    assert set(report.errors) == {5, 6} and "没有序号 9" in report.errors[5] and "重复" in report.errors[6]
    # the money side: the bank says three lines were deducted (1, 9 and the repeated 1); one was recorded
    assert (report.stated, report.stated_amount, report.difference) == (3, Decimal("2250.00"), Decimal("1500.00"))
    assert [(u.line, u.bill_no, u.amount) for u in report.unapplied] == [(5, a, Decimal("750.00")),
                                                                       (6, a, Decimal("750.00"))]
    assert status(session, a) == "paid" and status(session, b) == "unpaid"
    assert session.scalars(select(Enrollment.status).join(Bill, Bill.enrollment_id == Enrollment.id)
                           .where(Bill.bill_no == a)).one() == "active"
    closed = session.scalars(select(BankAgreement.status).where(BankAgreement.psn_no == c_psn)).one()
    assert closed == "closed"
    again = import_withholding_result(session, "result.csv", text.encode("gbk"), file_id="BOC-R-1", actor="t")
    assert again.already and payments(session) == 1
    assert (again.stated_amount, again.difference, again.unapplied) == (report.stated_amount, report.difference,
                                                                       report.unapplied)  # kept with the file
    following = withholding_request(session, bank="boc", month="2021-12", actor="t")
    assert [r[2] for r in request_rows(following.content)[1:]] == [b]  # insufficient funds: asked again
    assert "重新签订代扣协议" in following.excluded[c_psn]


def test_all_or_nothing_takes_no_line_of_a_file_with_a_bad_one(session: Session,
                                                              three: list[tuple[str, str]]) -> None:
    run = withholding_request(session, bank="boc", month="2021-11", actor="t").run.id
    (_, a), (_, b), _ = three[:3]
    text = RESULT + f"{run},1,{a},成功,750.00,BOC1,2021-11-08\n{run},2,{b},成功,749.00,BOC2,2021-11-08\n"
    report = import_withholding_result(session, "r.csv", text.encode(), file_id="R2", mode="all_or_nothing",
                                       actor="t")
    assert not report.written and "不符" in report.errors[3] and payments(session) == 0
    assert (report.stated, report.difference) == (2, Decimal("1499.00"))  # nothing written: all of it unapplied
    assert [u.why for u in report.unapplied] == ["整个文件未导入", report.errors[3]]
    assert status(session, a) == "unpaid"
    report = import_withholding_result(session, "r.csv", text.encode(), file_id="R2", actor="t")
    assert report.paid == 1 and set(report.errors) == {3}
    with pytest.raises(InvalidInput):
        import_withholding_result(session, "r.csv", text.encode(), file_id="R3", mode="maybe", actor="t")


def test_the_tax_bureaus_daily_file(session: Session, three: list[tuple[str, str]]) -> None:
    from yibao.people.models import Person

    people = {p.psn_no: p for p in session.scalars(select(Person))}
    (pa, a), (pb, b), (pc, c), (pd, d) = three
    text = TAX + "".join([
        f"{a},{people[pa].certno},{people[pa].name},微信,,750.00,2021-11-03,T1\n",
        f"{b},{people[pb].certno},{people[pb].name},银行柜面,工商银行,750.00,2021-11-03,T2\n",
        f"{c},{people[pc].certno},别人,支付宝,,750.00,2021-11-03,T3\n",  # not the bill's person
        f"{d},{people[pd].certno},{people[pd].name},支付宝,,700.00,2021-11-03,T4\n",  # not the amount due
        f"NOPE,{people[pd].certno},{people[pd].name},支付宝,,750.00,2021-11-03,T5\n",
        f"{a},{people[pa].certno},{people[pa].name},微信,,750.00,2021-11-04,T6\n",  # paid already (line 2)
        f"{d},{people[pd].certno},{people[pd].name},银行柜面,花旗银行,750.00,2021-11-03,T7\n",  # not entrusted
    ])
    report = import_tax_file(session, "tax.csv", text.encode(), file_id="TAX-20211103", actor="t")
    assert (report.lines, report.paid, report.amount) == (7, 2, Decimal("1500.00"))
    assert sorted(report.errors) == [4, 5, 6, 7, 8]
    assert "参保人不符" in report.errors[4] and "与应缴 750.00 元不符" in report.errors[5]
    assert "没有缴费单" in report.errors[6]
    assert "已缴费" in report.errors[7] and "委托" in report.errors[8]
    assert (report.stated, report.stated_amount, report.difference) == (7, Decimal("5200.00"), Decimal("3700.00"))
    assert [u.line for u in report.unapplied] == [4, 5, 6, 7, 8]
    assert import_tax_file(session, "tax.csv", text.encode(), file_id="TAX-20211103", actor="t").already


def test_a_school_pays_for_its_students_in_one_payment(session: Session) -> None:
    from yibao.enrollment.collection import pay_school

    bills = [bill_of(session, enroll(session, person(session, f"201{n}-05-05").psn_no, channel="school",
                                     student=True, school_name="实验小学")) for n in range(3)]
    due = sum((b.amount_due for b in bills), Decimal(0))
    with pytest.raises(InvalidInput) as wrong:
        pay_school(session, school="实验小学", year=2022, amount=due - 1, paid_on=dt.date(2021, 11, 1),
                   reference="SCH1", actor="t")
    assert "3 名学生应缴合计" in wrong.value.message and payments(session) == 0
    done = pay_school(session, school="实验小学", year=2022, amount=due, paid_on=dt.date(2021, 11, 1),
                      reference="SCH1", actor="t")
    assert (done.bills, done.amount) == (3, due) and payments(session) == 3
    assert {status(session, b.bill_no) for b in bills} == {"paid"}
    with pytest.raises(InvalidInput):  # nothing left to pay
        pay_school(session, school="实验小学", year=2022, amount=due, paid_on=dt.date(2021, 11, 1),
                   reference="SCH2", actor="t")


def test_the_collection_commands(tmp_path: object) -> None:
    """The CLI over a demo database: a withholding request for a bank with agreements, a result file with a bad
    line named on stderr, a tax file imported once."""
    import sqlite3
    from pathlib import Path

    from tests.cli.test_commands import run

    directory = Path(str(tmp_path))
    assert run(directory, "demo", "--persons", "60").returncode == 0
    with sqlite3.connect(directory / "yibao.sqlite3") as database:
        bank = database.execute("SELECT bank FROM bank_agreements b JOIN bills USING (psn_no) WHERE "
                                "b.status = 'active' AND bills.status = 'unpaid' LIMIT 1").fetchone()
    assert bank is not None, "the demo has withholding agreements with unpaid bills"
    out = directory / "req.csv"
    made = run(directory, "collect", "withholding-request", "--bank", bank[0], "--month", "2026-12", "--out",
               str(out))
    assert made.returncode == 0 and "代扣批次" in made.stdout, made.stderr
    rows = request_rows(out.read_bytes())
    run_id, _, bill_no, _, _, _, amount, day = rows[1]
    result = directory / "res.csv"
    result.write_text(RESULT + f"{run_id},1,{bill_no},成功,{amount},R-1,{day[:8]}01\n"
                      f"{run_id},99,{bill_no},成功,1,R,{day}\n", encoding="gbk")
    imported = run(directory, "collect", "withholding-result", str(result), "--file-id", "RES1")
    assert imported.returncode == 0 and "缴费成功 1 笔" in imported.stdout, imported.stderr
    assert "第 3 行：批次" in imported.stderr
    strict = run(directory, "collect", "withholding-result", str(result), "--file-id", "RES2", "--mode",
                 "all_or_nothing")
    assert strict.returncode == 2 and "整个文件未导入" in strict.stdout and "重复的结果行" in strict.stderr


def test_the_collection_api(client: object, session: Session, clerk: dict[str, str],
                            three: list[tuple[str, str]]) -> None:
    from fastapi.testclient import TestClient

    from tests.dbfixtures import sign_in

    assert isinstance(client, TestClient)
    session.commit()
    made = client.post("/api/collection/withholding-runs", headers=clerk, json={"bank": "boc", "month": "2021-11"})
    assert made.status_code == 201 and made.json()["lines"] == 3, made.text
    run_id = made.json()["run_id"]
    rows = request_rows(client.get(f"/api/collection/withholding-runs/{run_id}/request.csv", headers=clerk).content)
    text = (RESULT + f"{run_id},1,{rows[1][2]},成功,750.00,B-1,2021-11-08\n"
            f"{run_id},2,{rows[2][2]},余额不足,0,,2021-11-08\n")
    answer = client.post("/api/collection/withholding-results", headers=clerk, data={"file_id": "API-1"},
                         files={"file": ("r.csv", text.encode(), "text/csv")})
    assert answer.json()["paid"] == 1 and answer.json()["unanswered"] == 1, answer.text
    status_now = client.get(f"/api/collection/withholding-runs/{run_id}", headers=clerk).json()
    assert status_now["outcomes"] == {"paid": 1, "insufficient": 1, "requested": 1}
    bad = client.post("/api/collection/withholding-runs", headers=clerk, json={"bank": "citi", "month": "2021-11"})
    assert bad.status_code == 400
    readonly = sign_in(client, session, "readonly")
    assert client.post("/api/collection/tax-files", headers=readonly, data={"file_id": "X"},
                       files={"file": ("t.csv", TAX.encode(), "text/csv")}).status_code == 403
