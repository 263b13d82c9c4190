"""Sanctions (POLICY.md §12): checked against the report's table for the case's violation type (rules.yaml), and
applied the moment a decision is made, through the services that enforce them:

- 追回 / 不予支付 of a direct settlement: a deduction from the institution's next clearing statement
  (clearing.record_deduction), which at approval posts Dr fund, Cr institution — the ledger's way back to the fund.
  Of a manual reimbursement (paid to the person): an entry Dr fund, Cr person (the person owes it back).
  No more than the fund paid on the settlement, less what was recovered or refused before.
  **Rule (written down here, ASSUMPTION):** a recovery or refusal never changes the person's accumulators — the
  person's year-to-date totals are what was settled at the counter; the institution (or the person, for a manual
  claim) repays the fund. Striking a fake head count (核减人头) marks the settlement for the statistics only.
- 暂停结算 for 1–12 months from the decision date: the agreement suspended (institutions.set_agreement), so the
  institution's next 2201/2207 is refused (institutions.check_designated).
- 解除协议: the agreement terminated.
- 医师扣分: the doctor's points of the year lowered (institutions.set_points_left); at 0 the doctor's covered
  lines are refused at upload (settlement/fees.check_prescribers). Points never go below zero.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from yibao.accounts.ledger import person_account, post_journal
from yibao.audit.errors import (
    PointsBelowZero,
    RecoveryTooLarge,
    SanctionInvalid,
    SanctionNotAllowed,
    SanctionOutOfRange,
)
from yibao.audit.models import AuditCase, Sanction
from yibao.audit.rules import RuleBook, SanctionRange, rule_book
from yibao.clearing.models import ClearingDeduction
from yibao.clearing.service import FUND_FIELDS, record_deduction
from yibao.glossary import FUNDS
from yibao.institutions.errors import InstitutionNotFound
from yibao.institutions.service import (
    docked_points,
    get_doctor,
    institution_record,
    set_agreement,
    set_points_left,
)
from yibao.kit.clock import now
from yibao.kit.dates import months_after
from yibao.kit.ids import new_id
from yibao.kit.money import ZERO, MoneyError, money
from yibao.settlement.models import Settlement, SettlementKind, SettlementStatus


class SanctionKind(StrEnum):
    RECOVERY = "recovery"  # 追回
    REFUSAL = "refusal"  # 不予支付
    SUSPENSION = "suspension"  # 暂停结算
    TERMINATION = "termination"  # 解除协议
    POINTS = "points"  # 医师扣分
    STRIKE = "strike"  # 核减虚增人头


SANCTION_LABELS = {SanctionKind.RECOVERY: "追回基金", SanctionKind.REFUSAL: "不予支付",
                   SanctionKind.SUSPENSION: "暂停医保结算", SanctionKind.TERMINATION: "解除定点服务协议",
                   SanctionKind.POINTS: "扣减医保医师积分", SanctionKind.STRIKE: "核减虚增人头"}
MONEY_KINDS = (SanctionKind.RECOVERY.value, SanctionKind.REFUSAL.value)
FUND_LABELS = {fund.code: fund.label for fund in FUNDS}


@dataclass(frozen=True, slots=True)
class SanctionIn:
    """One sanction of a proposed decision."""

    kind: str
    setl_id: str | None = None
    fund: str = "390100"
    amount: Decimal | str | None = None
    months: int | None = None
    points: int | None = None
    dr_code: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "setl_id": self.setl_id, "fund": self.fund,
                "amount": str(self.amount) if self.amount is not None else None, "months": self.months,
                "points": self.points, "dr_code": self.dr_code}


def doctor_points(session: Session, dr_code: str, day: dt.date, book: RuleBook | None = None) -> int:
    """The doctor's points left in the year of `day` (the year's full points until audit docks any)."""
    full = (book or rule_book()).doctor_points.per_year.value
    return docked_points(session, [dr_code], day.year).get(dr_code, full)


def _range(number: int, what: str, value: int | None, bounds: tuple[int, int] | None, unit: str,
           case: AuditCase, allowed: SanctionRange, book: RuleBook) -> int:
    label = book.type_label(case.vola_type)
    if bounds is None:
        raise SanctionNotAllowed(type=label, what=what, source=allowed.source)
    if value is None:
        raise SanctionInvalid(number=number, problem=f"请填写{what}的{unit}")
    low, high = bounds
    if not low <= value <= high:
        raise SanctionOutOfRange(type=label, what=what, low=low, high=high, unit=unit, value=value,
                                 source=allowed.source)
    return value


def _paid_and_taken(session: Session, setl_id: str, fund: str) -> tuple[Settlement, Decimal, Decimal]:
    row = session.scalar(select(Settlement).where(Settlement.setl_id == setl_id))
    if row is None or row.kind == SettlementKind.CANCEL.value:
        raise SanctionInvalid(number="—", problem=f"没有结算 {setl_id}", field="setl_id")
    paid = getattr(row, FUND_FIELDS[fund]) if row.status == SettlementStatus.VALID.value else ZERO
    deducted = session.scalar(select(func.coalesce(func.sum(ClearingDeduction.amount), 0)).where(
        ClearingDeduction.setl_id == setl_id, ClearingDeduction.fund == fund))
    personal = session.scalar(select(func.coalesce(func.sum(Sanction.amount), 0)).where(
        Sanction.setl_id == setl_id, Sanction.fund == fund, Sanction.kind.in_(MONEY_KINDS),
        Sanction.deduction_id.is_(None)))
    return row, paid, money(Decimal(str(deducted)) + Decimal(str(personal)))


def check_sanctions(session: Session, case: AuditCase, sanctions: Sequence[SanctionIn],
                    book: RuleBook | None = None) -> list[SanctionIn]:
    """Each sanction within the report's table for the case's type, against the right party, for no more than
    was paid; returns them normalised. Raises the first that is not."""
    book = book or rule_book()
    allowed = book.sanctions[case.vola_type]
    label = book.type_label(case.vola_type)
    checked: list[SanctionIn] = []
    asked: dict[tuple[str, str], Decimal] = {}  # (settlement, fund) → recovered by the lines before
    docked: dict[str, int] = {}  # doctor → points docked by the lines before
    for number, s in enumerate(sanctions, start=1):
        if s.kind not in SanctionKind.__members__.values():
            raise SanctionInvalid(number=number, problem=f"处理种类应为 {'、'.join(k.value for k in SanctionKind)}")
        kind = SanctionKind(s.kind)
        if kind in (SanctionKind.RECOVERY, SanctionKind.REFUSAL):
            checked.append(_check_money(session, case, s, number, asked, allowed, label))
        elif kind is SanctionKind.SUSPENSION:
            months = _range(number, "暂停结算", s.months, allowed.suspension, "个月", case, allowed, book)
            _institution_named(case, number)
            checked.append(SanctionIn(kind, months=months))
        elif kind is SanctionKind.TERMINATION:
            if not allowed.termination:
                raise SanctionNotAllowed(type=label, what="解除协议", source=allowed.source)
            _institution_named(case, number)
            checked.append(SanctionIn(kind))
        elif kind is SanctionKind.POINTS:
            points = _range(number, "医师扣分", s.points, allowed.points, "分", case, allowed, book)
            if not s.dr_code:
                raise SanctionInvalid(number=number, problem="扣分须写明医师编码", field="dr_code")
            get_doctor(session, s.dr_code)
            left = doctor_points(session, s.dr_code, now().date(), book) - docked.get(s.dr_code, 0)
            docked[s.dr_code] = docked.get(s.dr_code, 0) + points
            if points > left:
                raise PointsBelowZero(dr_code=s.dr_code, left=left, points=points)
            checked.append(SanctionIn(kind, points=points, dr_code=s.dr_code))
        else:
            if case.vola_type != "fake_visit" or not s.setl_id:
                raise SanctionInvalid(number=number, problem="核减人头只用于虚增服务人头案件，并须写明结算编号")
            _paid_and_taken(session, s.setl_id, "390100")
            checked.append(SanctionIn(kind, setl_id=s.setl_id))
    return checked


def _institution_named(case: AuditCase, number: int) -> None:
    if not case.fixmedins_code:
        raise SanctionInvalid(number=number, problem="暂停结算或解除协议须针对被查机构，本案未写明机构")


def _check_money(session: Session, case: AuditCase, s: SanctionIn, number: int,
                 asked: dict[tuple[str, str], Decimal], allowed: SanctionRange, label: str) -> SanctionIn:
    if not allowed.recovery:
        raise SanctionNotAllowed(type=label, what=SANCTION_LABELS[SanctionKind(s.kind)], source=allowed.source)
    if not s.setl_id:
        raise SanctionInvalid(number=number, problem="追回或不予支付须写明结算编号", field="setl_id")
    if s.fund not in FUND_FIELDS:
        raise SanctionInvalid(number=number, problem=f"基金应为 {'、'.join(FUND_FIELDS)}", field="fund")
    try:
        amount = money(s.amount if s.amount is not None else "")
    except MoneyError as exc:
        raise SanctionInvalid(number=number, problem=f"金额{exc}", field="amount") from None
    if amount <= 0:
        raise SanctionInvalid(number=number, problem="金额应大于 0", field="amount")
    row, paid, taken = _paid_and_taken(session, s.setl_id, s.fund)
    if case.fixmedins_code and row.fixmedins_code and row.fixmedins_code != case.fixmedins_code:
        raise SanctionInvalid(number=number, problem=f"结算 {s.setl_id} 不是被查机构 {case.fixmedins_code} 的",
                              field="setl_id")
    key = (s.setl_id, s.fund)
    taken += asked.get(key, ZERO)
    if amount > paid - taken:
        raise RecoveryTooLarge(setl_id=s.setl_id, fund=FUND_LABELS[s.fund], paid=paid, taken=taken, amount=amount)
    asked[key] = asked.get(key, ZERO) + amount
    return SanctionIn(s.kind, setl_id=s.setl_id, fund=s.fund, amount=amount)


def apply_sanctions(session: Session, case: AuditCase, sanctions: Sequence[SanctionIn], *, actor: str,
                    book: RuleBook | None = None) -> list[Sanction]:
    """Carry out a decision's sanctions at once, each recorded with what it did; `check_sanctions` has just
    passed them together (the decision checks them again in its own transaction, the case locked)."""
    book = book or rule_book()
    today, moment = now().date(), now()
    reason = f"{case.ref} {book.type_label(case.vola_type)}"
    rows = []
    for s in sanctions:
        row = Sanction(id=new_id(), case_id=case.id, kind=s.kind, fixmedins_code=case.fixmedins_code,
                       dr_code=s.dr_code, setl_id=s.setl_id, fund=s.fund if s.kind in MONEY_KINDS else None,
                       amount=Decimal(str(s.amount)) if s.amount is not None else None, months=s.months,
                       points=s.points, effective_from=today, effective_to=None, deduction_id=None, entry_id=None,
                       decided_at=moment)
        if s.kind in MONEY_KINDS:
            _recover(session, row, s, reason, actor, case.ref)
        elif s.kind == SanctionKind.SUSPENSION:
            row.effective_to = _suspend(session, case, s.months or 0, today, reason)
        elif s.kind == SanctionKind.TERMINATION:
            set_agreement(session, code=case.fixmedins_code or "", status="terminated", reason=reason)
        elif s.kind == SanctionKind.POINTS:
            left = doctor_points(session, s.dr_code or "", today, book)
            set_points_left(session, dr_code=s.dr_code or "", year=today.year, points=left - (s.points or 0))
            row.effective_to = dt.date(today.year, 12, 31)
        session.add(row)
        rows.append(row)
    session.flush()
    return rows


def _recover(session: Session, row: Sanction, s: SanctionIn, reason: str, actor: str, case_ref: str) -> None:
    settlement, _, _ = _paid_and_taken(session, s.setl_id or "", s.fund)
    amount = Decimal(str(s.amount))
    if settlement.kind == SettlementKind.MANUAL.value or settlement.fixmedins_code is None:
        fund = next(f for f in FUNDS if f.code == s.fund)
        entry = post_journal(session, psn_no=settlement.psn_no, setl_id=None, memo=f"稽查追回 {reason}",
                             postings=[(fund.account, amount), (person_account(settlement.psn_no), -amount)])
        row.entry_id = entry.id
        return
    deduction = record_deduction(session, fixmedins_code=settlement.fixmedins_code, kind=s.kind, fund=s.fund,
                                 amount=amount, reason=reason, actor=actor, setl_id=s.setl_id,
                                 case_ref=case_ref)
    row.deduction_id = deduction.id
    row.fixmedins_code = settlement.fixmedins_code


def _suspend(session: Session, case: AuditCase, months: int, today: dt.date, reason: str) -> dt.date:
    institution = institution_record(session, case.fixmedins_code or "")
    if institution is None:
        raise InstitutionNotFound(code=case.fixmedins_code)
    until = months_after(today, months) - dt.timedelta(days=1)
    if institution.agreement_status == "terminated":
        return until  # already out of the scheme: nothing to suspend
    if institution.agreement_status == "suspended" and institution.suspended_until and \
            institution.suspended_until > until:
        until = institution.suspended_until  # a longer suspension already runs
    set_agreement(session, code=case.fixmedins_code or "", status="suspended", until=until, reason=reason)
    return until
