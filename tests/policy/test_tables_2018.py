"""The 2018 edition: outpatient (S18 §2), inpatient table (S18 §3 and table), special disease (S18 §4)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.conftest import settle_one
from yibao.policy.chain import Accumulators

D = "2018-07-01"
LEVELS = ("tertiary_a", "tertiary_b", "tertiary_c", "other", "community")
OUTPATIENT_2018 = {  # community / tertiary / other
    "adult_a": ("0.60", "0.30", "0.45"),
    "student": ("0.60", "0.30", "0.45"),
    "infant": ("0.60", "0.30", "0.45"),
    "adult_b": ("0.50", "0.20", "0.35"),
}
INPATIENT_2018 = {  # (community, tertiary & other) for band 1 and band 2, and the cap
    "adult_a": (("0.80", "0.70"), ("0.85", "0.75"), "300000"),
    "student": (("0.85", "0.80"), ("0.90", "0.85"), "300000"),
    "infant": (("0.85", "0.80"), ("0.90", "0.85"), "300000"),
    "adult_b": (("0.75", "0.65"), ("0.80", "0.70"), "200000"),
}
SPECIAL_2018 = {"adult_a": ("0.70", "250000"), "student": ("0.80", "250000"), "infant": ("0.80", "250000"),
                "adult_b": ("0.70", "150000")}


def _group(level: str) -> int:
    return 0 if level == "community" else (1 if level.startswith("tertiary") else 2)


@pytest.mark.parametrize("level", LEVELS)
@pytest.mark.parametrize("category", tuple(OUTPATIENT_2018))
def test_outpatient_rate_2018(category: str, level: str) -> None:
    rate = Decimal(OUTPATIENT_2018[category][_group(level)])
    assert settle_one(category, "outpatient", level, "1000.00", date=D).hifp_pay == 1000 * rate
    assert settle_one(category, "outpatient", level, "100.00", date=D,
                      before=Accumulators(outpatient=Decimal("4000"))).hifp_pay == 0


@pytest.mark.parametrize(("level", "deductible"), [("tertiary_a", "1200"), ("tertiary_b", "1200"),
                                                   ("tertiary_c", "1200"), ("other", "600"),
                                                   ("community", "300")])
def test_inpatient_deductible_2018(level: str, deductible: str) -> None:
    """起付线：三级医院 1200 元；其他医院 600 元；社区医院 300 元 (S18 table)."""
    for category in ("adult_a", "adult_b", "student"):
        assert settle_one(category, "inpatient", level, "5000.00", date=D).act_pay_dedc == Decimal(deductible)


@pytest.mark.parametrize("level", LEVELS)
@pytest.mark.parametrize("category", tuple(INPATIENT_2018))
def test_inpatient_bands_and_cap_2018(category: str, level: str) -> None:
    band1, band2, cap = INPATIENT_2018[category]
    column = 0 if level == "community" else 1
    first = settle_one(category, "inpatient", level, "20000.00", date=D, special_disease_patient=True)
    assert first.hifp_pay == 20000 * Decimal(band1[column])
    second = settle_one(category, "inpatient", level, "20000.00", date=D, special_disease_patient=True,
                        before=Accumulators(inpatient=Decimal("50000")))
    assert second.hifp_pay == 20000 * Decimal(band2[column])
    beyond = settle_one(category, "inpatient", level, "20000.00", date=D, special_disease_patient=True,
                        before=Accumulators(inpatient=Decimal(cap)))
    assert beyond.hifp_pay == 0


@pytest.mark.parametrize("category", tuple(SPECIAL_2018))
def test_special_disease_2018(category: str) -> None:
    """S18 §4: A and children personal 30% / 20% up to 250,000; B personal 30% up to 150,000."""
    rate, cap = SPECIAL_2018[category]
    one = settle_one(category, "special_disease", "tertiary_a", "10000.00", date=D, special_disease_patient=True)
    assert one.hifp_pay == 10000 * Decimal(rate)
    beyond = settle_one(category, "special_disease", "tertiary_a", "10000.00", date=D,
                        special_disease_patient=True, before=Accumulators(special_disease=Decimal(cap)))
    assert beyond.hifp_pay == 0


def test_serious_illness_bands_2018() -> None:
    """S18 §5: burden above 20,000: 20–50k 50%, 50–100k 55%, 100–500k 60%, nothing above 500,000."""
    cases = [("0", "20000", "0"), ("20000", "30000", "15000"), ("50000", "50000", "27500"),
             ("100000", "30000", "18000"), ("500000", "10000", "0"), ("490000", "20000", "6000"),
             ("480000", "30000", "12000")]
    for before, burden, expected in cases:
        # an outpatient special-disease claim at 70% whose personal share is exactly `burden`
        amount = Decimal(burden) / Decimal("0.30")
        acc = Accumulators(serious_illness_burden=Decimal(before))
        result = settle_one("adult_a", "special_disease", "other", f"{amount:.2f}", date=D,
                            special_disease_patient=True, before=acc)
        assert result.hifmi_pay == Decimal(expected), (before, burden)


def test_no_assistance_recipient_rules_in_2018() -> None:
    """The halved threshold and the high-cost relief are 2022 rules (S22 news; POLICY.md §6–§7)."""
    result = settle_one("adult_a", "inpatient", "tertiary_a", "60000.00", date=D,
                        assistance_class="minimum_living")
    plain = settle_one("adult_a", "inpatient", "tertiary_a", "60000.00", date=D)
    assert (result.hifmi_pay, result.maf_pay) == (plain.hifmi_pay, Decimal("0.00"))
