"""The benefit-calculator scenario (SCENARIO.md): parse, run through the chain, format.

Pure: takes the decoded JSON value and returns the result value. The CLI (`yibao calc`) and, later, the
web calculator are doors over `run_scenario`. Bad input raises `ScenarioError` with one Chinese line that
names the claim id and the problem.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError

from yibao.kit.money import fmt
from yibao.policy.chain import (
    AMOUNT_FIELDS,
    Accumulators,
    Claim,
    FeeLine,
    Insured,
    ItemClass,
    Settlement,
    settle_in_order,
)
from yibao.policy.editions import Benefit, Editions, Level
from yibao.policy.errors import PolicyError

_MONEY = re.compile(r"^\d+(\.\d{1,2})?$")
_RATIO = re.compile(r"^\d+(\.\d+)?$")


class ScenarioError(PolicyError):
    code = "scenario_invalid"


def _money_text(value: Any) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise ValueError("金额须写成字符串，如 \"1234.50\"")
    text = str(value)
    if text.startswith("-"):
        raise ValueError(f"金额不能为负数：{text}")
    if not _MONEY.match(text):
        raise ValueError(f"金额须为非负数、最多两位小数：{text!r}")
    return Decimal(text)


def _ratio_text(value: Any) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise ValueError("比例须写成字符串，如 \"0.10\"")
    text = str(value)
    if not _RATIO.match(text) or Decimal(text) > 1:
        raise ValueError(f"比例须在 0 到 1 之间：{text!r}")
    return Decimal(text)


MoneyText = Annotated[Decimal, BeforeValidator(_money_text)]
RatioText = Annotated[Decimal, BeforeValidator(_ratio_text)]
AssistanceClass = Literal[
    "extreme_poverty", "minimum_living", "marginal_low_income", "monitored_poverty", "illness_poverty"
]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class LineIn(_Strict):
    amount: MoneyText
    class_: Literal["A", "B", "C"] = Field(alias="class")
    selfpay_prop: RatioText | None = None
    overlimit: MoneyText = Decimal("0")


class ClaimIn(_Strict):
    id: str = Field(min_length=1)
    benefit: Benefit
    date: dt.date
    level: Level
    amount: MoneyText | None = None
    lines: list[LineIn] | None = None


class PersonIn(_Strict):
    category: str
    special_disease_patient: bool = False
    assistance_class: AssistanceClass | None = None


class ScenarioIn(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)  # `description` and `expected` ride along

    person: PersonIn
    claims: list[ClaimIn] = Field(min_length=1)


def _where(loc: tuple[int | str, ...], raw: Any) -> str:
    if len(loc) >= 2 and loc[0] == "claims" and isinstance(loc[1], int):
        claim_id = None
        claims = raw.get("claims") if isinstance(raw, dict) else None
        if isinstance(claims, list) and loc[1] < len(claims) and isinstance(claims[loc[1]], dict):
            claim_id = claims[loc[1]].get("id")
        rest = ".".join(str(p) for p in loc[2:] if not str(p).startswith("function"))
        label = f"费用 {claim_id}" if claim_id else f"第 {loc[1] + 1} 笔费用"
        return f"{label} 的 {rest}" if rest else label
    return ".".join(str(p) for p in loc) or "输入"


_PYDANTIC_ZH = {
    "missing": "缺少此项",
    "extra_forbidden": "未知的字段",
    "enum": "取值不在允许范围内",
    "literal_error": "取值不在允许范围内",
    "date_from_datetime_parsing": "日期格式应为 YYYY-MM-DD",
    "date_parsing": "日期格式应为 YYYY-MM-DD",
    "date_type": "日期格式应为 YYYY-MM-DD",
    "bool_type": "应为 true 或 false",
    "bool_parsing": "应为 true 或 false",
    "string_type": "应为字符串",
    "list_type": "应为列表",
    "model_type": "应为对象",
    "dict_type": "应为对象",
    "too_short": "不能为空",
    "string_too_short": "不能为空",
}


def parse_scenario(raw: Any) -> tuple[Insured, tuple[Claim, ...]]:
    """Decoded scenario JSON → the chain's inputs; any problem → ScenarioError naming claim and field."""
    if not isinstance(raw, dict):
        raise ScenarioError("输入须为 JSON 对象，含 person 与 claims")
    try:
        scenario = ScenarioIn.model_validate(raw)
    except ValidationError as exc:
        error = exc.errors()[0]
        message = str(error["msg"]).removeprefix("Value error, ")
        message = _PYDANTIC_ZH.get(error["type"], message)
        if error["type"] in ("enum", "literal_error") and "expected" in (error.get("ctx") or {}):
            message += f"（可选：{error['ctx']['expected']}）"
        raise ScenarioError(f"{_where(tuple(error['loc']), raw)}：{message}") from None
    person = scenario.person
    insured = Insured(person.category, person.special_disease_patient, person.assistance_class)
    seen: set[str] = set()
    claims = []
    for item in scenario.claims:
        if item.id in seen:
            raise ScenarioError(f"费用 {item.id}：费用编号重复")
        seen.add(item.id)
        claims.append(_claim(item))
    return insured, tuple(claims)


def _claim(item: ClaimIn) -> Claim:
    if (item.amount is None) == (item.lines is None):
        raise ScenarioError(f"费用 {item.id}：amount 与 lines 须且只能写一个")
    if item.lines is not None:
        if not item.lines:
            raise ScenarioError(f"费用 {item.id}：lines 不能为空")
        lines = tuple(
            FeeLine(line.amount, ItemClass(line.class_), line.selfpay_prop, line.overlimit) for line in item.lines
        )
    else:
        assert item.amount is not None
        lines = (FeeLine(item.amount),)
    return Claim(item.id, item.benefit, item.date, item.level, lines)


def settlement_dict(settlement: Settlement, *, with_trace: bool = True) -> dict[str, Any]:
    out: dict[str, Any] = {"id": settlement.claim_id, "year": settlement.year, "edition": settlement.edition}
    for name in AMOUNT_FIELDS:
        out[name] = fmt(getattr(settlement, name))
    if with_trace:
        out["trace"] = [step.as_dict() for step in settlement.trace]
    return out


def accumulators_dict(totals: dict[int, Accumulators]) -> dict[str, dict[str, str]]:
    return {str(year): {k: fmt(v) for k, v in acc.as_dict().items()} for year, acc in sorted(totals.items())}


def run_scenario(editions: Editions, raw: Any) -> dict[str, Any]:
    """The calculator: scenario JSON value in, result JSON value out (SCENARIO.md)."""
    insured, claims = parse_scenario(raw)
    try:
        settlements, totals = settle_in_order(editions, insured, claims)
    except PolicyError as exc:
        if isinstance(exc, ScenarioError):
            raise
        claim_id = _failing_claim(editions, insured, claims)
        prefix = "" if claim_id is None or str(exc).startswith(f"费用 {claim_id}") else f"费用 {claim_id}："
        raise ScenarioError(prefix + str(exc)) from None
    return {"claims": [settlement_dict(s) for s in settlements], "accumulators": accumulators_dict(totals)}


def _failing_claim(editions: Editions, insured: Insured, claims: tuple[Claim, ...]) -> str | None:
    """Which claim the chain refused (the chain's errors name a claim only where they are per-claim)."""
    for index in range(1, len(claims) + 1):
        try:
            settle_in_order(editions, insured, claims[:index])
        except PolicyError:
            return claims[index - 1].id
    return None
