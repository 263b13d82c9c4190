"""Collection runs (issue 16 item 1; POLICY.md §4, S22 §3): the banks' monthly withholding and the tax bureau's
daily file of WeChat, Alipay and bank-counter payments. Every paid line goes through the one payment check
(contributions.check_payment) and activates its enrollment (enrollment/payments.py).

**Withholding request** (`withholding_request`, one per bank and month; S22 §3.1: the deposit must be in the
account before the 8th, so the deduction day is the 8th): a line for every live agreement at the bank whose person
has an unpaid bill. Excluded, with the reason: an agreement whose account the bank reported closed (a new card or
bank needs a new agreement, S22 §3.1), a bill already in a request the bank has not answered. The file (CSV,
UTF-8 with BOM):

    批次号, 序号, 缴费单号, 身份证号, 姓名, 银行卡号, 扣款金额, 扣款日期

**Withholding result** (the bank's answer, CSV or Excel, UTF-8 or GBK): 批次号, 序号, 缴费单号, 扣款结果 (成功 /
余额不足 / 账户已销户), 扣款金额, 银行流水号, 扣款日期. 成功 pays the bill; 余额不足 leaves it unpaid, so next
month's request asks again; 账户已销户 closes the agreement. A line that names no request line of the batch, a
line answered twice, an amount that is not the request's, a bill paid already: reported by line number.

**Tax bureau daily file** (CSV or Excel, UTF-8 or GBK): 缴费单号, 身份证号, 姓名, 缴费渠道 (微信 / 支付宝 / 银行柜面),
银行 (柜面: one of the 8 entrusted banks), 缴费金额, 缴费日期, 税务流水号.

Each file is imported once, by its file id (again: nothing changes, and it says so). By default each bad line is
reported by number and the good ones are taken (`valid_only`); `all_or_nothing` takes none if one is bad. The
report reconciles the file with what was recorded: lines, paid, refused, the amount paid, for a result file the
requested lines the bank did not answer, and the money side — what the file says was collected (a result file's
成功 lines, every line of a tax file) against what was recorded as paid, each collected line not recorded listed
with its bill, amount and reason (money the bank or the tax bureau holds for a bill yibao did not mark paid: to
apply by hand once corrected, or to refund).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, NamedTuple

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from yibao.contributions.models import BankAgreement, Bill, CollectionFile, WithholdingLine, WithholdingRun
from yibao.contributions.service import (
    BANKS,
    PAYMENT_CHANNELS,
    BillRow,
    Collected,
    PaymentRequest,
    StatementLine,
    bills_by_no,
)
from yibao.enrollment.models import Enrollment
from yibao.enrollment.payments import collect_lines, pay_contribution
from yibao.errors import Conflict, InvalidInput, Named, NotFound
from yibao.kit.batches import chunks
from yibao.kit.clock import now
from yibao.kit.ids import new_id
from yibao.kit.money import ZERO, MoneyError, fmt, money
from yibao.people.models import Person
from yibao.statements import Read, among, update_many
from yibao.tables import TableRow, check_file_id, read_table

MODES = {"valid_only": "只导入正确的行", "all_or_nothing": "有错误行则整个文件不导入"}
DEDUCT_DAY = 8  # S22 §3.1: 每月 8 日前存入，银行扣款
REQUEST_COLUMNS = ("批次号", "序号", "缴费单号", "身份证号", "姓名", "银行卡号", "扣款金额", "扣款日期")
RESULT_COLUMNS = {"批次号": "run", "序号": "line", "缴费单号": "bill_no", "扣款结果": "outcome", "扣款金额": "amount",
                  "银行流水号": "reference", "扣款日期": "paid_on"}
OUTCOMES = {"成功": "paid", "余额不足": "insufficient", "账户已销户": "closed"}
OUTCOME_LABELS = {code: label for label, code in OUTCOMES.items()}
TAX_COLUMNS = {"缴费单号": "bill_no", "身份证号": "certno", "姓名": "name", "缴费渠道": "channel", "银行": "bank",
               "缴费金额": "amount", "缴费日期": "paid_on", "税务流水号": "reference"}
TAX_CHANNELS = {"微信": "wechat", "支付宝": "alipay", "银行柜面": "cash"}
BANK_BY_NAME = {name: code for code, name in BANKS.items()}


@dataclass
class FileReport:
    """What a file did, line by line where a line was refused, and its reconciliation."""

    file_id: str
    kind: str
    lines: int = 0
    paid: int = 0
    amount: Decimal = ZERO
    errors: dict[int, str] = field(default_factory=dict)  # line number → why
    outcomes: dict[str, int] = field(default_factory=dict)  # withholding: paid / insufficient / closed
    unanswered: int = 0  # withholding: requested lines the bank has not answered
    already: bool = False
    written: bool = True  # all_or_nothing with a bad line: nothing written
    # the reconciliation: what the file says was collected (a result file's 成功 lines, every line of a tax
    # file) beside what was recorded; the collected lines not recorded are money to apply by hand or refund
    stated: int = 0
    stated_amount: Decimal = ZERO
    unapplied: list[Unapplied] = field(default_factory=list)

    @property
    def difference(self) -> Decimal:
        """Collected by the bank or the tax bureau and not recorded as paid (0 when the file reconciles)."""
        return self.stated_amount - self.amount if self.written else self.stated_amount

    def as_json(self) -> str:
        return json.dumps({"errors": {str(k): v for k, v in self.errors.items()}, "outcomes": self.outcomes,
                           "unanswered": self.unanswered, "stated": self.stated,
                           "stated_amount": str(self.stated_amount),
                           "unapplied": [[u.line, u.bill_no, str(u.amount), u.why] for u in self.unapplied]},
                          ensure_ascii=False)

    def reconcile(self, rows: Sequence[TableRow], collected: Callable[[TableRow], bool]) -> None:
        """Count the lines the file says were collected, and list those of them that were not recorded."""
        for row in rows:
            amount = _stated_amount(row) if collected(row) else None
            if amount is None:
                continue
            self.stated += 1
            self.stated_amount += amount
            if row.line in self.errors or not self.written:
                why = self.errors.get(row.line, "整个文件未导入")
                self.unapplied.append(Unapplied(row.line, row.values.get("bill_no", ""), amount, why))


class Unapplied(NamedTuple):
    line: int
    bill_no: str
    amount: Decimal
    why: str


def _stated_amount(row: TableRow) -> Decimal | None:
    try:
        return money(row.values.get("amount", ""))
    except ValueError:  # MoneyError: the line is reported as an error; no amount to reconcile
        return None


def _paid_line(row: TableRow) -> bool:
    return row.values.get("outcome", "") == "成功"


def _any_line(_row: TableRow) -> bool:
    return True


def checked_mode(mode: str) -> str:
    if mode not in MODES:
        raise InvalidInput(f"导入方式应为 {'、'.join(f'{k}（{v}）' for k, v in MODES.items())}", field="mode")
    return mode


def _done(session: Session, file_id: str, kind: str) -> FileReport | None:
    found = session.get(CollectionFile, file_id)
    if found is None:
        return None
    if found.kind != kind:
        raise Conflict(f"文件编号 {file_id} 已用于另一种文件", field="file_id")
    return _report_of(found, already=True)


def _report_of(found: CollectionFile, *, already: bool = False) -> FileReport:
    report = json.loads(found.report)
    return FileReport(found.file_id, found.kind, found.lines, found.paid, found.amount,
                      {int(k): v for k, v in report["errors"].items()}, report["outcomes"], report["unanswered"],
                      already=already, stated=report.get("stated", 0),
                      stated_amount=money(report.get("stated_amount", "0")),
                      unapplied=[Unapplied(int(n), bill, money(amount), why)
                                 for n, bill, amount, why in report.get("unapplied", [])])


FILE_KINDS = {"withholding_result": "银行扣款结果", "tax_daily": "税务每日缴费文件"}


class FileNotImported(Named, NotFound):
    code = "collection_file_not_found"
    default_field = "file_id"
    template = "没有编号为 {file_id} 的已导入文件"


def imported_file(session: Session, file_id: str) -> tuple[CollectionFile, FileReport]:
    """An imported file's row and its report (the refused lines by number)."""
    found = session.get(CollectionFile, file_id)
    if found is None:
        raise FileNotImported(file_id=file_id)
    return found, _report_of(found)


def recent_files(session: Session, limit: int = 24) -> Sequence[CollectionFile]:
    return session.scalars(select(CollectionFile).order_by(CollectionFile.created_at.desc(),
                                                           CollectionFile.file_id).limit(limit)).all()


def _record(session: Session, report: FileReport, actor: str) -> FileReport:
    session.add(CollectionFile(file_id=report.file_id, kind=report.kind, lines=report.lines, paid=report.paid,
                               amount=report.amount, refused=len(report.errors), report=report.as_json(),
                               created_by=actor, created_at=now()))
    session.flush()
    return report


def _amount(text: str) -> Decimal:
    try:
        return money(text)
    except MoneyError as exc:
        raise ValueError(f"金额{exc}") from None


def _day(text: str, label: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text.strip()[:10])
    except ValueError:
        raise ValueError(f"{label}应为 YYYY-MM-DD") from None


# ---------------------------------------------------------------------------------------------------
# Bank withholding


@dataclass(frozen=True, slots=True)
class Request:
    run: WithholdingRun
    content: bytes  # the request file
    excluded: dict[str, str]  # psn_no → why


def _month(month: str) -> dt.date:
    try:
        first = dt.date.fromisoformat(f"{month}-01")
    except ValueError:
        raise InvalidInput(f"月份应为 YYYY-MM，不是 {month!r}", field="month") from None
    if len(month) != 7:
        raise InvalidInput(f"月份应为 YYYY-MM，不是 {month!r}", field="month")
    return first


def withholding_request(session: Session, *, bank: str, month: str, actor: str) -> Request:
    """The bank's request of the month (see the module's docstring); one per bank and month."""
    if bank not in BANKS:
        raise InvalidInput(f"未知的银行 {bank!r}，可选：{'、'.join(f'{c}({n})' for c, n in BANKS.items())}",
                           field="bank")
    deduct_on = _month(month).replace(day=DEDUCT_DAY)
    if session.scalar(select(WithholdingRun.id).where(WithholdingRun.bank == bank, WithholdingRun.month == month)):
        raise Conflict(f"{BANKS[bank]} {month} 的代扣请求已生成，不能重复生成", field="month")
    unpaid = session.execute(select(Bill.psn_no, Bill.bill_no, Bill.amount_due).where(
        Bill.status == "unpaid", Bill.amount_due > 0).order_by(Bill.psn_no, Bill.year)).all()
    holders = sorted({psn_no for psn_no, _, _ in unpaid})
    agreements: dict[str, BankAgreement] = {}
    closed: set[str] = set()
    for chunk in chunks(holders):
        for a in session.scalars(select(BankAgreement).where(BankAgreement.psn_no.in_(chunk),
                                                             BankAgreement.bank == bank)):
            if a.status == "active":
                agreements[a.psn_no] = a
            elif a.status == "closed":
                closed.add(a.psn_no)
    pending = set(session.scalars(select(WithholdingLine.bill_no).where(WithholdingLine.outcome == "requested")))
    excluded = {psn_no: "银行报告账户已销户：须重新签订代扣协议（换卡或换银行须重新签订，S22 §3.1）"
                for psn_no in closed - set(agreements)}
    run = WithholdingRun(id=new_id(), bank=bank, month=month, deduct_on=deduct_on, lines=0, amount=ZERO,
                         excluded="{}", created_by=actor, created_at=now())
    session.add(run)
    session.flush()
    lines: list[RequestLine] = []
    for psn_no, bill_no, amount in unpaid:
        agreement = agreements.get(psn_no)
        if agreement is None:
            continue
        if bill_no in pending:
            excluded[psn_no] = "上次代扣请求银行尚未返回结果"
            continue
        lines.append(RequestLine(len(lines) + 1, psn_no, bill_no, agreement.id, agreement.card_no, amount))
    for part in chunks(lines, 5000):
        session.execute(insert(WithholdingLine), [line._asdict() | {
            "run_id": run.id, "outcome": "requested", "reason": None, "reference": None, "file_id": None}
            for line in part])
    run.lines, run.amount = len(lines), sum((line.amount for line in lines), ZERO)
    run.excluded = json.dumps(excluded, ensure_ascii=False)
    session.flush()
    return Request(run, request_file(session, run, lines), excluded)


def get_run(session: Session, run_id: str) -> WithholdingRun:
    found = session.get(WithholdingRun, run_id)
    if found is None:
        raise NotFound(f"没有代扣批次 {run_id}", field="run_id")
    return found


def run_lines(session: Session, run_id: str) -> Sequence[WithholdingLine]:
    return session.scalars(select(WithholdingLine).where(WithholdingLine.run_id == run_id)
                           .order_by(WithholdingLine.line)).all()


class RequestLine(NamedTuple):
    line: int
    psn_no: str
    bill_no: str
    agreement_id: str
    card_no: str
    amount: Decimal


def request_file(session: Session, run: WithholdingRun, lines: Sequence[WithholdingLine | RequestLine]) -> bytes:
    people = {p.psn_no: p for chunk in chunks(sorted({line.psn_no for line in lines}))
              for p in session.scalars(select(Person).where(Person.psn_no.in_(chunk)))}
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(REQUEST_COLUMNS)
    for line in lines:
        person = people[line.psn_no]
        writer.writerow([run.id, line.line, line.bill_no, person.certno, person.name, line.card_no, fmt(line.amount),
                         run.deduct_on.isoformat()])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


class AskedLine(NamedTuple):
    """A request line as its result is matched to it."""

    run_id: str
    line: int
    psn_no: str
    bill_no: str
    agreement_id: str
    amount: Decimal
    outcome: str


_LINES = Read(AskedLine, WithholdingLine, among=WithholdingLine.run_id)


def _result_line(row: TableRow, lines: dict[tuple[str, int], AskedLine], seen: set[tuple[str, int]]
                 ) -> tuple[AskedLine, str, Decimal, str, dt.date]:
    v = row.values
    try:
        key = (v.get("run", ""), int(v.get("line", "")))
    except ValueError:
        raise ValueError("序号应为整数") from None
    line = lines.get(key)
    if line is None:
        raise ValueError(f"批次 {key[0]} 没有序号 {key[1]} 的代扣请求")
    if key in seen or line.outcome != "requested":
        raise ValueError(f"批次 {key[0]} 序号 {key[1]} 的结果已经导入过（重复的结果行）")
    if v.get("bill_no", "") != line.bill_no:
        raise ValueError(f"缴费单号 {v.get('bill_no', '')} 与代扣请求的 {line.bill_no} 不符")
    outcome = OUTCOMES.get(v.get("outcome", ""))
    if outcome is None:
        raise ValueError(f"扣款结果应为 {'、'.join(OUTCOMES)}")
    amount = _amount(v.get("amount", "") or "0")
    if outcome == "paid" and amount != line.amount:
        raise ValueError(f"扣款金额 {fmt(amount)} 与代扣请求的 {fmt(line.amount)} 不符")
    return line, outcome, amount, v.get("reference", "").strip(), _day(v.get("paid_on", ""), "扣款日期")


PART = 5_000  # payments checked and written together; progress is told after each part
Progress = Callable[[int, int], None]


def _collect_in_parts(session: Session, requests: Sequence[PaymentRequest], *, actor: str,
                      progress: Progress | None) -> Collected:
    """`collect_lines` part by part (a bill or reference seen in an earlier part is refused as it would be in one
    batch: the earlier part is written by then), telling `progress` (lines done, lines in all) after each."""
    counts: dict[str, int] = {}
    paid: list[BillRow] = []
    refusals: dict[int, str] = {}
    if progress is not None:
        progress(0, len(requests))
    for start in range(0, len(requests), PART):
        part = collect_lines(session, requests[start:start + PART], actor=actor)
        for reason, count in part.counts.items():
            counts[reason] = counts.get(reason, 0) + count
        paid += part.paid
        refusals |= {start + index: why for index, why in part.refusals.items()}
        if progress is not None:
            progress(min(start + PART, len(requests)), len(requests))
    return Collected(counts or {"paid": 0}, paid, refusals)


def import_withholding_result(session: Session, filename: str, content: bytes, *, file_id: str,
                              mode: str = "valid_only", actor: str, progress: Progress | None = None) -> FileReport:
    """The bank's result file (see the module's docstring)."""
    file_id, mode = check_file_id(file_id, "银行结果文件"), checked_mode(mode)
    done = _done(session, file_id, "withholding_result")
    if done is not None:
        return done
    rows = read_table(filename, content, RESULT_COLUMNS, tuple(RESULT_COLUMNS))
    runs = {row.values.get("run", "") for row in rows}
    lines = {(line.run_id, line.line): line for line in _LINES.all(session, values=sorted(runs))}
    report = FileReport(file_id, "withholding_result", lines=len(rows))
    seen: set[tuple[str, int]] = set()
    answers: list[tuple[TableRow, AskedLine, str, Decimal, str, dt.date]] = []
    for row in rows:
        try:
            line, outcome, amount, reference, paid_on = _result_line(row, lines, seen)
        except ValueError as exc:
            report.errors[row.line] = str(exc)
            continue
        seen.add((line.run_id, line.line))
        answers.append((row, line, outcome, amount, reference, paid_on))
    run_banks = {r.id: r.bank for r in session.scalars(select(WithholdingRun).where(WithholdingRun.id.in_(runs)))}
    paying = [(row, line, PaymentRequest(line.bill_no, "bank_withholding", amount, paid_on, reference or "",
                                         bank=run_banks[line.run_id], agreement_id=line.agreement_id))
              for row, line, outcome, amount, reference, paid_on in answers if outcome == "paid"]
    if mode == "all_or_nothing" and report.errors:
        report.written = False
        report.reconcile(rows, _paid_line)
        return report
    with session.begin_nested() as attempt:
        collected = _collect_in_parts(session, [request for _, _, request in paying], actor=actor,
                                      progress=progress)
        for index, why in collected.refusals.items():
            report.errors[paying[index][0].line] = why
        if mode == "all_or_nothing" and report.errors:
            attempt.rollback()
            report.written = False
            report.reconcile(rows, _paid_line)
            return report
    refused_lines = {id(paying[index][1]) for index in collected.refusals}
    pending = len([line for line in lines.values() if line.outcome == "requested"])
    changes: list[dict[str, object]] = []
    closed: list[dict[str, object]] = []
    for row, line, outcome, _, reference, _ in answers:
        key = {"run_id": line.run_id, "line": line.line}
        if id(line) in refused_lines:  # every change names the same columns: one UPDATE from arrays
            changes.append(key | {"outcome": "refused", "reason": report.errors[row.line][:200], "reference": None,
                                  "file_id": None})
        else:
            changes.append(key | {"outcome": outcome, "reason": None, "reference": reference or None,
                                  "file_id": file_id})
            report.outcomes[outcome] = report.outcomes.get(outcome, 0) + 1
            if outcome == "closed":  # a new card or bank needs a new agreement (S22 §3.1)
                closed.append({"psn_no": line.psn_no, "id": line.agreement_id, "status": "closed"})
    update_many(session, WithholdingLine, changes)
    for part in chunks(closed, 5000):  # an agreement is trailed: through the ORM's hook
        session.execute(update(BankAgreement).execution_options(synchronize_session=False), part)
    report.paid = collected.counts.get("paid", 0)
    report.amount = sum((money(request.amount) for index, (_, _, request) in enumerate(paying)
                         if index not in collected.refusals), ZERO)
    report.unanswered = pending - len(answers)
    session.flush()
    report.reconcile(rows, _paid_line)
    return _record(session, report, actor)


# ---------------------------------------------------------------------------------------------------
# The tax bureau's daily file


def _tax_request(row: TableRow, bills: dict[str, BillRow], people: dict[str, Any]) -> PaymentRequest:
    v = row.values
    bill = bills.get(v.get("bill_no", ""))
    if bill is None:
        raise ValueError(f"没有缴费单 {v.get('bill_no', '')}")
    person = people[bill.psn_no]
    if v.get("certno", "").upper() != person.certno or v.get("name", "") != person.name:
        raise ValueError("身份证号或姓名与缴费单的参保人不符")
    channel = TAX_CHANNELS.get(v.get("channel", ""))
    if channel is None:
        raise ValueError(f"缴费渠道应为 {'、'.join(TAX_CHANNELS)}")
    bank = BANK_BY_NAME.get(v.get("bank", "")) if channel == "cash" else None
    return PaymentRequest(bill.bill_no, channel, _amount(v.get("amount", "")), _day(v.get("paid_on", ""), "缴费日期"),
                          v.get("reference", "").strip(), bank=bank)


def import_tax_file(session: Session, filename: str, content: bytes, *, file_id: str, mode: str = "valid_only",
                    actor: str, progress: Progress | None = None) -> FileReport:
    """The tax bureau's daily collection file (see the module's docstring)."""
    file_id, mode = check_file_id(file_id, "税务文件"), checked_mode(mode)
    done = _done(session, file_id, "tax_daily")
    if done is not None:
        return done
    rows = read_table(filename, content, TAX_COLUMNS, tuple(c for c in TAX_COLUMNS if c != "银行"))
    bills = bills_by_no(session, [r.values.get("bill_no", "") for r in rows])
    people = {p.psn_no: p for matching in among(session, Person.psn_no, sorted({b.psn_no for b in bills.values()}))
              for p in session.execute(select(Person.psn_no, Person.certno, Person.name).where(matching))}
    report = FileReport(file_id, "tax_daily", lines=len(rows))
    requests: list[tuple[TableRow, PaymentRequest]] = []
    for row in rows:
        try:
            requests.append((row, _tax_request(row, bills, people)))
        except ValueError as exc:
            report.errors[row.line] = str(exc)
    if mode == "all_or_nothing" and report.errors:
        report.written = False
        report.reconcile(rows, _any_line)
        return report
    with session.begin_nested() as attempt:
        collected = _collect_in_parts(session, [request for _, request in requests], actor=actor, progress=progress)
        for index, why in collected.refusals.items():
            report.errors[requests[index][0].line] = why
        if mode == "all_or_nothing" and report.errors:
            attempt.rollback()
            report.written = False
            report.reconcile(rows, _any_line)
            return report
    report.paid = collected.counts.get("paid", 0)
    report.amount = sum((money(request.amount) for index, (_, request) in enumerate(requests)
                         if index not in collected.refusals), ZERO)
    report.reconcile(rows, _any_line)
    return _record(session, report, actor)


# ---------------------------------------------------------------------------------------------------
# A collecting party's statement of a day (对账单), for the day's reconciliation (contributions.reconcile_day)

STATEMENT_COLUMNS = {"渠道": "channel", "银行": "bank", "笔数": "count", "金额": "amount"}
STATEMENT_CHANNELS = {**TAX_CHANNELS, "银行卡代扣": "bank_withholding", "学校": "school"}
CHANNEL_BY_NAME = {**{label: code for code, label in PAYMENT_CHANNELS.items()}, **STATEMENT_CHANNELS}


def read_statement(filename: str, content: bytes) -> list[StatementLine]:
    """A statement file (CSV or Excel): 渠道 (STATEMENT_CHANNELS, or the channel's full name), 银行 (for a bank's
    lines), 笔数, 金额 — a line per channel and bank. Any bad line → InvalidInput naming every bad line (a statement is
    taken whole or not at all: a partial one would report false differences)."""
    rows = read_table(filename, content, STATEMENT_COLUMNS, ("渠道", "笔数", "金额"))
    found: list[StatementLine] = []
    problems: list[str] = []
    for row in rows:
        v = row.values
        try:
            channel = CHANNEL_BY_NAME.get(v.get("channel", ""))
            if channel is None:
                raise ValueError(f"渠道应为 {'、'.join(STATEMENT_CHANNELS)}")
            bank = BANK_BY_NAME.get(v.get("bank", "")) if v.get("bank") else None
            if v.get("bank") and bank is None:
                raise ValueError(f"银行应为 {'、'.join(BANKS.values())}")
            if not v.get("count", "").isdigit():
                raise ValueError("笔数应为非负整数")
            found.append(StatementLine(channel, bank, int(v["count"]), _amount(v.get("amount", ""))))
        except ValueError as exc:
            problems.append(f"第 {row.line} 行：{exc}")
    if problems:
        raise InvalidInput("对账单有错误，未对账：" + "；".join(problems[:20]), field="file")
    return found


# ---------------------------------------------------------------------------------------------------
# A school pays for its students in one payment (S22 §2(二), §3)


@dataclass(frozen=True, slots=True)
class SchoolPayment:
    school: str
    year: int
    bills: int
    amount: Decimal


def school_bills(session: Session, school: str, year: int) -> list[tuple[Enrollment, Bill]]:
    """The unpaid bills of the school's students enrolled through it for the year."""
    query = select(Enrollment, Bill).join(Bill, (Bill.psn_no == Enrollment.psn_no) & (
        Bill.enrollment_id == Enrollment.id)).where(
        Enrollment.school_name == school, Enrollment.year == year, Enrollment.channel == "school",
        Bill.status == "unpaid").order_by(Bill.bill_no)
    return [(enrollment, bill) for enrollment, bill in session.execute(query).all()]


def pay_school(session: Session, *, school: str, year: int, amount: str | Decimal, paid_on: dt.date,
               reference: str, actor: str) -> SchoolPayment:
    """The school's one payment for every unpaid bill of its students: the amount must be their sum; each bill is
    paid (channel 学校代收) under the payment's reference and activates its enrollment."""
    found = school_bills(session, school.strip(), year)
    if not found:
        raise InvalidInput(f"{school} {year} 年度没有未缴费的学生", field="school")
    try:
        value = money(amount)
    except MoneyError as exc:
        raise InvalidInput(f"缴费金额{exc}", field="amount") from None
    due = sum((bill.amount_due for _, bill in found), ZERO)
    if value != due:
        raise InvalidInput(f"缴费金额 {fmt(value)} 元与 {len(found)} 名学生应缴合计 {fmt(due)} 元不符", field="amount")
    if not reference.strip():
        raise InvalidInput("请填写学校缴费的流水号", field="reference")
    for n, (_, bill) in enumerate(found, start=1):
        pay_contribution(session, PaymentRequest(bill.bill_no, "school", bill.amount_due, paid_on,
                                                 f"{reference.strip()}/{n}"), actor=actor)
    return SchoolPayment(school.strip(), year, len(found), due)
