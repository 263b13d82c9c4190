"""Institution clearing (清算; S18 §6): what the centre owes each designated institution for a month.

**A statement** (`build`) takes every settlement and cancellation at the institution up to the end of the month
that no statement has taken yet (a settlement is in exactly one statement: its `clearing_id`; a cancellation made
after its settlement's month was cleared is a row of its own month and falls into that month's statement), and
every deduction audit has decided against the institution that no statement has taken yet. It sums them by fund
(390100 统筹基金, 390200 大病保险, 610100 医疗救助) and by benefit; what the family accounts paid (POLICY.md §11) is
owed to the institution too, and what the persons paid in cash the institution collected itself. Payable = funds
+ accounts − deductions. A month is cleared from the first day of the next month on (ASSUMPTION: the documents
give no closing day), and statements of one institution go month after month.

**Approval** (`approve`, by someone other than the one who built it) posts the statement in the ledger:

    refusals and recoveries   Dr fund:<f>              Cr institution:<code>     (the fund does not bear them)
    the payable               Dr cleared:<f>, cleared:family-accounts   Cr payable:<code>

**Payment** (`pay`) clears the payable: Dr payable:<code>, Cr bank:centre. A draft can be discarded (its rows are
free for the next statement); an approved statement cannot.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from yibao.accounts.ledger import institution_account, post_journal
from yibao.clearing.errors import (
    ClearingExists,
    ClearingNotFound,
    ClearingWrongStatus,
    DeductionInvalid,
    MonthInvalid,
    MonthNotClosed,
    OwnClearing,
)
from yibao.clearing.models import Clearing, ClearingDeduction
from yibao.db import sql_money
from yibao.glossary import FUNDS
from yibao.institutions.errors import InstitutionNotFound
from yibao.institutions.service import institution_record
from yibao.kit.clock import now
from yibao.kit.ids import new_id
from yibao.kit.money import ZERO, MoneyError, money
from yibao.settlement.models import Settlement, SettlementKind


class ClearingStatus(StrEnum):
    DRAFT = "draft"
    APPROVED = "approved"
    PAID = "paid"
    DISCARDED = "discarded"


STATUS_LABELS = {ClearingStatus.DRAFT: "待审核", ClearingStatus.APPROVED: "已审核待支付", ClearingStatus.PAID: "已支付",
                 ClearingStatus.DISCARDED: "已作废"}
DEDUCTION_KINDS = {"refusal": "不予支付", "recovery": "追回"}
FUND_FIELDS = {fund.code: fund.amount_field for fund in FUNDS}
BANK = "bank:centre"  # the centre's account the funds pay institutions from
ACCOUNTS_CLEARED = "cleared:family-accounts"
CLEARED_KINDS = (SettlementKind.SETTLE.value, SettlementKind.CANCEL.value)  # a manual claim pays the person


def payable_account(fixmedins_code: str) -> str:
    return f"payable:{fixmedins_code}"


def cleared_account(fund: str) -> str:
    return f"cleared:{fund}"


def month_bounds(month: str) -> tuple[dt.datetime, dt.datetime]:
    """The first moment of the month and of the next (a YYYY-MM month)."""
    try:
        first = dt.datetime.strptime(f"{month}-01", "%Y-%m-%d")
    except ValueError:
        raise MonthInvalid(month=month) from None
    if len(month) != 7:
        raise MonthInvalid(month=month)
    following = (first.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    return first, following


def _get(session: Session, clearing_id: str, *, lock: bool = False) -> Clearing:
    query = select(Clearing).where(Clearing.id == clearing_id)
    found = session.scalar(query.with_for_update() if lock else query)
    if found is None:
        raise ClearingNotFound(clearing_id=clearing_id)
    return found


def _status(clearing: Clearing, wanted: ClearingStatus, action: str) -> None:
    if clearing.status != wanted:
        raise ClearingWrongStatus(clearing_id=clearing.id, status=STATUS_LABELS[ClearingStatus(clearing.status)],
                                  action=action)


# ---------------------------------------------------------------------------------------------------
# Deductions audit decides


def record_deduction(session: Session, *, fixmedins_code: str, kind: str, fund: str, amount: str | Decimal,
                     reason: str, actor: str, setl_id: str | None = None,
                     case_ref: str | None = None) -> ClearingDeduction:
    """A refusal of payment or a recovery against an institution (what audit decides, POLICY.md §12), taken by its
    next statement."""
    if institution_record(session, fixmedins_code) is None:
        raise InstitutionNotFound(code=fixmedins_code)
    if kind not in DEDUCTION_KINDS:
        raise DeductionInvalid(problem="类型应为 refusal（不予支付）或 recovery（追回）", field="kind")
    if fund not in FUND_FIELDS:
        raise DeductionInvalid(problem=f"基金应为 {'、'.join(FUND_FIELDS)}", field="fund")
    try:
        value = money(amount)
    except MoneyError as exc:
        raise DeductionInvalid(problem=f"金额{exc}") from None
    if value <= 0:
        raise DeductionInvalid(problem="金额应大于 0")
    if not reason.strip():
        raise DeductionInvalid(problem="须写明原因（稽查结论）", field="reason")
    row = ClearingDeduction(id=new_id(), fixmedins_code=fixmedins_code, kind=kind, fund=fund, amount=value,
                            setl_id=setl_id, reason=reason.strip()[:200], case_ref=case_ref, decided_by=actor,
                            decided_at=now(), clearing_id=None)
    session.add(row)
    session.flush()
    return row


# ---------------------------------------------------------------------------------------------------
# Building, approving, paying


@dataclass(frozen=True, slots=True)
class Totals:
    settlements: int
    amounts: dict[str, Decimal]  # medfee_sumamt, the funds, fund_pay_sumamt, acct_pay, psn_cash_pay
    by_benefit: dict[str, dict[str, str]]


SUMMED = ("medfee_sumamt", "hifp_pay", "hifmi_pay", "maf_pay", "fund_pay_sumamt", "acct_pay", "acct_mulaid_pay",
          "psn_cash_pay")


def _totals(session: Session, clearing_id: str) -> Totals:
    query = (select(Settlement.benefit, func.count(), *(func.coalesce(func.sum(getattr(Settlement, name)), 0)
                                                         for name in SUMMED))
             .where(Settlement.clearing_id == clearing_id).group_by(Settlement.benefit).order_by(Settlement.benefit))
    amounts = dict.fromkeys(SUMMED, ZERO)
    count, by_benefit = 0, {}
    for benefit, rows, *sums in session.execute(query):
        values = dict(zip(SUMMED, (sql_money(v) for v in sums), strict=True))
        count += int(rows)
        amounts = {name: amounts[name] + values[name] for name in SUMMED}
        by_benefit[benefit] = {"count": str(rows), "medfee_sumamt": str(values["medfee_sumamt"]),
                               "fund_pay_sumamt": str(values["fund_pay_sumamt"])}
    amounts["acct_pay"] += amounts.pop("acct_mulaid_pay")
    return Totals(count, amounts, by_benefit)


def _check_month(session: Session, fixmedins_code: str, month: str, today: dt.date) -> dt.datetime:
    _, end = month_bounds(month)
    if today < end.date():
        raise MonthNotClosed(month=month)
    live = session.scalars(select(Clearing).where(Clearing.fixmedins_code == fixmedins_code,
                                                  Clearing.status != ClearingStatus.DISCARDED.value,
                                                  Clearing.month >= month)).first()
    if live is not None:
        raise ClearingExists(institution=fixmedins_code, month=live.month, clearing_id=live.id,
                             status=STATUS_LABELS[ClearingStatus(live.status)])
    return end


def build(session: Session, *, fixmedins_code: str, month: str, actor: str) -> Clearing:
    """The institution's statement of `month` (see the module's docstring), as a draft."""
    institution = institution_record(session, fixmedins_code)
    if institution is None:
        raise InstitutionNotFound(code=fixmedins_code)
    end = _check_month(session, fixmedins_code, month, now().date())
    clearing_id = new_id()
    session.execute(update(Settlement).where(
        Settlement.fixmedins_code == fixmedins_code, Settlement.clearing_id.is_(None), Settlement.setl_time < end,
        Settlement.kind.in_(CLEARED_KINDS)).values(clearing_id=clearing_id).execution_options(
        synchronize_session=False))
    session.execute(update(ClearingDeduction).where(  # every deduction decided before the statement is built
        ClearingDeduction.fixmedins_code == fixmedins_code, ClearingDeduction.clearing_id.is_(None))
        .values(clearing_id=clearing_id).execution_options(synchronize_session=False))
    totals = _totals(session, clearing_id)
    deducted = sql_money(session.scalar(select(func.coalesce(func.sum(ClearingDeduction.amount), 0))
                                        .where(ClearingDeduction.clearing_id == clearing_id)))
    a = totals.amounts
    clearing = Clearing(
        id=clearing_id, fixmedins_code=fixmedins_code, month=month, status=ClearingStatus.DRAFT.value,
        settlements=totals.settlements, **{name: a[name] for name in (*FUND_FIELDS.values(), "medfee_sumamt",
                                                                        "fund_pay_sumamt", "acct_pay",
                                                                        "psn_cash_pay")},
        deductions=deducted, payable=a["fund_pay_sumamt"] + a["acct_pay"] - deducted,
        by_benefit=json.dumps(totals.by_benefit, ensure_ascii=False), built_by=actor, built_at=now())
    session.add(clearing)
    session.flush()
    return clearing


def discard(session: Session, clearing_id: str, *, actor: str) -> Clearing:
    """A draft set aside: its settlements and deductions are free for the next statement."""
    clearing = _get(session, clearing_id, lock=True)
    _status(clearing, ClearingStatus.DRAFT, "作废")
    for model in (Settlement, ClearingDeduction):
        session.execute(update(model).where(model.clearing_id == clearing_id).values(clearing_id=None)
                        .execution_options(synchronize_session=False))
    clearing.status = ClearingStatus.DISCARDED.value
    clearing.discarded_by, clearing.discarded_at = actor, now()
    session.flush()
    return clearing


def deductions_of(session: Session, clearing_id: str) -> Sequence[ClearingDeduction]:
    return session.scalars(select(ClearingDeduction).where(ClearingDeduction.clearing_id == clearing_id)
                           .order_by(ClearingDeduction.decided_at, ClearingDeduction.id)).all()


def approval_postings(clearing: Clearing, deductions: Sequence[ClearingDeduction]) -> list[tuple[str, Decimal]]:
    """The approval's entry (see the module's docstring)."""
    taken = {code: ZERO for code in FUND_FIELDS}
    for d in deductions:
        taken[d.fund] += d.amount
    lines: list[tuple[str, Decimal]] = []
    for code, field in FUND_FIELDS.items():
        lines += [(f"fund:{code}", taken[code]), (cleared_account(code), getattr(clearing, field) - taken[code])]
    lines += [(institution_account(clearing.fixmedins_code), -sum(taken.values(), ZERO)),
              (ACCOUNTS_CLEARED, clearing.acct_pay), (payable_account(clearing.fixmedins_code), -clearing.payable)]
    return lines


def approve(session: Session, clearing_id: str, *, actor: str) -> Clearing:
    """审核: a second person approves; the payable is posted."""
    clearing = _get(session, clearing_id, lock=True)
    _status(clearing, ClearingStatus.DRAFT, "审核")
    if clearing.built_by == actor:
        raise OwnClearing(built_by=clearing.built_by)
    entry = post_journal(session, psn_no=None, setl_id=None,
                         memo=f"清算审核 {clearing.fixmedins_code} {clearing.month}",
                         postings=approval_postings(clearing, deductions_of(session, clearing_id)))
    clearing.status, clearing.approved_by, clearing.approved_at = ClearingStatus.APPROVED.value, actor, now()
    clearing.approval_entry = entry.id
    session.flush()
    return clearing


def pay(session: Session, clearing_id: str, *, payment_ref: str, actor: str) -> Clearing:
    """支付: the centre pays the approved payable (its bank transfer's reference); the payable is cleared."""
    if not payment_ref.strip() or len(payment_ref.strip()) > 60:
        raise DeductionInvalid(problem="：请填写银行转账凭证号（不超过 60 个字符）", field="payment_ref")
    clearing = _get(session, clearing_id, lock=True)
    _status(clearing, ClearingStatus.APPROVED, "支付")
    entry = post_journal(session, psn_no=None, setl_id=None,
                         memo=f"清算支付 {clearing.fixmedins_code} {clearing.month}",
                         postings=[(payable_account(clearing.fixmedins_code), clearing.payable),
                                   (BANK, -clearing.payable)])
    clearing.status, clearing.paid_by, clearing.paid_at = ClearingStatus.PAID.value, actor, now()
    clearing.payment_ref, clearing.payment_entry = payment_ref.strip(), entry.id
    session.flush()
    return clearing


# ---------------------------------------------------------------------------------------------------
# Reading


def cleared_through(session: Session) -> dt.date | None:
    """The last day of the latest month with an approved (or paid) statement: what is cleared is not reopened."""
    month = session.scalar(select(func.max(Clearing.month)).where(Clearing.status.in_(
        (ClearingStatus.APPROVED.value, ClearingStatus.PAID.value))))
    return month_bounds(month)[1].date() - dt.timedelta(days=1) if month else None


def get_clearing(session: Session, clearing_id: str, *, institution: str | None = None) -> Clearing:
    """A statement; an institution sees only its own."""
    found = _get(session, clearing_id)
    if institution is not None and found.fixmedins_code != institution:
        raise ClearingNotFound(clearing_id=clearing_id)
    return found


def clearings(session: Session, *, fixmedins_code: str | None = None, month: str | None = None,
              limit: int = 200) -> Sequence[Clearing]:
    query = select(Clearing).order_by(Clearing.month.desc(), Clearing.fixmedins_code)
    if fixmedins_code:
        query = query.where(Clearing.fixmedins_code == fixmedins_code)
    if month:
        query = query.where(Clearing.month == month)
    return session.scalars(query.limit(limit)).all()


def statement_lines(session: Session, clearing_id: str) -> Sequence[Settlement]:
    """The settlements and cancellations a statement took, in time order."""
    return session.scalars(select(Settlement).where(Settlement.clearing_id == clearing_id)
                           .order_by(Settlement.setl_time, Settlement.setl_id)).all()


def pending_institutions(session: Session, month: str) -> list[str]:
    """Institutions with settlements up to the end of `month` that no statement has taken."""
    _, end = month_bounds(month)
    return list(session.scalars(select(Settlement.fixmedins_code).distinct().where(
        Settlement.clearing_id.is_(None), Settlement.setl_time < end, Settlement.kind.in_(CLEARED_KINDS),
        Settlement.fixmedins_code.is_not(None)).order_by(Settlement.fixmedins_code)))


@dataclass(frozen=True, slots=True)
class MonthRun:
    month: str
    built: list[Clearing]
    skipped: dict[str, str]  # institution → why (a statement exists …)


def build_month(session: Session, *, month: str, actor: str,
                progress: Callable[[int, int], None] | None = None) -> MonthRun:
    """A draft statement for every institution with something to clear up to the end of `month`; one that cannot
    be built (a statement of that or a later month exists) is listed with its reason, the others are built."""
    institutions = pending_institutions(session, month)
    built, skipped = [], {}
    for done, code in enumerate(institutions, start=1):
        try:
            with session.begin_nested():
                built.append(build(session, fixmedins_code=code, month=month, actor=actor))
        except ClearingExists as exc:
            skipped[code] = exc.message
        if progress is not None:
            progress(done, len(institutions))
    return MonthRun(month, built, skipped)
