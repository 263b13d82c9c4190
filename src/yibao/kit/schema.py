"""Pydantic building blocks shared by the domains' schemas: money as strings in JSON, both ways; every input
model refuses control characters in its text and takes dates only as written dates (issue 19 item 1)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Annotated, Any, Self, get_args

from pydantic import BaseModel, BeforeValidator, ConfigDict, PlainSerializer, ValidationInfo, field_validator

from yibao.kit.dates import EARLIEST, LATEST
from yibao.kit.masks import mask_card, mask_id, mask_phone
from yibao.kit.money import MoneyError, fmt, money
from yibao.kit.text import text_problem


def _money_in(value: Any) -> Decimal:
    if isinstance(value, Decimal):
        return money(value)
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise ValueError("金额须写成字符串，如 \"750.00\"")
    try:
        return money(value)
    except MoneyError as exc:
        raise ValueError(str(exc)) from None


MoneyIn = Annotated[Decimal, BeforeValidator(_money_in), PlainSerializer(fmt, return_type=str)]
MoneyOut = Annotated[Decimal, PlainSerializer(fmt, return_type=str)]


def _refuse_control(value: Any) -> None:
    """Any text at any depth of a field's value (lists of lines, nested objects)."""
    if isinstance(value, str):
        problem = text_problem(value)
        if problem:
            raise ValueError(problem)
    elif isinstance(value, dict):
        for key, item in value.items():
            _refuse_control(key)
            _refuse_control(item)
    elif isinstance(value, list | tuple):
        for item in value:
            _refuse_control(item)


def _is_date_field(model: type[BaseModel], name: str | None) -> bool:
    """Is the field a date (`dt.date` or `dt.date | None`)?"""
    info = model.model_fields.get(name or "")
    annotation = info.annotation if info is not None else None
    return annotation is dt.date or dt.date in get_args(annotation)


class In(BaseModel):
    """An input model: unknown fields refused, text stripped and free of control characters, a date only as
    written ("2026-03-01"; pydantic would read 0 as 1970-01-01) and within kit/dates' plausible years."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    @field_validator("*", mode="before")
    @classmethod
    def _plain_input(cls, value: Any, info: ValidationInfo) -> Any:
        _refuse_control(value)
        if value is not None and _is_date_field(cls, info.field_name) and not isinstance(value, str | dt.date):
            raise ValueError("日期格式应为 YYYY-MM-DD（写成字符串，如 \"2026-03-01\"）")
        return value

    @field_validator("*", mode="after")
    @classmethod
    def _plausible_date(cls, value: Any) -> Any:
        if isinstance(value, dt.date) and not isinstance(value, dt.datetime) and not EARLIEST <= value <= LATEST:
            raise ValueError(f"日期超出范围（{EARLIEST.year}—{LATEST.year} 年），请检查")
        return value


class Personal:
    """Marks an output field as a personal number, with the one way it is masked (kit/masks) for a viewer
    without the right to see it whole: `certno: IdNumber`, `phone: Phone | None`."""

    def __init__(self, mask: Callable[[str], str]) -> None:
        self.mask = mask


IdNumber = Annotated[str, Personal(mask_id)]
Phone = Annotated[str, Personal(mask_phone)]
CardNumber = Annotated[str, Personal(mask_card)]


def _personal(annotation: Any) -> Personal | None:
    for part in (annotation, *get_args(annotation)):
        for meta in getattr(part, "__metadata__", ()):
            if isinstance(meta, Personal):
                return meta
        if part is not annotation and (found := _personal(part)) is not None:
            return found
    return None


class Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    def masked(self) -> Self:
        """A copy with every personal number masked (the REST door's one rule for roles without
        person:identity, as the pages do)."""
        updates = {}
        for name, info in type(self).model_fields.items():
            marker = _personal(info.annotation) or next((m for m in info.metadata if isinstance(m, Personal)), None)
            value = getattr(self, name)
            if marker is not None and isinstance(value, str):
                updates[name] = marker.mask(value)
        return self.model_copy(update=updates)
