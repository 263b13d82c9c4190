"""The historical accounts (历年个账) as the employee-insurance system reports them, and what yibao reports back
(POLICY.md §11; issue 14 item 1). The employee-insurance system owns the accounts; yibao keeps each member's
balance as the ledger account `historical:<psn_no>` and tells the employee system every use.

**The daily file in** (职工医保历年个账日报; CSV UTF-8 or GBK, or Excel .xlsx), one file per day in order, a
header line and one person a line:

    身份证号, 姓名, 当日变动, 日终余额

当日变动: the employee system's own movements of the person's account that day (yuan, signed: the year's credit,
use at employee-insurance settlements …), not the uses yibao reported to it; 日终余额: the balance at the end of
the day after every movement, those yibao reported for that day included (yibao's export of a day is applied by
the employee system before it writes its file of the day). A file is imported once, by its file id; the files
come one day after another (a day twice, or a day skipped, is refused). A file is taken whole or not at all: the
first bad line is named. A person the file names for the first time opens their historical account with the
balance as its opening; for a person already held, yibao's balance at the end of that day plus the day's
movement must be the file's balance, else the line is refused (the two systems disagree: nothing is posted).

**The daily export out** (yibao 历年个账使用明细; CSV UTF-8 with BOM), every movement yibao made on the accounts
that day, one a line:

    身份证号, 姓名, 变动金额, 业务类型, 业务说明, 记账凭证号, 结算编号, 记账时间

变动金额 signed (negative: paid out of the account); 业务类型: settle (结算支付), cancel (结算撤销退回), transfer
(划入/划回共济健康账户, 退出或解散共济网退回).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from yibao.accounts.errors import HistoricalFileDayRepeated, HistoricalFileDaySkipped, HistoricalFileLine
from yibao.accounts.family import AccountKind, balances, ensure_historical, historical_account
from yibao.accounts.ledger import post_journal
from yibao.accounts.models import FamilyAccount, HistoricalFile, HistoricalMovement, JournalEntry, Posting
from yibao.db import sql_money
from yibao.errors import InvalidInput
from yibao.kit.clock import now
from yibao.kit.idcard import IdNumberError, parse_id_number
from yibao.kit.money import ZERO, MoneyError, fmt, money
from yibao.people.models import Person
from yibao.people.service import person_with_certno
from yibao.tables import TableRow, check_file_id, read_table

COLUMNS = {"身份证号": "certno", "姓名": "name", "当日变动": "movement", "日终余额": "balance"}
EXPORT_COLUMNS = ("身份证号", "姓名", "变动金额", "业务类型", "业务说明", "记账凭证号", "结算编号", "记账时间")
EMPLOYEE_SYSTEM = "employee:historical"  # the employee-insurance system's side of every movement it reports
CHUNK = 500


@dataclass(frozen=True, slots=True)
class HistoricalImport:
    file_id: str
    day: dt.date
    lines: int
    opened: int  # persons whose historical account the file opened
    movement: Decimal
    already: bool  # the file had been imported before: nothing was written

    @property
    def summary(self) -> str:
        """What the import did, in a sentence (the CLI, the console)."""
        if self.already:
            return f"文件 {self.file_id}（{self.day}）已导入过，本次未改变任何内容。"
        return (f"已导入 {self.day} 的历年个账日报：{self.lines} 人，新开户 {self.opened} 人，"
                f"当日变动合计 {self.movement} 元（文件 {self.file_id}）。")


@dataclass(frozen=True, slots=True)
class _Line:
    line: int
    psn_no: str
    movement: Decimal
    balance: Decimal


def _bad(row: TableRow, problem: str) -> HistoricalFileLine:
    return HistoricalFileLine(line=row.line, problem=problem)


def _amount(row: TableRow, key: str, label: str) -> Decimal:
    try:
        return money(row.values.get(key, ""))
    except MoneyError as exc:
        raise _bad(row, f"{label}{exc}") from None


def _line(session: Session, row: TableRow) -> _Line:
    try:
        certno = parse_id_number(row.values.get("certno", "")).number
    except IdNumberError as exc:
        raise _bad(row, f"身份证号无效（{exc}）") from None
    person = person_with_certno(session, certno)
    if person is None:
        raise _bad(row, "身份证号未在本区登记（职工医保系统只应报送本区登记人员的历年个账）")
    if row.values.get("name", "").strip() != person.name:
        raise _bad(row, f"姓名“{row.values.get('name', '')[:20]}”与登记的姓名不符")
    balance = _amount(row, "balance", "日终余额")
    if balance < 0:
        raise _bad(row, "日终余额不能为负")
    return _Line(row.line, person.psn_no, _amount(row, "movement", "当日变动"), balance)


def _check_day(session: Session, day: dt.date) -> None:
    if day >= now().date():
        raise InvalidInput(f"日报日期 {day} 应早于今天（日终后才有当天的文件）", field="day")
    same = session.scalar(select(HistoricalFile.file_id).where(HistoricalFile.day == day))
    if same is not None:
        raise HistoricalFileDayRepeated(day=day, file_id=same)
    last = session.scalar(select(func.max(HistoricalFile.day)))
    if last is not None and day != last + dt.timedelta(days=1):
        if day < last:
            raise HistoricalFileDayRepeated(day=day, file_id=f"（已导入至 {last}）")
        raise HistoricalFileDaySkipped(day=day, last=last, expected=last + dt.timedelta(days=1))


def _imported_entries() -> Select[str | None]:
    return select(HistoricalMovement.entry_id).where(HistoricalMovement.entry_id.is_not(None))


def own_uses_since(session: Session, accounts: Sequence[str], moment: dt.datetime) -> dict[str, Decimal]:
    """What yibao itself posted to the accounts from `moment` on (the daily files' movements left out)."""
    found: dict[str, Decimal] = {}
    for start in range(0, len(accounts), CHUNK):
        chunk = list(accounts[start:start + CHUNK])
        query = (select(Posting.account, func.sum(Posting.amount))
                 .join(JournalEntry, JournalEntry.id == Posting.entry_id)
                 .where(Posting.account.in_(chunk), JournalEntry.created_at >= moment,
                        JournalEntry.id.not_in(_imported_entries()))
                 .group_by(Posting.account))
        found |= {account: sql_money(total) for account, total in session.execute(query)}
    return found


def _held(session: Session, psn_nos: Sequence[str]) -> set[str]:
    held: set[str] = set()
    for start in range(0, len(psn_nos), CHUNK):
        accounts = [historical_account(p) for p in psn_nos[start:start + CHUNK]]
        held |= set(session.scalars(select(FamilyAccount.psn_no).where(FamilyAccount.account.in_(accounts),
                                                                        FamilyAccount.closed_at.is_(None))))
    return held


def _check_balances(session: Session, rows: Sequence[TableRow], lines: Sequence[_Line], held: set[str],
                    day: dt.date) -> None:
    accounts = [historical_account(line.psn_no) for line in lines if line.psn_no in held]
    current: dict[str, Decimal] = {}
    for start in range(0, len(accounts), CHUNK):
        current |= balances(session, accounts[start:start + CHUNK])
    after = own_uses_since(session, accounts, dt.datetime.combine(day + dt.timedelta(days=1), dt.time()))
    for row, line in zip(rows, lines, strict=True):
        if line.psn_no not in held:
            continue
        account = historical_account(line.psn_no)
        expected = current[account] - after.get(account, ZERO) + line.movement
        if expected != line.balance:
            raise _bad(row, f"日终余额 {fmt(line.balance)} 与中心记录不符（中心当日日终 "
                            f"{fmt(expected - line.movement)} 加当日变动 {fmt(line.movement)} 应为 {fmt(expected)}）")


def import_daily_file(session: Session, filename: str, content: bytes, *, file_id: str, day: dt.date,
                      actor: str) -> HistoricalImport:
    """Import the employee-insurance system's daily file (see the module's docstring)."""
    file_id = check_file_id(file_id, "职工医保系统")
    done = session.get(HistoricalFile, file_id)
    if done is not None:
        return HistoricalImport(file_id, done.day, done.lines, 0, done.movement, already=True)
    _check_day(session, day)
    rows = read_table(filename, content, COLUMNS, tuple(COLUMNS))
    lines, seen = [], set()
    for row in rows:
        line = _line(session, row)
        if line.psn_no in seen:
            raise _bad(row, "同一人在文件中出现两次")
        seen.add(line.psn_no)
        lines.append(line)
    held = _held(session, [line.psn_no for line in lines])
    _check_balances(session, rows, lines, held, day)
    return _post(session, file_id, day, lines, held, actor)


def _post(session: Session, file_id: str, day: dt.date, lines: Sequence[_Line], held: set[str],
          actor: str) -> HistoricalImport:
    session.add(HistoricalFile(file_id=file_id, day=day, lines=len(lines), created_by=actor, created_at=now(),
                               movement=sum((line.movement for line in lines), ZERO)))
    session.flush()
    movements = []
    for line in lines:
        amount = line.movement if line.psn_no in held else line.balance
        entry_id = None
        if amount:
            if line.psn_no not in held:
                ensure_historical(session, line.psn_no)
            memo = f"历年个账日报 {day}" + ("" if line.psn_no in held else "（期初余额）")
            entry_id = post_journal(session, psn_no=line.psn_no, setl_id=None, memo=memo,
                                    postings=[(historical_account(line.psn_no), amount), (EMPLOYEE_SYSTEM, -amount)]).id
        elif line.psn_no not in held:
            ensure_historical(session, line.psn_no)
        movements.append(HistoricalMovement(file_id=file_id, psn_no=line.psn_no, line=line.line,
                                            movement=line.movement, balance=line.balance, entry_id=entry_id))
    session.add_all(movements)
    session.flush()
    return HistoricalImport(file_id, day, len(lines), len(lines) - len(held), sum(
        (line.movement for line in lines), ZERO), already=False)


# ---------------------------------------------------------------------------------------------------
# The export of a day's uses


def _kind(entry: JournalEntry) -> str:
    if entry.setl_id is None:
        return "transfer"
    return "cancel" if entry.reverses_id is not None else "settle"


def daily_uses(session: Session, day: dt.date) -> list[tuple[Person, Decimal, JournalEntry]]:
    """yibao's movements of the historical accounts on `day` (the daily files' own left out), in time order."""
    begin = dt.datetime.combine(day, dt.time())
    query = (select(Posting, JournalEntry).join(JournalEntry, JournalEntry.id == Posting.entry_id)
             .where(Posting.account.like(f"{AccountKind.HISTORICAL.value}:%"), JournalEntry.created_at >= begin,
                    JournalEntry.created_at < begin + dt.timedelta(days=1), JournalEntry.id.not_in(_imported_entries()))
             .order_by(JournalEntry.created_at, Posting.entry_id, Posting.line))
    found = [(posting, entry) for posting, entry in session.execute(query).all()]
    psn_nos = {posting.account.split(":", 1)[1] for posting, _ in found}
    people = {p.psn_no: p for p in session.scalars(select(Person).where(Person.psn_no.in_(psn_nos)))} if psn_nos else {}
    return [(people[posting.account.split(":", 1)[1]], posting.amount, entry) for posting, entry in found]


@dataclass(frozen=True, slots=True)
class DailyExport:
    content: bytes  # CSV, UTF-8 with BOM, the layout of the module's docstring
    subjects: list[str]  # whose accounts it names (the doors trail the export)
    filename: str


def export_daily_uses(session: Session, day: dt.date) -> DailyExport:
    """The day's export."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(EXPORT_COLUMNS)
    uses = daily_uses(session, day)
    for person, amount, entry in uses:
        writer.writerow([person.certno, person.name, fmt(amount), _kind(entry), entry.memo, entry.id,
                         entry.setl_id or "", f"{entry.created_at:%Y-%m-%d %H:%M:%S}"])
    return DailyExport(("\ufeff" + out.getvalue()).encode("utf-8"), sorted({p.psn_no for p, _, _ in uses}),
                       f"historical-uses-{day:%Y%m%d}.csv")
