"""Lines → scope (POLICY.md §5 "Policy scope", §7a step 1): 甲 in scope, 乙 after first self-pay, 丙 self-pay,
above the price ceiling self-pay; none of the self-paid amounts enter the bands."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from yibao.policy.chain import Accumulators, Claim, FeeLine, Insured, ItemClass, settle, split_line
from yibao.policy.editions import Benefit, Editions, Level
from yibao.policy.errors import InvalidClaim

TEN = Decimal("0.10")


def test_class_a_is_fully_in_scope() -> None:
    s = split_line(FeeLine(Decimal("100.00"), ItemClass.A), TEN)
    assert (s.inscp_scp_amt, s.preselfpay_amt, s.fulamt_ownpay_amt) == (Decimal("100.00"), 0, 0)


def test_class_b_uses_the_items_own_selfpay_prop() -> None:
    s = split_line(FeeLine(Decimal("500.00"), ItemClass.B, Decimal("0.15")), TEN)
    assert (s.preselfpay_amt, s.inscp_scp_amt, s.selfpay_prop) == (Decimal("75.00"), Decimal("425.00"),
                                                                   Decimal("0.15"))


def test_class_b_without_a_prop_uses_the_edition_default_10_percent(editions: Editions) -> None:
    assert editions.get("2022").first_selfpay_default.value == TEN
    s = split_line(FeeLine(Decimal("500.00"), ItemClass.B), TEN)
    assert (s.preselfpay_amt, s.inscp_scp_amt) == (Decimal("50.00"), Decimal("450.00"))


def test_first_selfpay_is_rounded_half_up_to_the_fen() -> None:
    s = split_line(FeeLine(Decimal("0.05"), ItemClass.B, Decimal("0.10")), TEN)  # 0.005 → 0.01
    assert (s.preselfpay_amt, s.inscp_scp_amt) == (Decimal("0.01"), Decimal("0.04"))


def test_class_c_is_fully_self_paid() -> None:
    s = split_line(FeeLine(Decimal("200.00"), ItemClass.C), TEN)
    assert (s.fulamt_ownpay_amt, s.inscp_scp_amt) == (Decimal("200.00"), 0)


def test_over_the_price_ceiling_is_self_paid_before_the_first_selfpay() -> None:
    s = split_line(FeeLine(Decimal("130.00"), ItemClass.B, Decimal("0.10"), Decimal("30.00")), TEN)
    assert (s.overlmt_selfpay, s.preselfpay_amt, s.inscp_scp_amt) == (Decimal("30.00"), Decimal("10.00"),
                                                                      Decimal("90.00"))


def _claim(*lines: FeeLine, benefit: Benefit = Benefit.OUTPATIENT) -> Claim:
    return Claim("x9", benefit, dt.date(2022, 5, 1), Level.COMMUNITY, lines)


@pytest.mark.parametrize(("line", "field"), [
    (FeeLine(Decimal("-1.00")), "amount"),
    (FeeLine(Decimal("10.00"), ItemClass.A, None, Decimal("11.00")), "overlimit"),
    (FeeLine(Decimal("10.00"), ItemClass.A, Decimal("0.1")), "selfpay_prop"),
    (FeeLine(Decimal("10.00"), ItemClass.B, Decimal("1.5")), "selfpay_prop"),
])
def test_bad_lines_are_refused_naming_the_claim(editions: Editions, line: FeeLine, field: str) -> None:
    with pytest.raises(InvalidClaim, match="费用 x9") as caught:
        settle(editions.get("2022"), Insured("adult"), _claim(line), Accumulators())
    assert caught.value.field == field


def test_a_claim_without_lines_is_refused(editions: Editions) -> None:
    with pytest.raises(InvalidClaim, match="没有费用明细"):
        settle(editions.get("2022"), Insured("adult"), _claim(), Accumulators())


def test_special_disease_claims_need_a_special_disease_patient(editions: Editions) -> None:
    with pytest.raises(InvalidClaim, match="门诊特病"):
        settle(editions.get("2022"), Insured("adult"), _claim(FeeLine(Decimal("1.00")),
                                                              benefit=Benefit.SPECIAL_DISEASE), Accumulators())


def test_self_paid_amounts_do_not_enter_the_bands(editions: Editions) -> None:
    lines = (FeeLine(Decimal("1000.00")), FeeLine(Decimal("900.00"), ItemClass.C),
             FeeLine(Decimal("100.00"), ItemClass.B, Decimal("0.20")))
    result = settle(editions.get("2022"), Insured("adult"), _claim(*lines), Accumulators())
    assert result.inscp_scp_amt == Decimal("1080.00")
    assert result.hifp_pay == Decimal("648.00")  # 1080 × 60% community
    assert result.added.outpatient == Decimal("1080.00")
    assert [s.inscp_scp_amt for s in result.lines] == [Decimal("1000.00"), 0, Decimal("80.00")]
