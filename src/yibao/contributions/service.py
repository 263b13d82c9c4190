"""Contribution operations (POLICY.md §4, S22 §3): bills, payments by channel, refunds, reconciliation.

Contributions know a bill's owner only as a `BillOwner` (the registration date and the channel it was made
through): the enrollment domain above passes its enrollments in and activates them when their bills are paid
(`yibao.enrollment.payments`), so this package imports nothing from enrollment."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, NamedTuple, Protocol

from sqlalchemy import func, insert, null, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from yibao.access.trail import INSERTED, trail_changes
from yibao.contributions.errors import (
    AmountMalformed,
    AmountMismatch,
    BillNotFound,
    BillNotPayable,
    CardNotInAgreement,
    CashOutsideEntrustedBank,
    NoWithholdingAgreement,
    PaidBeforeRegistration,
    PaidInTheFuture,
    PaymentRefusal,
    ReferenceRequired,
    ReferenceUsed,
    SchoolChannelRefused,
    UnknownChannel,
)
from yibao.contributions.models import BankAgreement, Bill, Payment, Refund
from yibao.db import sql_money
from yibao.errors import InvalidInput, NotFound
from yibao.kit.clock import now
from yibao.kit.errors import DomainError
from yibao.kit.ids import new_id
from yibao.kit.money import ZERO, MoneyError, money
from yibao.people.models import Person
from yibao.people.service import other_person_id, reserve_numbers
from yibao.statements import among, insert_many, update_many

# The 8 banks entrusted by the tax bureau to collect in cash (S22 §3.3)
BANKS: dict[str, str] = {
    "boc": "中国银行",
    "abc": "农业银行",
    "icbc": "工商银行",
    "ccb": "建设银行",
    "bocom": "交通银行",
    "psbc": "邮储银行",
    "nbcb": "宁波银行",
    "rcc": "农信社",
}
PAYMENT_CHANNELS: dict[str, str] = {
    "bank_withholding": "银行卡代扣",
    "wechat": "微信（宁波税务·社保缴费）",
    "alipay": "支付宝（宁波社保缴费）",
    "cash": "委托银行柜面现金",
    "school": "学校代收",
}
BILL_STATUS = {"unpaid": "待缴费", "paid": "已缴费", "waived": "全额资助", "refunded": "已退费", "void": "已作废"}


class BillOwner(Protocol):
    """What a payment's rules need of the enrollment a bill belongs to."""

    @property
    def psn_no(self) -> str: ...

    @property
    def id(self) -> str: ...

    @property
    def year(self) -> int: ...

    @property
    def personal_amount(self) -> Decimal: ...

    @property
    def registration_date(self) -> dt.date: ...

    @property
    def channel(self) -> str: ...


def _bill_row(enrollment: dict[str, Any], bill_no: str, moment: dt.datetime) -> dict[str, Any]:
    due = enrollment["personal_amount"]
    return {"psn_no": enrollment["psn_no"], "id": new_id(), "bill_no": bill_no, "enrollment_id": enrollment["id"],
            "year": enrollment["year"], "amount_due": due, "status": "unpaid" if due > 0 else "waived",
            "paid_at": None, "created_at": moment}


def _bill_numbers(session: Session, year: int, count: int) -> list[str]:
    first = reserve_numbers(session, "bill_no", count)
    return [f"{year}{number:010d}" for number in range(first, first + count)]


def open_bills(session: Session, enrollments: Sequence[BillOwner]) -> None:
    """One bill per enrollment: the personal contribution due, waived when fully subsidised."""
    moment = now()
    for enrollment in enrollments:
        (number,) = _bill_numbers(session, enrollment.year, 1)
        facts = {"psn_no": enrollment.psn_no, "id": enrollment.id, "year": enrollment.year,
                 "personal_amount": enrollment.personal_amount}
        session.add(Bill(**_bill_row(facts, number, moment)))
    session.flush()


def open_bills_bulk(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    if not rows:
        return
    moment = now()
    numbers = _bill_numbers(session, rows[0]["year"], len(rows))
    session.execute(insert(Bill), [_bill_row(row, number, moment) for row, number in zip(rows, numbers, strict=True)])


def bill_by_no(session: Session, bill_no: str) -> Bill:
    bill = session.scalar(select(Bill).where(Bill.bill_no == bill_no))
    if bill is None:
        raise BillNotFound(bill_no=bill_no)
    return bill


def bills_of(session: Session, psn_no: str) -> Sequence[Bill]:
    return session.scalars(select(Bill).where(Bill.psn_no == psn_no).order_by(Bill.year.desc())).all()


def payments_of(session: Session, psn_no: str) -> Sequence[Payment]:
    return session.scalars(select(Payment).where(Payment.psn_no == psn_no).order_by(Payment.paid_on.desc())).all()


def sign_agreement(session: Session, *, psn_no: str, bank: str, card_no: str, signed_on: dt.date) -> BankAgreement:
    """A withholding agreement for one card; it replaces the person's previous one (S22 §3.1)."""
    if session.get(Person, psn_no) is None:
        raise NotFound(f"没有人员编号为 {psn_no} 的参保人", field="psn_no")
    if bank not in BANKS:
        choices = "、".join(f"{code}({name})" for code, name in BANKS.items())
        raise InvalidInput(f"未知的银行 {bank!r}，可选：{choices}", field="bank")
    card = card_no.replace(" ", "")
    if not card.isdigit() or not 12 <= len(card) <= 19:
        raise InvalidInput("银行卡号应为 12–19 位数字", field="card_no")
    for old in session.scalars(select(BankAgreement).where(BankAgreement.psn_no == psn_no,
                                                           BankAgreement.status == "active")):
        old.status = "replaced"
    session.flush()
    agreement = BankAgreement(psn_no=psn_no, bank=bank, card_no=card, signed_on=signed_on, status="active",
                              created_at=now())
    session.add(agreement)
    session.flush()
    return agreement


@dataclass(frozen=True, slots=True)
class PaymentRequest:
    bill_no: str
    channel: str
    amount: str | Decimal
    paid_on: dt.date
    reference: str
    bank: str | None = None
    card_no: str | None = None
    payer_name: str | None = None
    payer_certno: str | None = None
    # a bank's result line names the request's agreement rather than the card: the card deducted is that
    # agreement's, so the payment stands while the agreement is still the person's live one
    agreement_id: str | None = None


@dataclass(frozen=True, slots=True)
class CheckedPayment:
    """A payment that passed every rule: the exact amount, the payer other than the insured (if any) and the
    withholding agreement used (if any)."""

    amount: Decimal
    payer_certno: str | None
    agreement_id: str | None


class Insured(Protocol):
    """Whose bill it is, as far as a payment needs to know: their ID number (a payer other than them is named)."""

    @property
    def certno(self) -> str: ...


class InsuredId(NamedTuple):
    psn_no: str
    certno: str


class PayableBill(Protocol):
    """A bill as a payment's rules read it (the ORM row at the window, a plain row in a bulk file)."""

    @property
    def bill_no(self) -> str: ...

    @property
    def status(self) -> str: ...

    @property
    def amount_due(self) -> Decimal: ...


class Agreement(Protocol):
    """A withholding agreement as a payment's rules read it."""

    @property
    def id(self) -> str: ...

    @property
    def bank(self) -> str: ...

    @property
    def card_no(self) -> str | None: ...


class BillRow(NamedTuple):
    """A bill read for a bulk file (no ORM object: a file of 280,000 lines holds none)."""

    psn_no: str
    id: str
    bill_no: str
    enrollment_id: str
    status: str
    amount_due: Decimal


class AgreementRow(NamedTuple):
    psn_no: str
    id: str
    bank: str
    card_no: str | None  # None when not read: every withholding line of the batch names its agreement


def check_payment(request: PaymentRequest, bill: PayableBill | None, enrollment: BillOwner, person: Insured,
                  agreement: Agreement | None, *, today: dt.date) -> CheckedPayment:
    """Every rule a payment must meet, the same for one payment at the window and a line of a bulk file
    (POLICY.md §4, S22 §3): an unpaid bill, the exact amount, dated between registration and today, a reference,
    a known channel (cash at an entrusted bank, school only for a school's students, withholding through the
    person's active agreement, card and bank), and a payer other than the insured named with a valid ID
    (代缴的另需提供代缴人身份证, S22 §3.3)."""
    if bill is None:
        raise BillNotFound(bill_no=request.bill_no)
    if bill.status != "unpaid":
        raise BillNotPayable(bill_no=bill.bill_no, status=BILL_STATUS[bill.status])
    try:
        amount = money(request.amount)
    except MoneyError as exc:
        raise AmountMalformed(reason=str(exc)) from None
    if amount != bill.amount_due:
        raise AmountMismatch(amount=amount, due=bill.amount_due)
    if request.paid_on < enrollment.registration_date:
        raise PaidBeforeRegistration()
    if request.paid_on > today:
        raise PaidInTheFuture(paid_on=request.paid_on)
    if not request.reference.strip():
        raise ReferenceRequired()
    payer = other_person_id(request.payer_name, request.payer_certno, role="代缴人", field="payer_certno")
    return CheckedPayment(amount, None if payer == person.certno else payer,
                          _check_channel(request, enrollment, agreement))


def _check_channel(request: PaymentRequest, enrollment: BillOwner, agreement: Agreement | None) -> str | None:
    """Channel rules; returns the withholding agreement id where one is used."""
    if request.channel not in PAYMENT_CHANNELS:
        raise UnknownChannel(channel=request.channel, choices="、".join(PAYMENT_CHANNELS))
    if request.channel == "cash" and request.bank not in BANKS:
        raise CashOutsideEntrustedBank(banks="、".join(BANKS.values()))
    if request.channel == "school" and enrollment.channel != "school":
        raise SchoolChannelRefused()
    if request.channel != "bank_withholding":
        return None
    if agreement is None:
        raise NoWithholdingAgreement()
    if request.agreement_id is not None:
        same = agreement.id == request.agreement_id
    else:
        same = agreement.card_no is not None and agreement.card_no == (request.card_no or "").replace(" ", "")
    if not same or (request.bank is not None and request.bank != agreement.bank):
        raise CardNotInAgreement()
    return agreement.id


def _active_agreement(session: Session, psn_no: str) -> BankAgreement | None:
    return session.scalar(select(BankAgreement).where(BankAgreement.psn_no == psn_no,
                                                      BankAgreement.status == "active"))


def find_bill(session: Session, bill_no: str) -> Bill | None:
    return session.scalar(select(Bill).where(Bill.bill_no == bill_no))


def pay_bill(session: Session, request: PaymentRequest, *, owner: BillOwner | None, actor: str) -> Payment:
    """Record a payment of the bill `request` names, whose owner is `owner`; the bill becomes paid (POLICY.md §4;
    the enrollment domain then activates the enrollment)."""
    bill = find_bill(session, request.bill_no)
    person = session.get(Person, bill.psn_no) if bill else None
    if bill is None or owner is None or person is None:
        raise BillNotFound(bill_no=request.bill_no)
    checked = check_payment(request, bill, owner, person, _active_agreement(session, bill.psn_no),
                            today=now().date())
    payment = Payment(psn_no=bill.psn_no, bill_id=bill.id, channel=request.channel, bank=request.bank,
                      agreement_id=checked.agreement_id,
                      payer_name=request.payer_name if checked.payer_certno else None,
                      payer_certno=checked.payer_certno, amount=checked.amount, paid_on=request.paid_on,
                      reference=request.reference.strip(), created_by=actor, created_at=now())
    session.add(payment)
    bill.status, bill.paid_at = "paid", now()
    try:
        session.flush()
    except IntegrityError:
        raise ReferenceUsed(reference=request.reference) from None
    return payment


BULK_CHANNELS = frozenset(PAYMENT_CHANNELS) - {"school"}  # a school pays for its students as one batch


@dataclass(frozen=True, slots=True)
class Collected:
    """A bulk collection's outcome: lines paid and refused by reason, and the bills it paid."""

    counts: dict[str, int]
    paid: list[BillRow]
    refusals: dict[int, str]  # the refused lines: their index in the batch → why (the refusal's message)


_BILL_COLUMNS = tuple(getattr(Bill, name) for name in BillRow._fields)


def bills_by_no(session: Session, bill_nos: Sequence[str]) -> dict[str, BillRow]:
    return {row.bill_no: BillRow._make(row) for matching in among(session, Bill.bill_no, sorted(set(bill_nos)))
            for row in session.execute(select(*_BILL_COLUMNS).where(matching))}


def collect_bulk(session: Session, requests: Sequence[PaymentRequest], bills: dict[str, BillRow],
                 owners: Mapping[tuple[str, str], BillOwner], *, actor: str) -> Collected:
    """Apply a batch of payments (a bank's daily withholding file, an app's settlement file) to `bills` (by
    number; `owners` by (psn_no, enrollment id)).

    Each line is checked by `check_payment`, the rules of a single payment, with the persons and agreements of
    the whole batch read at once; refused lines are counted by reason (the refusal's summary) and nothing of
    them is written. A reference used twice in the batch, or already used, is refused.
    """
    holders = sorted({b.psn_no for b in bills.values()})
    a = BankAgreement
    # a card number is opened only where a line gives one to compare (a bank's result line names its agreement)
    card = a.card_no if any(r.channel == "bank_withholding" and r.agreement_id is None for r in requests) \
        else null().label("card_no")
    agreements = {row.psn_no: AgreementRow._make(row) for matching in among(session, a.psn_no, holders)
                  for row in session.execute(select(a.psn_no, a.id, a.bank, card)
                                             .where(matching, a.status == "active"))}
    # the insured's ID number is opened only where a line names a payer (代缴人) to tell apart from them
    named = sorted({bills[r.bill_no].psn_no for r in requests if r.payer_certno and r.bill_no in bills})
    persons = {psn_no: InsuredId(psn_no, "") for psn_no in holders}
    persons |= {psn_no: InsuredId(psn_no, certno) for matching in among(session, Person.psn_no, named)
                for psn_no, certno in session.execute(select(Person.psn_no, Person.certno).where(matching))}
    used = {r for matching in among(session, Payment.reference, sorted({r.reference.strip() for r in requests}))
            for r in session.scalars(select(Payment.reference).where(matching))}
    refused: dict[str, int] = {}
    refusals: dict[int, str] = {}
    payments: list[dict[str, object]] = []
    paid: list[BillRow] = []
    moment, today = now(), now().date()
    for index, request in enumerate(requests):
        bill = bills.get(request.bill_no)
        try:
            if request.channel not in BULK_CHANNELS and request.channel in PAYMENT_CHANNELS:
                raise SchoolChannelRefused()
            owner = owners.get((bill.psn_no, bill.enrollment_id)) if bill else None
            if bill is None or owner is None:
                raise BillNotFound(bill_no=request.bill_no)
            checked = check_payment(request, bill, owner, persons[bill.psn_no], agreements.get(bill.psn_no),
                                    today=today)
            if request.reference.strip() in used:
                raise ReferenceUsed(reference=request.reference)
        except PaymentRefusal as refusal:
            reason = refusal.summarised()
            refused[reason] = refused.get(reason, 0) + 1
            refusals[index] = refusal.message
            continue
        except DomainError as refusal:  # the payer's identity (people.other_person_id)
            refused[refusal.message] = refused.get(refusal.message, 0) + 1
            refusals[index] = refusal.message
            continue
        used.add(request.reference.strip())
        payments.append({"psn_no": bill.psn_no, "id": new_id(), "bill_id": bill.id, "channel": request.channel,
                         "bank": request.bank, "agreement_id": checked.agreement_id,
                         "payer_name": request.payer_name if checked.payer_certno else None,
                         "payer_certno": checked.payer_certno, "amount": checked.amount,
                         "paid_on": request.paid_on, "reference": request.reference.strip(),
                         "created_by": actor, "created_at": moment})
        paid.append(bill)
        bills[bill.bill_no] = bill._replace(status="paid")  # a second line for the same bill is refused
    insert_many(session, Payment, payments)
    trail_changes(session, Payment, INSERTED, [b.psn_no for b in paid])
    update_many(session, Bill, [{"psn_no": b.psn_no, "id": b.id, "status": "paid", "paid_at": moment} for b in paid])
    return Collected({"paid": len(payments), **refused}, paid, refusals)


def settle_bill_on_cancel(session: Session, enrollment: BillOwner, *, reason: str, on: dt.date, actor: str) -> None:
    """An unpaid or waived bill is voided; a paid one is refunded in full (a new Refund row)."""
    bill = session.scalar(select(Bill).where(Bill.psn_no == enrollment.psn_no,
                                             Bill.enrollment_id == enrollment.id))
    if bill is None:
        return
    if bill.status == "paid":
        payment = session.scalar(select(Payment).where(Payment.psn_no == bill.psn_no, Payment.bill_id == bill.id))
        assert payment is not None
        session.add(Refund(psn_no=bill.psn_no, payment_id=payment.id, amount=payment.amount, refunded_on=on,
                           reason=reason.strip()[:200], created_by=actor, created_at=now()))
        bill.status = "refunded"
    elif bill.status in ("unpaid", "waived"):
        bill.status = "void"
    session.flush()


# ---------------------------------------------------------------------------------------------------
# Daily reconciliation per channel and bank


@dataclass(frozen=True, slots=True)
class StatementLine:
    """A collecting party's own totals for a day (bank, WeChat, Alipay …)."""

    channel: str
    bank: str | None
    count: int
    amount: Decimal


@dataclass(frozen=True, slots=True)
class ReconciliationRow:
    channel: str
    bank: str | None
    payments: int
    paid: Decimal
    refunds: int
    refunded: Decimal
    statement_count: int | None
    statement_amount: Decimal | None

    @property
    def net(self) -> Decimal:
        return self.paid - self.refunded

    @property
    def matched(self) -> bool | None:
        if self.statement_amount is None:
            return None
        return self.statement_count == self.payments and self.statement_amount == self.paid


def reconcile_day(session: Session, day: dt.date, statements: Iterable[StatementLine] = ()) -> list[ReconciliationRow]:
    """Per channel and bank: what was collected and refunded on `day`, beside each party's statement."""
    paid = {(c, b): (int(n), sql_money(s)) for c, b, n, s in session.execute(
        select(Payment.channel, Payment.bank, func.count(), func.coalesce(func.sum(Payment.amount), 0))
        .where(Payment.paid_on == day).group_by(Payment.channel, Payment.bank))}
    refunded = {(c, b): (int(n), sql_money(s)) for c, b, n, s in session.execute(
        select(Payment.channel, Payment.bank, func.count(), func.coalesce(func.sum(Refund.amount), 0))
        .join(Payment, (Payment.psn_no == Refund.psn_no) & (Payment.id == Refund.payment_id))
        .where(Refund.refunded_on == day).group_by(Payment.channel, Payment.bank))}
    stated = {(s.channel, s.bank): s for s in statements}
    rows = []
    for key in sorted(set(paid) | set(refunded) | set(stated), key=lambda k: (k[0], k[1] or "")):
        count, amount = paid.get(key, (0, ZERO))
        refund_count, refund_amount = refunded.get(key, (0, ZERO))
        statement = stated.get(key)
        rows.append(ReconciliationRow(key[0], key[1], count, amount, refund_count, refund_amount,
                                      statement.count if statement else None,
                                      statement.amount if statement else None))
    return rows
