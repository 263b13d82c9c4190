"""Pydantic building blocks shared by the domains' schemas: money as strings in JSON, both ways."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, PlainSerializer

from yibao.kit.money import MoneyError, fmt, money


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


class In(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)
