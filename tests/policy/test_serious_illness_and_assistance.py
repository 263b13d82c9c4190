"""Serious illness (POLICY.md §6) and medical assistance (POLICY.md §7) in 2022."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.conftest import settle_one
from yibao.policy.chain import Accumulators

CLASSES = ("extreme_poverty", "minimum_living", "marginal_low_income", "monitored_poverty", "illness_poverty")


def test_serious_illness_only_for_inpatient_and_special_disease_2022() -> None:
    acc = Accumulators(outpatient=Decimal("0"), serious_illness_burden=Decimal("30000"))
    outpatient = settle_one("adult", "outpatient", "tertiary_a", "3000.00", before=acc)
    assert (outpatient.hifmi_pay, outpatient.added.serious_illness_burden) == (0, 0)
    inpatient = settle_one("adult", "inpatient", "tertiary_a", "3000.00", before=acc)
    assert inpatient.added.serious_illness_burden == Decimal("3000.00") - inpatient.hifp_pay
    assert inpatient.hifmi_pay == (inpatient.added.serious_illness_burden * Decimal("0.50")).quantize(
        Decimal("0.01"))


def test_serious_illness_burden_includes_the_deductible_2022() -> None:
    """S18 §5: 个人自负 (the deductible) and 个人承担 (the personal share) both count."""
    result = settle_one("adult", "inpatient", "tertiary_a", "10000.00")
    assert result.added.serious_illness_burden == Decimal("1500") + Decimal("8500") * Decimal("0.30")


@pytest.mark.parametrize("assistance_class", CLASSES)
def test_assistance_recipients_serious_illness_from_10000_at_80_percent_2022(assistance_class: str) -> None:
    """S22 news: threshold halved to 10,000, no upper limit, at least 80%."""
    acc = Accumulators(serious_illness_burden=Decimal("600000"))
    result = settle_one("adult", "special_disease", "tertiary_a", "10000.00", before=acc,
                        special_disease_patient=True, assistance_class=assistance_class)
    assert result.hifmi_pay == Decimal("3000") * Decimal("0.80")
    small = settle_one("adult", "special_disease", "tertiary_a", "10000.00", special_disease_patient=True,
                       assistance_class=assistance_class, before=Accumulators(serious_illness_burden=Decimal(
                           "8000")))
    assert small.hifmi_pay == Decimal("1000") * Decimal("0.80")


def test_non_recipients_get_nothing_above_500000_of_burden_2022() -> None:
    acc = Accumulators(serious_illness_burden=Decimal("500000"))
    assert settle_one("adult", "special_disease", "other", "10000.00", before=acc,
                      special_disease_patient=True).hifmi_pay == 0


def test_high_cost_relief_pays_everything_above_30000_2022() -> None:
    """S22 news: remaining self-pay above 30,000 in a year is paid in full."""
    acc = Accumulators(assistance_selfpay=Decimal("29000"))
    result = settle_one("adult", "outpatient", "community", "2500.00", before=acc,
                        assistance_class="minimum_living")
    # community outpatient 60% → 1,000 remains; no serious illness; 29,000 + 1,000 reaches 30,000 exactly
    assert result.hifp_pay == Decimal("1500.00")
    assert result.maf_pay == Decimal("0.00")
    assert result.added.assistance_selfpay == Decimal("1000.00")
    over = settle_one("adult", "outpatient", "community", "2500.00", before=Accumulators(
        assistance_selfpay=Decimal("29500")), assistance_class="minimum_living")
    assert (over.maf_pay, over.added.assistance_selfpay) == (Decimal("500.00"), Decimal("500.00"))
    assert over.psn_part_amt == Decimal("500.00")


def test_assistance_needs_an_assistance_class() -> None:
    result = settle_one("adult", "inpatient", "tertiary_a", "400000.00",
                        before=Accumulators(assistance_selfpay=Decimal("100000")))
    assert result.maf_pay == 0
    assert result.added.assistance_selfpay == 0


def test_ordinary_assistance_rate_is_zero_until_set_2022(editions) -> None:  # type: ignore[no-untyped-def]
    """POLICY.md §7 ASSUMPTION: ordinary rates default to 0, each cited as an assumption."""
    for cls in editions.get("2022").medical_assistance.classes.values():
        assert cls.ordinary_rate.value == 0
        assert "ASSUMPTION" in cls.ordinary_rate.source
