"""Contributions (issue 3 §4; S22 §3): bills, channels, agreements, payer identity, refunds, reconciliation."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.registry.helpers import certno, person
from tests.registry.test_enrollment import bill_of, enroll
from yibao.contributions.models import Payment, Refund
from yibao.contributions.service import (
    PaymentRequest,
    StatementLine,
    reconcile_day,
    sign_agreement,
)
from yibao.enrollment.payments import collect_contributions, pay_contribution
from yibao.enrollment.service import cancel_enrollment
from yibao.errors import Conflict, InvalidInput, Refused

d = dt.date.fromisoformat


def payments(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(Payment)) or 0


@pytest.fixture
def bill_no(session: Session) -> str:
    return bill_of(session, enroll(session, person(session).psn_no)).bill_no


def pay(session: Session, bill_no: str, channel: str = "wechat", amount: str = "750.00", ref: str = "R1",
        **kw: object) -> Payment:
    return pay_contribution(session, PaymentRequest(bill_no, channel, amount, d("2021-11-01"), ref, **kw),  # type: ignore[arg-type]
                    actor="t")


def test_payment_activates_the_enrollment(session: Session, bill_no: str) -> None:
    payment = pay(session, bill_no, "alipay")
    assert payment.amount == Decimal("750.00")
    from yibao.contributions.service import bill_by_no
    from yibao.enrollment.models import Enrollment

    bill = bill_by_no(session, bill_no)
    assert bill.status == "paid"
    assert session.get(Enrollment, (bill.psn_no, bill.enrollment_id)).status == "active"  # type: ignore[union-attr]


@pytest.mark.parametrize("amount", ["749.99", "750.01", "0.00"])
def test_a_payment_that_does_not_match_the_bill_is_refused(session: Session, bill_no: str, amount: str) -> None:
    with pytest.raises(InvalidInput, match="不符"):
        pay(session, bill_no, amount=amount)
    assert payments(session) == 0


def test_money_must_be_exact(session: Session, bill_no: str) -> None:
    with pytest.raises(InvalidInput, match="两位小数"):
        pay(session, bill_no, amount="750.001")


def test_a_bill_is_paid_once(session: Session, bill_no: str) -> None:
    pay(session, bill_no)
    with pytest.raises(Conflict, match="已缴费"):
        pay(session, bill_no, ref="R2")


def test_cash_only_at_the_8_entrusted_banks(session: Session, bill_no: str) -> None:
    with pytest.raises(InvalidInput, match="委托银行"):
        pay(session, bill_no, "cash", bank="citibank")
    assert pay(session, bill_no, "cash", bank="nbcb").bank == "nbcb"


def test_someone_else_paying_gives_name_and_id(session: Session, bill_no: str) -> None:
    with pytest.raises(InvalidInput, match=r"^他人代缴须同时登记代缴人姓名和身份证号$"):
        pay(session, bill_no, "cash", bank="boc", payer_name="邬母")
    with pytest.raises(InvalidInput, match="代缴人身份证号无效"):
        pay(session, bill_no, "cash", bank="boc", payer_name="邬母", payer_certno="330283")
    payer = certno("1955-01-01", sex="2")
    paid = pay(session, bill_no, "cash", bank="boc", payer_name="邬母", payer_certno=payer)
    assert (paid.payer_name, paid.payer_certno) == ("邬母", payer)


def test_withholding_needs_an_agreement_per_card(session: Session, bill_no: str) -> None:
    """S22 §3.1: a new card or bank needs a new agreement."""
    from yibao.contributions.service import bill_by_no

    psn_no = bill_by_no(session, bill_no).psn_no
    with pytest.raises(Refused, match="代扣协议"):
        pay(session, bill_no, "bank_withholding", bank="icbc", card_no="6222020000000001")
    sign_agreement(session, psn_no=psn_no, bank="icbc", card_no="6222020000000001", signed_on=d("2021-09-01"))
    sign_agreement(session, psn_no=psn_no, bank="ccb", card_no="6217000000000002", signed_on=d("2021-10-01"))
    with pytest.raises(Refused, match="重新签订"):
        pay(session, bill_no, "bank_withholding", bank="icbc", card_no="6222020000000001")
    assert pay(session, bill_no, "bank_withholding", bank="ccb", card_no="6217000000000002").agreement_id


def test_school_collection_only_for_school_enrollments(session: Session, bill_no: str) -> None:
    with pytest.raises(Refused, match="学校"):
        pay(session, bill_no, "school")


def test_a_reference_is_used_once(session: Session, bill_no: str) -> None:
    pay(session, bill_no, ref="DUP")
    other = bill_of(session, enroll(session, person(session, "1970-03-03").psn_no)).bill_no
    with pytest.raises(Conflict, match="流水号"):
        pay(session, other, ref="DUP")


def test_cancelling_a_paid_enrollment_refunds_it(session: Session, bill_no: str) -> None:
    paid = pay(session, bill_no, "alipay")
    from yibao.contributions.service import bill_by_no

    bill = bill_by_no(session, bill_no)
    cancel_enrollment(session, psn_no=bill.psn_no, enrollment_id=bill.enrollment_id, reason="转职工医保",
                      on=d("2021-12-01"), actor="t")
    refund = session.scalars(select(Refund).where(Refund.payment_id == paid.id)).one()
    assert (refund.amount, bill.status) == (Decimal("750.00"), "refunded")


def test_daily_reconciliation_per_channel_and_bank(session: Session, bill_no: str) -> None:
    pay(session, bill_no, "cash", bank="icbc", ref="C1")
    second = bill_of(session, enroll(session, person(session, "1971-01-01").psn_no)).bill_no
    pay(session, second, "cash", bank="icbc", ref="C2")
    third = bill_of(session, enroll(session, person(session, "1972-01-01").psn_no)).bill_no
    pay(session, third, "wechat", ref="W1")
    rows = {(r.channel, r.bank): r for r in reconcile_day(session, d("2021-11-01"), [
        StatementLine("cash", "icbc", 2, Decimal("1500.00")), StatementLine("wechat", None, 1, Decimal("700.00"))])}
    assert (rows["cash", "icbc"].payments, rows["cash", "icbc"].paid, rows["cash", "icbc"].matched) == (
        2, Decimal("1500.00"), True)
    assert rows["wechat", None].matched is False
    assert reconcile_day(session, d("2021-11-02")) == []


def test_bulk_collection_applies_the_same_rules(session: Session, bill_no: str) -> None:
    other = bill_of(session, enroll(session, person(session, "1973-01-01").psn_no)).bill_no
    outcome = collect_contributions(session, [
        PaymentRequest(bill_no, "wechat", "750.00", d("2021-11-03"), "B1"),
        PaymentRequest(other, "wechat", "700.00", d("2021-11-03"), "B2"),
        PaymentRequest("nope", "wechat", "750.00", d("2021-11-03"), "B3"),
        PaymentRequest(bill_no, "wechat", "750.00", d("2021-11-03"), "B4"),
        PaymentRequest(other, "wechat", "七百五", d("2021-11-03"), "B5"),
    ], actor="t")
    assert outcome == {"paid": 1, "金额与应缴不符": 1, "缴费单不存在": 1, "缴费单状态为已缴费": 1, "金额格式不正确": 1}
    assert payments(session) == 1


def test_bulk_collection_checks_what_a_single_payment_checks(session: Session, bill_no: str) -> None:
    """One payment check for both paths (issue 12 item 6): card spaces, the agreement's bank, the date against
    registration and today, the payer's identity, a reference used before or twice in the file."""
    from yibao.contributions.service import bill_by_no

    psn_no = bill_by_no(session, bill_no).psn_no
    sign_agreement(session, psn_no=psn_no, bank="icbc", card_no="6222020000000001", signed_on=d("2021-09-01"))
    bills = [bill_of(session, enroll(session, person(session, f"19{60 + n}-02-02").psn_no)).bill_no for n in range(6)]
    pay(session, bills[5], ref="USED")
    outcome = collect_contributions(session, [
        PaymentRequest(bill_no, "bank_withholding", "750.00", d("2021-11-03"), "K1", bank="ccb",
                       card_no="6222 0200 0000 0001"),  # the card of the agreement, the bank not
        PaymentRequest(bills[0], "wechat", "750.00", d("2021-09-01"), "K2"),  # before its registration
        PaymentRequest(bills[1], "wechat", "750.00", d("2099-01-01"), "K3"),  # in the future
        PaymentRequest(bills[2], "wechat", "750.00", d("2021-11-03"), "K4", payer_name="邬母",
                       payer_certno="330283195001011234"),  # not a valid ID number
        PaymentRequest(bills[3], "wechat", "750.00", d("2021-11-03"), "USED"),
        PaymentRequest(bills[4], "school", "750.00", d("2021-11-03"), "K6"),
    ], actor="t")
    assert outcome == {"paid": 0, "扣款卡或银行与代扣协议不符": 1, "缴费日期早于参保登记日期": 1, "缴费日期晚于今天": 1,
                       "代缴人身份证号无效：身份证号校验位不正确，请核对号码": 1, "缴费流水号重复": 1,
                       "非学校参保不能由学校代收": 1}, outcome
    spaced = collect_contributions(session, [
        PaymentRequest(bill_no, "bank_withholding", "750.00", d("2021-11-03"), "K7", bank="icbc",
                       card_no="6222 0200 0000 0001"),
        PaymentRequest(bills[0], "wechat", "750.00", d("2021-11-03"), "K7"),  # the same reference twice
    ], actor="t")
    assert spaced == {"paid": 1, "缴费流水号重复": 1}
    with pytest.raises(InvalidInput) as future:
        pay_contribution(session, PaymentRequest(bills[1], "wechat", "750.00", d("2099-01-01"), "K8"), actor="t")
    assert future.value.code == "paid_in_the_future"
