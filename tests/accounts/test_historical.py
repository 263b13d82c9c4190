"""The employee-insurance system's daily historical-account files in, and yibao's daily uses out (POLICY.md §11;
accounts/historical.py), on both databases: idempotent by file id, day after day, whole or nothing with the bad
line named, balances that must agree."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.accounts.family import HEADER, Family, daily_file, days_ago, family
from tests.settlement.test_services import fee, refused, visit_at
from yibao.accounts.family import balance, historical_account, open_mutual, transfer
from yibao.accounts.historical import export_daily_uses, import_daily_file
from yibao.accounts.models import HistoricalFile, JournalEntry
from yibao.demo import ensure_demo_institutions
from yibao.policy.editions import Editions
from yibao.settlement.fees import upload_fees
from yibao.settlement.settle import cancel_settlement, settle_visit


@pytest.fixture
def fam(session: Session) -> Family:
    ensure_demo_institutions(session)
    session.flush()
    return family(session)


def written(session: Session) -> tuple[int, int]:
    return (session.scalar(select(func.count()).select_from(JournalEntry)) or 0,
            session.scalar(select(func.count()).select_from(HistoricalFile)) or 0)


def test_the_first_file_opens_the_accounts_and_the_next_posts_the_movements(fam: Family, session: Session) -> None:
    i = fam.initiator.psn_no
    assert balance(session, historical_account(i)) == Decimal("700.00")  # 1000 opened, 300 moved to mutual today
    done = daily_file(session, days_ago(2), [(fam.initiator, "120.00", "1120.00"), (fam.spouse, "-20.00", "480.00")])
    assert (done.lines, done.opened, done.movement, done.already) == (2, 0, Decimal("100.00"), False)
    assert balance(session, historical_account(i)) == Decimal("820.00")
    assert balance(session, historical_account(fam.spouse.psn_no)) == Decimal("280.00")


def test_a_file_is_imported_once_by_its_file_id(fam: Family, session: Session) -> None:
    lines = [(fam.initiator, "1.00", "1001.00")]
    daily_file(session, days_ago(2), lines, file_id="EMP-X")
    made = written(session)
    again = daily_file(session, days_ago(2), lines, file_id="EMP-X")
    assert again.already and written(session) == made


def test_a_day_twice_or_a_day_skipped_is_refused(fam: Family, session: Session) -> None:
    made = written(session)
    refused("historical_file_day_repeated",
            lambda: daily_file(session, days_ago(3), [(fam.initiator, "0", "1000.00")], file_id="OTHER"))
    refused("historical_file_day_repeated",
            lambda: daily_file(session, days_ago(4), [(fam.initiator, "0", "1000.00")]))
    error = refused("historical_file_day_skipped",
                    lambda: daily_file(session, days_ago(1), [(fam.initiator, "0", "1000.00")]))
    assert error.facts["expected"] == days_ago(2)
    refused("invalid_input", lambda: daily_file(session, days_ago(0), [(fam.initiator, "0", "1000.00")]))
    assert written(session) == made


@pytest.mark.parametrize(("line", "problem"), [
    ("330283197503020000,王建国,0,1000.00", "身份证号无效"),
    ("{certno},王建国,abc,1000.00", "当日变动"),
    ("{certno},王建国,0,-1.00", "不能为负"),
    ("{certno},王建国,0,1000.001", "日终余额"),
    ("{certno},王建国国,0,1000.00", "姓名"),
    ("{certno},王建国,0,999.00", "与中心记录不符"),
    ("{spouse},王丽华,0,500.00\n{spouse},王丽华,0,500.00", "出现两次"),
])
def test_a_bad_line_is_named_and_nothing_is_imported(fam: Family, session: Session, line: str, problem: str) -> None:
    made = written(session)
    text = (HEADER + f"{fam.spouse.certno},王丽华,0,500.00\n"
            + line.format(certno=fam.initiator.certno, spouse=fam.spouse.certno) + "\n")
    error = refused("historical_file_line", lambda: import_daily_file(
        session, "d.csv", text.encode(), file_id="BAD", day=days_ago(2), actor="t"))
    assert problem in error.message and error.facts["line"] == 3, error.message
    assert "整个文件未导入" in error.message
    assert written(session) == made


def test_an_excel_file_in_gbk_free_form_is_read_too(fam: Family, session: Session) -> None:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["身份证号", "姓名", "当日变动", "日终余额"])
    sheet.append([fam.initiator.certno, "王建国", "50", "1050"])
    out = io.BytesIO()
    book.save(out)
    done = import_daily_file(session, "d.xlsx", out.getvalue(), file_id="XL", day=days_ago(2), actor="t")
    assert done.movement == Decimal("50.00")
    gbk = (HEADER + f"{fam.spouse.certno},王丽华,5,505\n").encode("gbk")
    import_daily_file(session, "d.csv", gbk, file_id="GBK", day=days_ago(1), actor="t")
    assert balance(session, historical_account(fam.spouse.psn_no)) == Decimal("305.00")


def test_the_export_lists_every_use_of_the_day(fam: Family, session: Session, editions: Editions) -> None:
    f = fam.father
    daily_file(session, days_ago(2), [(fam.initiator, "0", "1000.00"), (fam.spouse, "0", "500.00"),
                                      (f, "0", "50.00")])
    open_mutual(session, f.psn_no)
    transfer(session, f.psn_no, "40.00", into_mutual=True, actor="t")
    visit = visit_at(session, editions, f.psn_no)
    upload_fees(session, editions, visit, [fee("F1")], msgid=None)
    row = settle_visit(session, editions, visit, expected_total=None, msgid=None, actor="t")
    assert row.acct_pay == Decimal("10.00")
    cancel_settlement(session, row.setl_id, institution=None, msgid=None, actor="t")
    text = export_daily_uses(session, days_ago(0)).content.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == ["身份证号", "姓名", "变动金额", "业务类型", "业务说明", "记账凭证号", "结算编号", "记账时间"]
    uses = sorted((r[1], r[2], r[3]) for r in rows[1:])  # (in time order; one second holds several here)
    assert uses == sorted([("王建国", "-300.00", "transfer"), ("王丽华", "-200.00", "transfer"),
                           ("王老伯", "-40.00", "transfer"), ("王老伯", "-10.00", "settle"),
                           ("王老伯", "10.00", "cancel")])
    settled = next(r for r in rows if r[3] == "settle")
    assert settled[0] == f.certno and settled[6] == row.setl_id
    assert export_daily_uses(session, days_ago(2)).content.decode("utf-8-sig").count("\n") == 1  # imports are not uses
