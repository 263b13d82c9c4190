"""Hypothesis properties of the money rules over random claim sequences (POLICY.md §5–§7a)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from yibao.kit.money import ZERO
from yibao.policy.chain import (
    EMPTY,
    Accumulators,
    Claim,
    FeeLine,
    Insured,
    ItemClass,
    Settlement,
    settle,
    settle_in_order,
)
from yibao.policy.editions import Benefit, Level, packaged_editions, schedule_cap

EDITIONS = packaged_editions()
CENTS = st.integers(min_value=0, max_value=40_000_000).map(lambda c: Decimal(c) / 100)
SMALL_CENTS = st.integers(min_value=0, max_value=2_000_000).map(lambda c: Decimal(c) / 100)


@st.composite
def lines(draw: st.DrawFn) -> FeeLine:
    amount = draw(SMALL_CENTS)
    item_class = draw(st.sampled_from(ItemClass))
    prop = None
    if item_class is ItemClass.B and draw(st.booleans()):
        prop = Decimal(draw(st.integers(0, 100))) / 100
    overlimit = ZERO
    if draw(st.booleans()):
        overlimit = (amount * Decimal(draw(st.integers(0, 100))) / 100).quantize(Decimal("0.01"), rounding="ROUND_DOWN")
    return FeeLine(amount, item_class, prop, overlimit)


@st.composite
def insured_and_year(draw: st.DrawFn) -> tuple[Insured, int]:
    year = draw(st.sampled_from((2019, 2022, 2023)))
    categories = ("adult_a", "adult_b", "infant", "minor", "student") if year < 2022 else (
        "adult", "infant", "minor", "student")
    return Insured(
        draw(st.sampled_from(categories)),
        draw(st.booleans()),
        draw(st.sampled_from((None, None, "minimum_living", "extreme_poverty"))),
    ), year


@st.composite
def claims(draw: st.DrawFn, year: int, special: bool) -> Claim:
    benefits = list(Benefit) if special else [Benefit.OUTPATIENT, Benefit.INPATIENT]
    day = dt.date(year, 1, 1) + dt.timedelta(days=draw(st.integers(0, 364)))
    return Claim(
        draw(st.text("abc123", min_size=1, max_size=4)),
        draw(st.sampled_from(benefits)),
        day,
        draw(st.sampled_from(Level)),
        tuple(draw(st.lists(lines(), min_size=1, max_size=6))),
    )


@st.composite
def scenarios(draw: st.DrawFn) -> tuple[Insured, tuple[Claim, ...]]:
    insured, year = draw(insured_and_year())
    found = draw(st.lists(claims(year, insured.special_disease_patient), min_size=1, max_size=8))
    return insured, tuple(sorted(found, key=lambda c: c.date))


def _check_parts(s: Settlement) -> None:
    assert s.medfee_sumamt == s.fulamt_ownpay_amt + s.overlmt_selfpay + s.preselfpay_amt + s.inscp_scp_amt
    assert s.psn_part_amt == s.medfee_sumamt - s.fund_pay_sumamt
    assert s.fund_pay_sumamt == s.hifp_pay + s.hifmi_pay + s.maf_pay
    for amount in (s.hifp_pay, s.hifmi_pay, s.maf_pay, s.act_pay_dedc):
        assert amount >= 0 and amount == amount.quantize(Decimal("0.01"))
    # no fund pays more than the amount it applies to
    assert s.act_pay_dedc <= s.inscp_scp_amt
    assert s.hifp_pay <= s.inscp_scp_amt - s.act_pay_dedc
    assert s.hifmi_pay <= s.inscp_scp_amt - s.hifp_pay
    assert s.maf_pay <= s.inscp_scp_amt - s.hifp_pay - s.hifmi_pay
    assert s.psn_part_amt >= 0


@settings(max_examples=300, deadline=None)
@given(scenarios())
def test_parts_add_up_and_no_fund_overpays(scenario: tuple[Insured, tuple[Claim, ...]]) -> None:
    insured, found = scenario
    settlements, _ = settle_in_order(EDITIONS, insured, found)
    for s in settlements:
        _check_parts(s)


@settings(max_examples=300, deadline=None)
@given(scenarios())
def test_no_cap_is_exceeded_over_a_year(scenario: tuple[Insured, tuple[Claim, ...]]) -> None:
    insured, found = scenario
    settlements, _ = settle_in_order(EDITIONS, insured, found)
    edition = EDITIONS.on(found[0].date)
    column = edition.column_for(insured.category)
    for benefit in Benefit:
        paid = sum((s.hifp_pay for s in settlements if s.benefit is benefit), ZERO)
        bands = column.schedule(benefit)
        most = sum(((b.upper - b.lower) * max(b.rates.values()) for b in bands if b.upper is not None), ZERO)
        assert paid <= most + Decimal("0.01") * len(settlements)
        assert schedule_cap(bands) is not None
    if insured.assistance_class is None or edition.serious_illness.assistance_recipient_bands is None:
        bands = edition.serious_illness.bands
        most = sum(((b.upper - b.lower) * max(b.rates.values()) for b in bands if b.upper is not None), ZERO)
        assert sum((s.hifmi_pay for s in settlements), ZERO) <= most + Decimal("0.01") * len(settlements)


@settings(max_examples=300, deadline=None)
@given(scenarios())
def test_accumulators_equal_the_sum_of_what_claims_added(scenario: tuple[Insured, tuple[Claim, ...]]) -> None:
    insured, found = scenario
    settlements, totals = settle_in_order(EDITIONS, insured, found)
    added = EMPTY
    for s in settlements:
        added = added + s.added
    assert totals[found[0].date.year] == added
    assert added.outpatient + added.inpatient + added.special_disease == sum(
        (s.inscp_scp_amt for s in settlements), ZERO)
    # a reversal subtracts exactly what the settlement added (POLICY.md §7a step 6)
    assert totals[found[0].date.year] - settlements[-1].added == (added - settlements[-1].added)


@settings(max_examples=400, deadline=None)
@given(insured_and_year(), st.sampled_from(Benefit), st.sampled_from(Level), CENTS, SMALL_CENTS,
       st.builds(Accumulators, CENTS, CENTS, CENTS, CENTS, SMALL_CENTS))
def test_fund_amounts_never_fall_when_a_claim_grows(
    who: tuple[Insured, int], benefit: Benefit, level: Level, amount: Decimal, more: Decimal,
    before: Accumulators,
) -> None:
    insured, year = who
    if benefit is Benefit.SPECIAL_DISEASE and not insured.special_disease_patient:
        benefit = Benefit.INPATIENT
    edition = EDITIONS.on(dt.date(year, 6, 1))
    small = settle(edition, insured, Claim("s", benefit, dt.date(year, 6, 1), level, (FeeLine(amount),)), before)
    large = settle(edition, insured, Claim("l", benefit, dt.date(year, 6, 1), level,
                                           (FeeLine(amount + more),)), before)
    assert large.hifp_pay >= small.hifp_pay
    assert large.hifmi_pay >= small.hifmi_pay
    assert large.maf_pay >= small.maf_pay
    assert large.fund_pay_sumamt >= small.fund_pay_sumamt


@settings(max_examples=400, deadline=None)
@given(insured_and_year(), st.sampled_from(Level), SMALL_CENTS, SMALL_CENTS,
       st.integers(0, 600_000).map(lambda c: Accumulators(outpatient=Decimal(c) / 100)))
def test_splitting_an_outpatient_visit_pays_the_same_within_a_cent(
    who: tuple[Insured, int], level: Level, first: Decimal, second: Decimal, before: Accumulators,
) -> None:
    insured, year = who
    insured = Insured(insured.category, insured.special_disease_patient, None)
    edition = EDITIONS.on(dt.date(year, 6, 1))
    day = dt.date(year, 6, 1)
    whole = settle(edition, insured, Claim("w", Benefit.OUTPATIENT, day, level, (FeeLine(first + second),)), before)
    part1 = settle(edition, insured, Claim("p1", Benefit.OUTPATIENT, day, level, (FeeLine(first),)), before)
    part2 = settle(edition, insured, Claim("p2", Benefit.OUTPATIENT, day, level, (FeeLine(second),)),
                   before + part1.added)
    assert abs(whole.hifp_pay - (part1.hifp_pay + part2.hifp_pay)) <= Decimal("0.01")


@given(st.decimals(min_value=Decimal("-99999999999999.99"), max_value=Decimal("99999999999999.99"), places=2))
def test_shown_amounts_read_back_to_the_amount(value: Decimal) -> None:
    """The dashboard's display (issue 20): thousands-separated yuan read back exactly; 万元 to within 0.005 万元."""
    from yibao.kit.money import fmt_grouped, fmt_yuan

    assert Decimal(fmt_grouped(value).replace(",", "")) == value
    shown = fmt_yuan(value)
    if shown.endswith(" 万元"):
        assert abs(Decimal(shown.removesuffix(" 万元").replace(",", "")) * 10_000 - value) <= 50
    else:
        assert Decimal(shown.removesuffix(" 元").replace(",", "")) == value and abs(value) < 10_000


def _read_capital(words: str) -> Decimal:
    """The inverse of kit.money.capital, for amounts below 1,000 亿 (the test's own reading of 大写)."""
    digits, places = "零壹贰叁肆伍陆柒捌玖", {"拾": 10, "佰": 100, "仟": 1000}
    sign = -1 if words.startswith("负") else 1
    words = words.removeprefix("负")
    if words == "零元整":
        return Decimal(0)
    whole, _, fraction = words.rpartition("元") if "元" in words else ("", "", words)
    total = section = digit = 0
    for ch in whole:
        if ch in digits:
            digit = digits.index(ch)
        elif ch in places:
            section, digit = section + digit * places[ch], 0
        elif ch == "万":
            total, section, digit = total + (section + digit) * 10_000, 0, 0
        elif ch == "亿":
            total, section, digit = (total + section + digit) * 100_000_000, 0, 0
    cents = (total + section + digit) * 100
    for ch, unit in (("角", 10), ("分", 1)):
        if ch in fraction:
            cents += digits.index(fraction[fraction.index(ch) - 1]) * unit
    return sign * Decimal(cents) / 100


@given(st.decimals(min_value=Decimal("-99999999999.99"), max_value=Decimal("99999999999.99"), places=2))
def test_capital_numerals_read_back_to_the_amount(value: Decimal) -> None:
    """大写 on receipts (issue 20): read back, the words are the amount; no doubled 零, none at either end."""
    from yibao.kit.money import capital

    words = capital(value)
    assert _read_capital(words) == value
    assert "零零" not in words and (words == "零元整" or not words.removeprefix("负").startswith("零"))
    assert not words.endswith("零") and words.endswith(("整", "分"))


def test_capital_numerals_as_receipts_write_them() -> None:
    from yibao.kit.money import capital

    cases = {"1203.05": "壹仟贰佰零叁元零伍分", "80": "捌拾元整", "0.5": "伍角整", "1005": "壹仟零伍元整",
             "10005": "壹万零伍元整", "1000050": "壹佰万零伍拾元整", "0": "零元整", "100000000.01": "壹亿元零壹分"}
    assert {amount: capital(Decimal(amount)) for amount in cases} == cases
