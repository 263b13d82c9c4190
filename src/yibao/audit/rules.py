"""The audit's rules and sanctions as data (rules.yaml, POLICY.md §12): loaded once, validated, every parameter
with its source. The detectors behind the rules are in detect.py, by rule id."""

from __future__ import annotations

import functools
from decimal import Decimal
from enum import StrEnum
from importlib import resources
from typing import Any

import yaml
from pydantic import Field

from yibao.policy.editions import Cited, Frozen


class Scene(StrEnum):
    BEFORE = "before"  # 事前: while prescribing (3101)
    DURING = "during"  # 事中: at settlement (3102, 2206/2207)
    AFTER = "after"  # 事后: the batch scan over a period


SCENE_LABELS = {Scene.BEFORE: "事前", Scene.DURING: "事中", Scene.AFTER: "事后"}
NATIONAL_SCENE = {Scene.BEFORE: "1", Scene.DURING: "2", Scene.AFTER: "3"}  # trig_scen as 3101/3102 name it


class Realtime(StrEnum):
    REFUSE = "refuse"  # a hit refuses the settlement at the counter
    WARN = "warn"  # a hit is answered and recorded, the settlement goes on
    NONE = "none"  # the rule needs a period's data: batch only


SEVERITY_LABELS = {"1": "明确违规", "2": "高度可疑"}


class ViolationType(Frozen):
    label: str
    national: str  # vola_bhvr_type


class SanctionRange(Frozen):
    """What a decision may impose for a violation type (the report's table, POLICY.md §12)."""

    recovery: bool
    suspension: tuple[int, int] | None  # months
    termination: bool
    points: tuple[int, int] | None  # doctor points docked
    source: str


class DoctorPointsRule(Frozen):
    per_year: Cited[int]
    at_zero: Cited[str]


class Rule(Frozen):
    id: str = Field(pattern=r"^[A-Z]{2}\d{2}$")
    name: str
    type: str
    scene: Scene
    severity: str = Field(pattern=r"^[12]$")
    realtime: Realtime
    params: dict[str, Cited[Any]]

    def param(self, name: str) -> Any:
        return self.params[name].value

    def decimal(self, name: str) -> Decimal:
        return Decimal(str(self.param(name)))


class RuleBook(Frozen):
    legal_basis: str
    source: str
    types: dict[str, ViolationType]
    sanctions: dict[str, SanctionRange]
    doctor_points: DoctorPointsRule
    rules: tuple[Rule, ...]

    def rule(self, rule_id: str) -> Rule:
        for rule in self.rules:
            if rule.id == rule_id:
                return rule
        raise KeyError(rule_id)

    def type_label(self, code: str) -> str:
        return self.types[code].label


def parse_rules(text: str) -> RuleBook:
    book = RuleBook.model_validate(yaml.safe_load(text))
    for rule in book.rules:
        if rule.type not in book.types or rule.type not in book.sanctions:
            raise ValueError(f"规则 {rule.id} 的违规类型 {rule.type!r} 未在 types 与 sanctions 中定义")
    if len({rule.id for rule in book.rules}) != len(book.rules):
        raise ValueError("规则编号重复")
    return book


@functools.cache
def rule_book() -> RuleBook:
    return parse_rules(resources.files("yibao.audit").joinpath("rules.yaml").read_text(encoding="utf-8"))
