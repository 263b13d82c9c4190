"""Policy editions: every parameter of POLICY.md §2–§8 as cited, validated, frozen data.

An edition is one YAML file in `editions/` (2018.yaml, 2022.yaml …). Loading validates it with pydantic:
a value without a `source`, a band list with gaps or overlaps, a rate outside [0, 1], an unknown key or a
category pointing at a missing benefit column is refused with a message that names the key. The edition
in force on a date is the latest one that starts on or before it (POLICY.md §1 ASSUMPTION); before the
first edition nothing is in force, and that is an error, never a guess.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from functools import cache
from importlib import resources
from itertools import pairwise
from pathlib import Path
from typing import Annotated, Any, Generic, Literal, TypeVar

import yaml
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    StringConstraints,
    ValidationError,
    model_validator,
)

from yibao.policy.errors import EditionInvalid, NoEditionInForce, UnknownEdition


class Level(StrEnum):
    """Fenghua hospital tiers of the benefit tables (POLICY.md §5)."""

    TERTIARY_A = "tertiary_a"  # 三甲
    TERTIARY_B = "tertiary_b"  # 三乙
    TERTIARY_C = "tertiary_c"  # 三丙
    OTHER = "other"  # 其他（二级及以下，非社区）
    COMMUNITY = "community"  # 社区卫生服务中心/站


LEVEL_LABELS: Mapping[Level, str] = {
    Level.TERTIARY_A: "三甲医院",
    Level.TERTIARY_B: "三乙医院",
    Level.TERTIARY_C: "三丙医院",
    Level.OTHER: "其他医院",
    Level.COMMUNITY: "社区医院",
}

# "三级医院" in the documents means all three tertiary grades (POLICY.md §5).
LEVEL_GROUPS: Mapping[str, tuple[Level, ...]] = {
    "tertiary": (Level.TERTIARY_A, Level.TERTIARY_B, Level.TERTIARY_C),
}


class Benefit(StrEnum):
    """Benefit types whose expenses accumulate separately in a year (POLICY.md §1, S22 §4)."""

    OUTPATIENT = "outpatient"  # 普通门诊, med_type 11
    INPATIENT = "inpatient"  # 住院, med_type 21
    SPECIAL_DISEASE = "special_disease"  # 门诊特殊病种, med_type 14


BENEFIT_LABELS: Mapping[Benefit, str] = {
    Benefit.OUTPATIENT: "普通门诊",
    Benefit.INPATIENT: "住院",
    Benefit.SPECIAL_DISEASE: "门诊特殊病种",
}

LateException = Literal["resident_interruption", "employee_transfer", "demobilised", "newborn"]


# ---------------------------------------------------------------------------------------------------
# Value types


def _no_float(value: Any) -> Any:
    if isinstance(value, float):
        raise ValueError("数值请写成带引号的字符串（如 \"0.70\"），避免浮点误差")
    if isinstance(value, bool):
        raise ValueError("应为数值，不是布尔值")
    if isinstance(value, str | int):
        try:
            return Decimal(str(value).strip())
        except InvalidOperation:
            raise ValueError(f"不是数值：{value!r}") from None
    return value


def _rate_in_unit_interval(value: Decimal) -> Decimal:
    if not value.is_finite() or value < 0 or value > 1:
        raise ValueError(f"比例必须在 0 到 1 之间（含），实际为 {value}")
    return value


def _non_negative(value: Decimal) -> Decimal:
    if not value.is_finite() or value < 0:
        raise ValueError(f"金额不能为负数，实际为 {value}")
    return value


Rate = Annotated[Decimal, BeforeValidator(_no_float), AfterValidator(_rate_in_unit_interval)]
Amount = Annotated[Decimal, BeforeValidator(_no_float), AfterValidator(_non_negative)]
Source = Annotated[str, StringConstraints(strip_whitespace=True, min_length=2)]

T = TypeVar("T")


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Cited(Frozen, Generic[T]):
    """One parameter value with its citation ("S22 §4 table", "S18 §5", "ASSUMPTION: …")."""

    value: T
    source: Source


# ---------------------------------------------------------------------------------------------------
# Bands


def _expand_level_keys(data: Any, field: str) -> Any:
    """In `data[field]`, a group key (`tertiary`) stands for its levels; every level must end up present."""
    if not isinstance(data, dict) or not isinstance(data.get(field), dict):
        return data
    expanded: dict[str, Any] = {}
    for key, value in data[field].items():
        for level in LEVEL_GROUPS.get(key, (key,)):
            expanded[str(level)] = value
    missing = [level.value for level in Level if level.value not in expanded]
    if missing:
        raise ValueError(f"{field} 缺少医院等级：{', '.join(missing)}")
    return {**data, field: expanded}


class Band(Frozen):
    """One band of a piecewise schedule: [lower, upper] (upper None = no limit) at a rate per level."""

    lower: Amount
    upper: Amount | None
    rates: Mapping[Level, Rate]
    source: Source

    @model_validator(mode="before")
    @classmethod
    def _expand_rates(cls, data: Any) -> Any:
        """`rate: x` means every level; `tertiary` in `rates` means 三甲, 三乙 and 三丙."""
        if not isinstance(data, dict):
            return data
        data = dict(data)
        if "rate" in data:
            if "rates" in data:
                raise ValueError("rate 与 rates 只能写一个")
            rate = data.pop("rate")
            data["rates"] = {level.value: rate for level in Level}
            return data
        return _expand_level_keys(data, "rates")

    @model_validator(mode="after")
    def _upper_above_lower(self) -> Band:
        if self.upper is not None and self.upper <= self.lower:
            raise ValueError(f"区间上限 {self.upper} 必须大于下限 {self.lower}")
        return self

    def rate_for(self, level: Level) -> Decimal:
        return self.rates[level]


def _contiguous(bands: tuple[Band, ...]) -> tuple[Band, ...]:
    """A schedule starts at 0 and each band starts where the previous one ends (no gaps, no overlaps)."""
    if not bands:
        raise ValueError("分段列表不能为空")
    if bands[0].lower != 0:
        raise ValueError(f"第 1 段必须从 0 开始，实际从 {bands[0].lower} 开始")
    for index, (previous, band) in enumerate(pairwise(bands), start=2):
        if previous.upper is None:
            raise ValueError(f"第 {index - 1} 段没有上限，其后不能再有分段")
        if band.lower != previous.upper:
            kind = "有空缺" if band.lower > previous.upper else "有重叠"
            raise ValueError(
                f"第 {index} 段下限 {band.lower} 与上一段上限 {previous.upper} 不衔接（{kind}）"
            )
    return bands


BandList = Annotated[tuple[Band, ...], AfterValidator(_contiguous)]


def schedule_cap(bands: tuple[Band, ...]) -> Decimal | None:
    """The annual ceiling a schedule sets (the last band's upper bound), None if unlimited."""
    return bands[-1].upper


# ---------------------------------------------------------------------------------------------------
# The parts of an edition


class Category(Frozen):
    """An insured category (参保人员类别) with its contribution (POLICY.md §2)."""

    label: str
    psn_type: str
    column: str
    personal_contribution: Cited[Amount | None]
    government_subsidy: Cited[Amount | None]


class CategoryRules(Frozen):
    """Birth-date rules that place a non-student in a category for policy year Y (POLICY.md §2)."""

    adult_born_by_offset: Cited[int]  # adult: born on or before (Y - n)-12-31
    infant_born_from_offset: Cited[int]  # infant: born on or after (Y - n)-01-01
    adult_categories: Cited[tuple[str, ...]]  # ("adult",) or the 2018 tiers ("adult_a", "adult_b")
    infant_category: str
    minor_category: str
    student_category: str


class SubsidyClass(Frozen):
    """A class whose personal contribution the government pays in full (POLICY.md §2)."""

    label: str
    source: Source


class LateExceptionRule(Frozen):
    """An exception to the late-enrollment waiting period (POLICY.md §3, S18 §1)."""

    label: str
    window_months: int
    benefit_from: Literal["month_after_enrollment", "birth_date"]
    source: Source


class NonlocalChild(Frozen):
    """Non-local-registration children insured like local ones (POLICY.md §2, S22 §1, §7.2)."""

    max_age: Cited[int]
    parent_min_employee_months: Cited[int]
    source: Source


def _month_day(value: str) -> str:
    try:
        dt.date(2000, int(value[:2]), int(value[3:]))
    except (ValueError, IndexError):
        raise ValueError(f"应为 MM-DD 形式的月日，实际为 {value!r}") from None
    if len(value) != 5 or value[2] != "-":
        raise ValueError(f"应为 MM-DD 形式的月日，实际为 {value!r}")
    return value


MonthDay = Annotated[str, AfterValidator(_month_day)]


class CollectionPeriod(Frozen):
    """集中参保缴费期 for policy year Y, in year Y-1 (POLICY.md §1, §3 ASSUMPTION)."""

    opens: MonthDay
    closes: MonthDay
    source: Source

    def for_year(self, year: int) -> tuple[dt.date, dt.date]:
        def on(month_day: str) -> dt.date:
            return dt.date(year - 1, int(month_day[:2]), int(month_day[3:]))

        return on(self.opens), on(self.closes)


class EnrollmentRules(Frozen):
    collection_period: CollectionPeriod
    late_waiting_months: Cited[int]
    late_exceptions: Mapping[LateException, LateExceptionRule]
    nonlocal_child: NonlocalChild | None


Region = Literal["ningbo", "zhejiang", "other_province"]


class CareElsewhere(Frozen):
    """Where care needs a prior filing (备案) (POLICY.md §9)."""

    filing_required_in: Cited[tuple[Region, ...]]
    cross_province_needs_designated_institution: Cited[bool]


class InpatientDeductible(Frozen):
    """起付线 per admission by hospital level (POLICY.md §5)."""

    amounts: Mapping[Level, Amount]
    waived_for_special_disease_patients: Cited[bool]
    source: Source

    @model_validator(mode="before")
    @classmethod
    def _expand_levels(cls, data: Any) -> Any:
        return _expand_level_keys(data, "amounts")


class Column(Frozen):
    """One column of the benefit table: the basic-fund schedules of a group of categories (POLICY.md §5)."""

    label: str
    outpatient: BandList
    inpatient: BandList
    special_disease: BandList

    def schedule(self, benefit: Benefit) -> tuple[Band, ...]:
        bands: tuple[Band, ...] = getattr(self, benefit.value)
        return bands


class SeriousIllness(Frozen):
    """大病保险 (POLICY.md §6): bands on the year's cumulative personal burden."""

    applies_to: tuple[Benefit, ...]
    bands: BandList
    assistance_recipient_bands: BandList | None


class AssistanceClass(Frozen):
    label: str
    ordinary_rate: Cited[Rate]


class MedicalAssistance(Frozen):
    """医疗救助 (POLICY.md §7): ordinary rate per class, then high-cost relief (2022)."""

    classes: Mapping[str, AssistanceClass]
    high_cost_relief: BandList | None


class FamilyAccounts(Frozen):
    """家庭共济 (POLICY.md §11): what the family's accounts may pay at settlement (policy/family.py)."""

    pays_full_ownpay: Cited[bool]  # the whole psn_part_amt, items wholly at own cost included


class Edition(Frozen):
    """Every parameter of one policy edition, each with its citation."""

    code: str
    title: str
    effective_from: dt.date
    sources: Mapping[str, str]
    categories: Mapping[str, Category]
    category_rules: CategoryRules
    full_subsidy_classes: Mapping[str, SubsidyClass]
    enrollment: EnrollmentRules
    care_elsewhere: CareElsewhere
    first_selfpay_default: Cited[Rate]
    inpatient_deductible: InpatientDeductible
    columns: Mapping[str, Column]
    serious_illness: SeriousIllness
    medical_assistance: MedicalAssistance
    maternity_subsidy: Cited[Amount | None]
    maternity_claim_months: Cited[int]  # a claim within this many months after the birth (POLICY.md §8)
    family_accounts: FamilyAccounts
    # the approved amendments applied to the packaged edition, in order (policy/amendments.py); none in a YAML
    amendments: tuple[str, ...] = ()

    @model_validator(mode="after")
    def _references_resolve(self) -> Edition:
        for code, category in self.categories.items():
            if category.column not in self.columns:
                raise ValueError(f"categories.{code}.column：待遇列 {category.column!r} 未在 columns 中定义")
        rules = self.category_rules
        named = [*rules.adult_categories.value, rules.infant_category, rules.minor_category]
        named.append(rules.student_category)
        for code in named:
            if code not in self.categories:
                raise ValueError(f"category_rules：类别 {code!r} 未在 categories 中定义")
        return self

    def column_for(self, category: str) -> Column:
        return self.columns[self.categories[category].column]


# ---------------------------------------------------------------------------------------------------
# Loading


def _error_path(loc: Iterable[int | str]) -> str:
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        elif not part.startswith(("function-", "Cited[")) and part not in ("tagged-union",):
            path += f".{part}" if path else part
    return path


def describe_error(error: ValidationError, name: str) -> str:
    first = error.errors()[0]
    message = str(first["msg"]).removeprefix("Value error, ")
    if first["type"] == "missing":
        message = "缺少此项（每个参数都必须有 value 和 source）"
    elif first["type"] == "extra_forbidden":
        message = "未知的键"
    more = len(error.errors()) - 1
    tail = f"（另有 {more} 处错误）" if more else ""
    return f"政策版本 {name} 无效：{_error_path(first['loc'])}：{message}{tail}"


_SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml parses the editions ~10× faster


def parse_edition(text: str, name: str = "<edition>") -> Edition:
    """Validate one edition's YAML text; an invalid one raises EditionInvalid naming the key."""
    try:
        data = yaml.load(text, Loader=_SAFE_LOADER)
    except yaml.YAMLError as exc:
        raise EditionInvalid(f"政策版本 {name} 不是有效的 YAML：{exc}") from None
    if not isinstance(data, dict):
        raise EditionInvalid(f"政策版本 {name} 的顶层必须是映射")
    try:
        return Edition.model_validate(data)
    except ValidationError as exc:
        raise EditionInvalid(describe_error(exc, name)) from None


class Editions:
    """The editions known to the system, ordered by start date."""

    def __init__(self, editions: Iterable[Edition]) -> None:
        self._all = tuple(sorted(editions, key=lambda e: e.effective_from))
        self._by_code = {e.code: e for e in self._all}
        if len(self._by_code) != len(self._all):
            raise EditionInvalid("政策版本代码重复")

    def __iter__(self) -> Any:
        return iter(self._all)

    def get(self, code: str) -> Edition:
        try:
            return self._by_code[code]
        except KeyError:
            raise UnknownEdition(f"没有代码为 {code!r} 的政策版本") from None

    def on(self, day: dt.date) -> Edition:
        """The edition in force on `day` (POLICY.md §1 ASSUMPTION: in force until the next one starts)."""
        found: Edition | None = None
        for edition in self._all:
            if edition.effective_from <= day:
                found = edition
            else:
                break
        if found is None:
            first = self._all[0].effective_from.isoformat() if self._all else "—"
            raise NoEditionInForce(f"{day.isoformat()} 没有生效的政策版本（最早的版本自 {first} 起生效）")
        return found


def load_editions(directory: Path | None = None) -> Editions:
    """Load and validate every `*.yaml` edition in `directory` (default: the packaged editions)."""
    if directory is not None:
        files = sorted(directory.glob("*.yaml"))
        return Editions(parse_edition(path.read_text(encoding="utf-8"), path.name) for path in files)
    return packaged_editions()


@cache
def packaged_editions() -> Editions:
    root = resources.files("yibao.policy") / "editions"
    texts = sorted((entry.name, entry.read_text(encoding="utf-8")) for entry in root.iterdir()
                   if entry.name.endswith(".yaml"))
    return Editions(parse_edition(text, name) for name, text in texts)
