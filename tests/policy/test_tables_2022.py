"""Every row of the 2022 benefit table (S22 §4, POLICY.md §5), pinned through the chain."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.conftest import settle_one
from yibao.policy.chain import Accumulators

CHILDREN = ("infant", "minor", "student")
LEVELS = ("tertiary_a", "tertiary_b", "tertiary_c", "other", "community")
OUTPATIENT_RATE_2022 = {"community": "0.60", "tertiary_a": "0.30", "tertiary_b": "0.30", "tertiary_c": "0.30",
                        "other": "0.45"}
DEDUCTIBLE_2022 = {"tertiary_a": "1500", "tertiary_b": "1200", "tertiary_c": "1200", "other": "600",
                   "community": "300"}
# (first band ≤ 40,000, second band 40,000 → 300,000) by column and level group
INPATIENT_2022 = {
    "children": {"community": ("0.85", "0.90"), "other_levels": ("0.80", "0.85")},
    "adult": {"community": ("0.80", "0.85"), "other_levels": ("0.70", "0.75")},
}


@pytest.mark.parametrize("category", ("adult", *CHILDREN))
@pytest.mark.parametrize("level", LEVELS)
def test_outpatient_rate_2022(category: str, level: str) -> None:
    """门诊 4000 元（含）以下：社区 60%，三级 30%，其他 45% — same for children and adults."""
    result = settle_one(category, "outpatient", level, "1000.00")
    assert result.hifp_pay == Decimal("1000") * Decimal(OUTPATIENT_RATE_2022[level])
    assert result.act_pay_dedc == 0


@pytest.mark.parametrize("category", ("adult", "student"))
def test_outpatient_above_4000_pays_nothing_2022(category: str) -> None:
    before = Accumulators(outpatient=Decimal("4000.00"))
    assert settle_one(category, "outpatient", "community", "500.00", before=before).hifp_pay == 0
    straddle = settle_one(category, "outpatient", "community", "500.00", before=Accumulators(
        outpatient=Decimal("3800.00")))
    assert straddle.hifp_pay == Decimal("120.00")  # only 200 below the 4,000 cap, at 60%


@pytest.mark.parametrize("level", LEVELS)
@pytest.mark.parametrize("category", ("adult", *CHILDREN))
def test_inpatient_deductible_by_level_2022(category: str, level: str) -> None:
    """起付线：三甲 1500；三乙、三丙 1200；其他 600；社区 300 (S22 §4 table)."""
    result = settle_one(category, "inpatient", level, "10000.00")
    assert result.act_pay_dedc == Decimal(DEDUCTIBLE_2022[level])


@pytest.mark.parametrize("level", LEVELS)
@pytest.mark.parametrize("category", ("adult", *CHILDREN))
def test_inpatient_first_band_2022(category: str, level: str) -> None:
    column = "adult" if category == "adult" else "children"
    rate = INPATIENT_2022[column]["community" if level == "community" else "other_levels"][0]
    result = settle_one(category, "inpatient", level, "20000.00")
    deductible = Decimal(DEDUCTIBLE_2022[level])
    assert result.hifp_pay == ((Decimal("20000") - deductible) * Decimal(rate)).quantize(Decimal("0.01"))


@pytest.mark.parametrize("level", LEVELS)
@pytest.mark.parametrize("category", ("adult", *CHILDREN))
def test_inpatient_second_band_2022(category: str, level: str) -> None:
    """Cumulative 40,000 → 300,000 (inclusive): the higher rate; above 300,000 nothing."""
    column = "adult" if category == "adult" else "children"
    rate = INPATIENT_2022[column]["community" if level == "community" else "other_levels"][1]
    before = Accumulators(inpatient=Decimal("100000.00"))
    result = settle_one(category, "inpatient", level, "50000.00", before=before)
    deductible = Decimal(DEDUCTIBLE_2022[level])
    assert result.hifp_pay == (Decimal("50000") - deductible) * Decimal(rate)


@pytest.mark.parametrize("category", ("adult", "infant"))
def test_inpatient_cap_300000_2022(category: str) -> None:
    before = Accumulators(inpatient=Decimal("300000.00"))
    assert settle_one(category, "inpatient", "tertiary_a", "50000.00", before=before).hifp_pay == 0
    near = Accumulators(inpatient=Decimal("295000.00"))
    result = settle_one(category, "inpatient", "community", "10000.00", before=near)
    rate = Decimal("0.85") if category == "adult" else Decimal("0.90")
    assert result.hifp_pay == (Decimal("300000") - Decimal("295300")) * rate


def test_inpatient_worked_example_2022() -> None:
    """POLICY.md §5 worked example: 10,000 then 35,000 at 三甲 → 5,950 then 23,700."""
    first = settle_one("adult", "inpatient", "tertiary_a", "10000.00")
    assert (first.act_pay_dedc, first.hifp_pay) == (Decimal("1500"), Decimal("5950.00"))
    second = settle_one("adult", "inpatient", "tertiary_a", "35000.00", before=first.added)
    assert second.hifp_pay == Decimal("23700.00")


@pytest.mark.parametrize(("category", "rate"), [("adult", "0.70"), ("infant", "0.80"), ("minor", "0.80"),
                                                ("student", "0.80")])
def test_special_disease_rate_and_cap_2022(category: str, rate: str) -> None:
    """门诊特病 25 万元（含）以下：儿童 80%，成年 70% (S22 §4 table)."""
    result = settle_one(category, "special_disease", "tertiary_a", "10000.00", special_disease_patient=True)
    assert result.hifp_pay == Decimal("10000") * Decimal(rate)
    near = Accumulators(special_disease=Decimal("245000.00"))
    capped = settle_one(category, "special_disease", "other", "10000.00", before=near,
                        special_disease_patient=True)
    assert capped.hifp_pay == Decimal("5000") * Decimal(rate)


def test_special_disease_patient_has_no_inpatient_deductible_2022() -> None:
    """门诊特病人员住院时不设置起付线 (S22 §4)."""
    result = settle_one("adult", "inpatient", "tertiary_a", "10000.00", special_disease_patient=True)
    assert (result.act_pay_dedc, result.hifp_pay) == (Decimal("0"), Decimal("7000.00"))


def test_adult_2022_equals_2018_b_plus_points() -> None:
    """Cross-check S22 §7.1: 2022 adult = 2018 B + 10 points outpatient, + 5 points inpatient."""
    for level in LEVELS:
        o22 = settle_one("adult", "outpatient", level, "1000.00").hifp_pay
        o18 = settle_one("adult_b", "outpatient", level, "1000.00", date="2019-06-01").hifp_pay
        assert o22 - o18 == Decimal("100.00")
        i22 = settle_one("adult", "inpatient", level, "20000.00", special_disease_patient=True).hifp_pay
        i18 = settle_one("adult_b", "inpatient", level, "20000.00", date="2019-06-01",
                         special_disease_patient=True).hifp_pay
        assert i22 - i18 == Decimal("1000.00")
