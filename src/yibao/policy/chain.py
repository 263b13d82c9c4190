"""The settlement chain of POLICY.md §7a as small, pure stage functions over Decimal.

lines → scope (§5 policy scope) → basic fund (§5) → serious illness (§6) → medical assistance (§7) → totals.

`settle()` takes the edition in force, the insured person's standing, one claim and the year's
accumulators before it, and returns a `Settlement`: the national interface's amounts (`setlinfo` names),
the split of every fee line, what the claim adds to the accumulators, and the trace. It never reads the
clock, the database or the environment; the same inputs always give the same fen.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from functools import cache
from typing import NamedTuple

from yibao.kit.money import ZERO, round_money
from yibao.policy.bands import apply_bands
from yibao.policy.editions import BENEFIT_LABELS, LEVEL_LABELS, Benefit, Column, Edition, Editions, Level
from yibao.policy.errors import InvalidClaim, UnknownCategory
from yibao.policy.trace import Citation, Pieces, Rate, Step, percent, yuan


class ItemClass(StrEnum):
    """Catalogue class of a fee line (POLICY.md §5 policy scope; chrgitm_lv 01/02/03)."""

    A = "A"  # 甲类: fully in scope
    B = "B"  # 乙类: in scope after the first self-pay share
    C = "C"  # 丙类 / 自费: out of scope


ITEM_CLASS_LABELS = {ItemClass.A: "甲类", ItemClass.B: "乙类", ItemClass.C: "丙类"}


@dataclass(frozen=True, slots=True)
class FeeLine:
    amount: Decimal
    item_class: ItemClass = ItemClass.A
    selfpay_prop: Decimal | None = None  # 乙 only; else the edition default
    overlimit: Decimal = ZERO  # the part of `amount` above the item's price ceiling


@dataclass(frozen=True, slots=True)
class Claim:
    """One settlement's input: benefit type, service date (inpatient: discharge date), level, lines."""

    id: str
    benefit: Benefit
    date: dt.date
    level: Level
    lines: tuple[FeeLine, ...]


@dataclass(frozen=True, slots=True)
class Insured:
    """What the chain needs to know of the person (POLICY.md §2, §5–§7)."""

    category: str
    special_disease_patient: bool = False
    assistance_class: str | None = None
    # 民政临时救助 received in the policy year up to the service date: the high-cost relief deducts it from the
    # year's remaining self-pay (POLICY.md §7; people/assistance.py states the ASSUMPTION on its timing)
    temporary_assistance: Decimal = ZERO


class Accumulators(NamedTuple):
    """A person's year-to-date totals for one policy year (POLICY.md §1, §7a step 6).

    `+` and `-` add and subtract field by field (a settlement adds `added`; its reversal subtracts it).
    """

    outpatient: Decimal = ZERO
    inpatient: Decimal = ZERO
    special_disease: Decimal = ZERO
    serious_illness_burden: Decimal = ZERO
    assistance_selfpay: Decimal = ZERO

    def expense(self, benefit: Benefit) -> Decimal:
        value: Decimal = getattr(self, benefit.value)
        return value

    def __add__(self, other: tuple[object, ...]) -> Accumulators:
        assert isinstance(other, Accumulators)
        return Accumulators(
            self.outpatient + other.outpatient,
            self.inpatient + other.inpatient,
            self.special_disease + other.special_disease,
            self.serious_illness_burden + other.serious_illness_burden,
            self.assistance_selfpay + other.assistance_selfpay,
        )

    def __sub__(self, other: Accumulators) -> Accumulators:
        return Accumulators(
            self.outpatient - other.outpatient,
            self.inpatient - other.inpatient,
            self.special_disease - other.special_disease,
            self.serious_illness_burden - other.serious_illness_burden,
            self.assistance_selfpay - other.assistance_selfpay,
        )

    def as_dict(self) -> dict[str, Decimal]:
        return dict(self._asdict())


class LineSplit(NamedTuple):
    """How one fee line divides (the national 2204/2301 `result` per line). Immutable."""

    amount: Decimal
    item_class: ItemClass
    selfpay_prop: Decimal
    fulamt_ownpay_amt: Decimal
    overlmt_selfpay: Decimal
    preselfpay_amt: Decimal
    inscp_scp_amt: Decimal


class Scope(NamedTuple):
    medfee_sumamt: Decimal
    fulamt_ownpay_amt: Decimal
    overlmt_selfpay: Decimal
    preselfpay_amt: Decimal
    inscp_scp_amt: Decimal


class Settlement(NamedTuple):
    """The result of one claim, in the national interface's `setlinfo` names (POLICY.md §7a, §15). Immutable (a
    NamedTuple: the chain builds one per claim, and a frozen dataclass's field-by-field init cost 10 % of it)."""

    claim_id: str
    year: int
    edition: str
    benefit: Benefit
    medfee_sumamt: Decimal
    fulamt_ownpay_amt: Decimal
    overlmt_selfpay: Decimal
    preselfpay_amt: Decimal
    inscp_scp_amt: Decimal
    act_pay_dedc: Decimal
    hifp_pay: Decimal
    hifmi_pay: Decimal
    maf_pay: Decimal
    fund_pay_sumamt: Decimal
    psn_part_amt: Decimal
    fee_lines: tuple[FeeLine, ...]
    default_selfpay_prop: Decimal
    added: Accumulators
    trace: tuple[Step, ...]

    @property
    def lines(self) -> tuple[LineSplit, ...]:
        """How each fee line divided (computed when asked: the totals above are what settlement needs)."""
        return tuple(split_line(line, self.default_selfpay_prop) for line in self.fee_lines)


AMOUNT_FIELDS = (
    "medfee_sumamt",
    "fulamt_ownpay_amt",
    "overlmt_selfpay",
    "preselfpay_amt",
    "inscp_scp_amt",
    "act_pay_dedc",
    "hifp_pay",
    "hifmi_pay",
    "maf_pay",
    "fund_pay_sumamt",
    "psn_part_amt",
)


# ---------------------------------------------------------------------------------------------------
# Checks


def column_for(edition: Edition, insured: Insured) -> Column:
    """The benefit column of the person's category; a category the edition lacks is an error."""
    category = edition.categories.get(insured.category)
    if category is None:
        known = "、".join(edition.categories)
        raise UnknownCategory(
            f"{edition.code} 年度政策没有参保类别 {insured.category!r}（可选：{known}）", field="category"
        )
    return edition.columns[category.column]


def check_claim(edition: Edition, insured: Insured, claim: Claim) -> Column:
    """Refuse what the chain cannot settle as given, naming the claim and the problem; the person's column."""
    column = column_for(edition, insured)
    where = f"费用 {claim.id}："
    if claim.benefit is Benefit.SPECIAL_DISEASE and not insured.special_disease_patient:
        raise InvalidClaim(where + "门诊特殊病种待遇仅限已备案的门诊特病人员（POLICY.md §5）", field="benefit")
    if insured.assistance_class is not None and (
        insured.assistance_class not in edition.medical_assistance.classes
    ):
        raise InvalidClaim(f"未知的医疗救助对象类别 {insured.assistance_class!r}", field="assistance_class")
    if not claim.lines:
        raise InvalidClaim(where + "没有费用明细", field="lines")
    return column


def line_problem(claim_id: str, number: int, line: FeeLine) -> InvalidClaim | None:
    """What is wrong with fee line `number` of a claim, or None."""
    where = f"费用 {claim_id}：第 {number} 条明细"
    if line.amount < 0 or line.overlimit < 0:
        return InvalidClaim(where + "金额不能为负数", field="amount")
    if line.overlimit > line.amount:
        return InvalidClaim(where + "超限价部分大于明细金额", field="overlimit")
    if line.selfpay_prop is not None:
        if line.item_class is not ItemClass.B:
            return InvalidClaim(where + "：只有乙类项目才有先行自付比例", field="selfpay_prop")
        if not 0 <= line.selfpay_prop <= 1:
            return InvalidClaim(where + "先行自付比例须在 0 到 1 之间", field="selfpay_prop")
    return None


# ---------------------------------------------------------------------------------------------------
# Stage 1: lines → scope


def split_line(line: FeeLine, default_prop: Decimal) -> LineSplit:
    """丙 → self-pay; over the price ceiling → self-pay; 乙 → first self-pay share; the rest in scope."""
    if line.item_class is ItemClass.C:
        return LineSplit(line.amount, line.item_class, ZERO, line.amount, ZERO, ZERO, ZERO)
    within = line.amount - line.overlimit
    if line.item_class is ItemClass.B:
        prop = default_prop if line.selfpay_prop is None else line.selfpay_prop
        preselfpay = round_money(within * prop)
    else:
        prop, preselfpay = ZERO, ZERO
    return LineSplit(line.amount, line.item_class, prop, ZERO, line.overlimit, preselfpay, within - preselfpay)


def split_lines(claim: Claim, edition: Edition) -> tuple[Scope, Step]:
    """The claim's totals by the split of `split_line`, every line checked, in one pass (this runs for every line
    of every claim, so the split is written out here for the totals; `Settlement.lines` has each line's)."""
    default_prop = edition.first_selfpay_default.value
    total = ownpay = overlimit = preselfpay = inscp = ZERO
    uses_default = False
    class_b, class_c = ItemClass.B, ItemClass.C
    for line in claim.lines:
        amount, over, prop, item_class = line.amount, line.overlimit, line.selfpay_prop, line.item_class
        if amount < 0 or (over and not 0 < over <= amount) or (
                prop is not None and (item_class is not class_b or not 0 <= prop <= 1)):
            problem = line_problem(claim.id, claim.lines.index(line) + 1, line)
            assert problem is not None, "the condition above is line_problem's"
            raise problem
        total += amount
        if item_class is class_c:
            ownpay += amount
            continue
        within = amount - over if over else amount
        overlimit += over
        if item_class is class_b:
            if prop is None:
                prop, uses_default = default_prop, True
            share = round_money(within * prop)
            preselfpay += share
            within -= share
        inscp += within
    scope = Scope(total, ownpay, overlimit, preselfpay, inscp)
    cited = edition.first_selfpay_default
    step = Step(
        "scope",
        "政策范围内费用",
        inscp,
        "医疗费总额 {0:,.2f} 元，其中丙类全自费 {1:,.2f} 元、超限价自费 {2:,.2f} 元、乙类先行自付 {3:,.2f} 元，"
        "政策范围内费用 {4:,.2f} 元。",
        (total, ownpay, overlimit, preselfpay, inscp),
        (Citation("first_selfpay_default", percent(cited.value), cited.source),) if uses_default else (),
    )
    return scope, step


# ---------------------------------------------------------------------------------------------------
# Stage 2: the basic fund (统筹基金, hifp_pay)


def deductible_for(edition: Edition, insured: Insured, claim: Claim) -> tuple[Decimal, Citation | None]:
    """起付线 of one admission; none for outpatient and special disease, none for special-disease patients."""
    if claim.benefit is not Benefit.INPATIENT:
        return ZERO, None
    rules = edition.inpatient_deductible
    if insured.special_disease_patient and rules.waived_for_special_disease_patients.value:
        return ZERO, Citation(
            "inpatient_deductible.waived_for_special_disease_patients",
            "门诊特病人员住院不设起付线",
            rules.waived_for_special_disease_patients.source,
        )
    amount = rules.amounts[claim.level]
    return amount, Citation(f"inpatient_deductible.{claim.level}", yuan(amount), rules.source)


@cache
def _basic_piece_key(column: str, benefit: Benefit) -> str:
    """Where the basic fund's band pieces are cited from (cached: the chain cites them on every claim)."""
    return f"columns.{column}.{benefit}"


def basic_fund(
    edition: Edition, insured: Insured, claim: Claim, inscp: Decimal, before: Accumulators, column: Column
) -> tuple[Decimal, Decimal, tuple[Step, ...]]:
    """(act_pay_dedc, hifp_pay, steps): deductible first, then the bands on the annual cumulative amount of the
    person's benefit column."""
    deductible, deductible_cite = deductible_for(edition, insured, claim)
    paid_deductible = min(deductible, inscp)
    cumulative = before.expense(claim.benefit)
    start, end = cumulative + paid_deductible, cumulative + inscp
    raw, pieces = apply_bands(start, end, column.schedule(claim.benefit), claim.level)
    hifp = round_money(raw)
    steps: list[Step] = []
    if deductible_cite is not None:
        steps.append(Step(
            "deductible",
            "起付线",
            paid_deductible,
            "{0}住院起付线 {1:,.2f} 元，本次个人先负担 {2:,.2f} 元（计入年度累计）。",
            (LEVEL_LABELS[claim.level], deductible, paid_deductible),
            (deductible_cite,),
        ))
    steps.append(Step(
        "basic_fund",
        "统筹基金支付",
        hifp,
        "{0}{1}，{2}；年度累计政策范围内费用由 {3:,.2f} 元计至 {4:,.2f} 元，基金支付区间 [{5:,.2f}, {4:,.2f}]："
        "{6}；合计四舍五入 {7:,.2f} 元。",
        (column.label, BENEFIT_LABELS[claim.benefit], LEVEL_LABELS[claim.level], cumulative, end, start,
         Pieces(pieces), hifp),
        piece_key=_basic_piece_key(edition.categories[insured.category].column, claim.benefit),
        pieces=pieces,
    ))
    return paid_deductible, hifp, tuple(steps)


# ---------------------------------------------------------------------------------------------------
# Stage 3: serious-illness insurance (大病保险, hifmi_pay)


def serious_illness(
    edition: Edition, insured: Insured, claim: Claim, burden: Decimal, before: Accumulators
) -> tuple[Decimal, Decimal, Step | None]:
    """(hifmi_pay, burden counted, step): bands on the year's cumulative personal burden (POLICY.md §6)."""
    rules = edition.serious_illness
    if claim.benefit not in rules.applies_to:
        return ZERO, ZERO, None
    bands, key = rules.bands, "serious_illness.bands"
    if insured.assistance_class is not None and rules.assistance_recipient_bands is not None:
        bands, key = rules.assistance_recipient_bands, "serious_illness.assistance_recipient_bands"
    start = before.serious_illness_burden
    raw, pieces = apply_bands(start, start + burden, bands, claim.level)
    hifmi = round_money(raw)
    step = Step(
        "serious_illness",
        "大病保险支付",
        hifmi,
        "本次政策范围内个人负担 {0:,.2f} 元，年度累计由 {1:,.2f} 元计至 {2:,.2f} 元：{3}；合计四舍五入 {4:,.2f} 元。",
        (burden, start, start + burden, Pieces(pieces), hifmi),
        piece_key=key,
        pieces=pieces,
    )
    return hifmi, burden, step


# ---------------------------------------------------------------------------------------------------
# Stage 4: medical assistance (医疗救助, maf_pay)


def medical_assistance(
    edition: Edition, insured: Insured, claim: Claim, left: Decimal, before: Accumulators
) -> tuple[Decimal, Decimal, tuple[Step, ...]]:
    """(maf_pay, remaining self-pay counted, steps): ordinary rate, then high-cost relief (POLICY.md §7)."""
    if insured.assistance_class is None:
        return ZERO, ZERO, ()
    rules = edition.medical_assistance
    recipient = rules.classes[insured.assistance_class]
    rate = recipient.ordinary_rate
    ordinary = round_money(left * rate.value)
    remaining = left - ordinary
    steps = [Step(
        "assistance_ordinary",
        "医疗救助（普通）",
        ordinary,
        "{0}，基本医保和大病保险后政策范围内个人负担 {1:,.2f} 元 × {2} = {3:,.2f} 元。",
        (recipient.label, left, Rate(rate.value), ordinary),
        (Citation(f"medical_assistance.classes.{insured.assistance_class}.ordinary_rate",
                  percent(rate.value), rate.source),),
    )]
    if rules.high_cost_relief is None:
        return ordinary, remaining, tuple(steps)
    deducted = insured.temporary_assistance
    start = before.assistance_selfpay - deducted
    raw, pieces = apply_bands(start, start + remaining, rules.high_cost_relief, claim.level)
    relief = round_money(raw)
    counted = "年度累计" if not deducted else "年度累计（已扣除民政临时救助 {5:,.2f} 元）"
    text = "救助后个人自付 {0:,.2f} 元，" + counted + "由 {1:,.2f} 元计至 {2:,.2f} 元：{3}；合计 {4:,.2f} 元。"
    steps.append(Step(
        "assistance_relief",
        "高额医疗费用化解补助",
        relief,
        text,
        (remaining, start, start + remaining, Pieces(pieces), relief, deducted),
        piece_key="medical_assistance.high_cost_relief",
        pieces=pieces,
    ))
    return ordinary + relief, remaining - relief, tuple(steps)


# ---------------------------------------------------------------------------------------------------
# The whole chain


def settle(edition: Edition, insured: Insured, claim: Claim, before: Accumulators) -> Settlement:
    """Settle one claim against the year's accumulators `before` (POLICY.md §7a steps 1–6)."""
    column = check_claim(edition, insured, claim)
    scope, scope_step = split_lines(claim, edition)
    inscp = scope.inscp_scp_amt
    deductible, hifp, basic_steps = basic_fund(edition, insured, claim, inscp, before, column)
    hifmi, burden, serious_step = serious_illness(edition, insured, claim, inscp - hifp, before)
    maf, remaining, assistance_steps = medical_assistance(edition, insured, claim, inscp - hifp - hifmi, before)
    fund = hifp + hifmi + maf
    person = scope.medfee_sumamt - fund
    total_step = Step(
        "total",
        "结算合计",
        fund,
        "基金支付合计 {0:,.2f} 元（统筹 {1:,.2f}、大病 {2:,.2f}、救助 {3:,.2f}），"
        "个人负担 {4:,.2f} 元（医疗费总额 {5:,.2f} 元减基金支付）。",
        (fund, hifp, hifmi, maf, person, scope.medfee_sumamt),
        (Citation("edition", edition.code, edition.title),),
    )
    added = _ADDED[claim.benefit](inscp, burden, remaining)
    steps = (scope_step, *basic_steps, *((serious_step,) if serious_step else ()), *assistance_steps, total_step)
    return Settlement(
        claim_id=claim.id,
        year=claim.date.year,
        edition=edition.code,
        benefit=claim.benefit,
        medfee_sumamt=scope.medfee_sumamt,
        fulamt_ownpay_amt=scope.fulamt_ownpay_amt,
        overlmt_selfpay=scope.overlmt_selfpay,
        preselfpay_amt=scope.preselfpay_amt,
        inscp_scp_amt=inscp,
        act_pay_dedc=deductible,
        hifp_pay=hifp,
        hifmi_pay=hifmi,
        maf_pay=maf,
        fund_pay_sumamt=fund,
        psn_part_amt=person,
        fee_lines=claim.lines,
        default_selfpay_prop=edition.first_selfpay_default.value,
        added=added,
        trace=steps,
    )


def settle_in_order(
    editions: Editions, insured: Insured, claims: tuple[Claim, ...],
    accumulators: Mapping[int, Accumulators] | None = None,
) -> tuple[tuple[Settlement, ...], dict[int, Accumulators]]:
    """Settle claims in the order given, each against its own policy year's accumulators.

    The policy year is the year of the service date (inpatient: discharge date) and the edition is the one
    in force on that date (POLICY.md §7a preamble). Returns the settlements and the accumulators after.
    """
    totals: dict[int, Accumulators] = dict(accumulators or {})
    settlements = []
    for claim in claims:
        year = claim.date.year
        before = totals.get(year, EMPTY)
        settlement = settle(editions.on(claim.date), insured, claim, before)
        totals[year] = before + settlement.added
        settlements.append(settlement)
    return tuple(settlements), totals


EMPTY = Accumulators()

# what a claim adds to the year's accumulators: its in-scope amount under its benefit, the burden serious-illness
# insurance counted, and the self-pay left after assistance (POLICY.md §7a step 6)
_ADDED = {
    Benefit.OUTPATIENT: lambda inscp, burden, left: Accumulators(inscp, ZERO, ZERO, burden, left),
    Benefit.INPATIENT: lambda inscp, burden, left: Accumulators(ZERO, inscp, ZERO, burden, left),
    Benefit.SPECIAL_DISEASE: lambda inscp, burden, left: Accumulators(ZERO, ZERO, inscp, burden, left),
}
