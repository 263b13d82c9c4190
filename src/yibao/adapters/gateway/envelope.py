"""The national interface's envelope (INTERFACE.md): reading fields with Chinese errors that name them,
and building responses. Money and quantities arrive as JSON numbers and are read as Decimal, never float."""

from __future__ import annotations

import datetime as dt
import hashlib
from decimal import Decimal
from typing import Any

import simplejson

from yibao.kit.errors import DomainError
from yibao.kit.ids import random_digits
from yibao.kit.money import fmt
from yibao.kit.text import column_length, text_problem


class GatewayInputError(DomainError):
    """A missing, mistyped or unknown field: infcode -1 with err_msg naming the field."""

    code = "gateway_input"


def loads(body: bytes) -> Any:
    """JSON with Decimal numbers; a body nested too deep to read is not JSON we take (ValueError)."""
    try:
        return simplejson.loads(body, use_decimal=True)
    except RecursionError:
        raise ValueError("JSON nested too deep") from None


def dumps(value: Any) -> str:
    return simplejson.dumps(value, use_decimal=True, ensure_ascii=False)


def request_hash(infno: str, data: Any) -> str:
    """What makes two requests "the same": the transaction and its input (not the envelope's times)."""
    return hashlib.sha256(dumps({"infno": infno, "input": data}).encode()).hexdigest()


NUMERIC_DIGITS = 16  # the interface's amounts, quantities and prices are numeric(16, 2/4/6)


class Fields:
    """Typed access to one input node, e.g. `input.data`; every error names the full field path."""

    def __init__(self, node: Any, path: str) -> None:
        if not isinstance(node, dict):
            raise GatewayInputError(f"{path} 应为对象", field=path)
        self.node, self.path = node, path

    def _name(self, key: str) -> str:
        return f"{self.path}.{key}" if self.path else key

    def raw(self, key: str) -> Any:
        return self.node.get(key)

    def text(self, key: str, *, required: bool = True, choices: tuple[str, ...] | None = None,
             max_len: int = 100, column: Any = None) -> str | None:
        """A text field; `column` (a mapped column the value is stored in) gives the limit, so that the two
        cannot drift; a NUL or other control character is refused (PostgreSQL cannot store a NUL)."""
        if column is not None:
            max_len = column_length(column)
        value = self.node.get(key)
        if value is None or value == "":
            if required:
                raise GatewayInputError(f"缺少字段 {self._name(key)}", field=self._name(key))
            return None
        if isinstance(value, int | Decimal) and not isinstance(value, bool):
            value = str(value)
        if not isinstance(value, str):
            raise GatewayInputError(f"字段 {self._name(key)} 应为字符串", field=self._name(key))
        value = value.strip()
        problem = text_problem(value, max_len, one_line=True)
        if problem:
            raise GatewayInputError(f"字段 {self._name(key)} {problem}", field=self._name(key))
        if choices is not None and value not in choices:
            raise GatewayInputError(f"字段 {self._name(key)} 的值 {value!r} 不在代码表中（{'、'.join(choices)}）",
                                    field=self._name(key))
        return value

    def req(self, key: str, **kw: Any) -> str:
        value = self.text(key, required=True, **kw)
        assert value is not None
        return value

    def number(self, key: str, *, places: int, required: bool = True, signed: bool = False) -> Decimal | None:
        value = self.node.get(key)
        if value is None or value == "":
            if required:
                raise GatewayInputError(f"缺少字段 {self._name(key)}", field=self._name(key))
            return None
        if isinstance(value, bool) or not isinstance(value, int | Decimal | str):
            raise GatewayInputError(f"字段 {self._name(key)} 应为数字", field=self._name(key))
        try:
            number = Decimal(str(value).strip())
        except ArithmeticError:
            raise GatewayInputError(f"字段 {self._name(key)} 应为数字", field=self._name(key)) from None
        if not number.is_finite():
            raise GatewayInputError(f"字段 {self._name(key)} 应为数字", field=self._name(key))
        if number and number.adjusted() >= NUMERIC_DIGITS - places:  # the spec's numeric(16, places)
            raise GatewayInputError(f"字段 {self._name(key)} 超出范围（整数部分最多 {NUMERIC_DIGITS - places} 位）",
                                    field=self._name(key))
        if number < 0 and not signed:
            raise GatewayInputError(f"字段 {self._name(key)} 不能为负数", field=self._name(key))
        if number != number.quantize(Decimal(1).scaleb(-places)):
            raise GatewayInputError(f"字段 {self._name(key)} 最多 {places} 位小数", field=self._name(key))
        return number.quantize(Decimal(1).scaleb(-places))

    def money(self, key: str, *, required: bool = True, signed: bool = False) -> Decimal | None:
        return self.number(key, places=2, required=required, signed=signed)

    def time(self, key: str, *, required: bool = True) -> dt.datetime | None:
        """A date-time as clients' serializers write it: `yyyy-MM-dd HH:mm:ss`, `yyyy-MM-ddTHH:mm:ss`, either with
        up to 7 fractional digits (dropped), or a date alone (midnight)."""
        value = self.text(key, required=required, max_len=32)
        if value is None:
            return None
        moment = parse_time(value)
        if moment is None:
            raise GatewayInputError(f"字段 {self._name(key)} 应为 yyyy-MM-dd HH:mm:ss", field=self._name(key))
        return moment

    def date(self, key: str, *, required: bool = True) -> dt.date | None:
        value = self.time(key, required=required)
        return value.date() if value is not None else None

    # required fields, typed as never None (a missing one has already raised GatewayInputError)
    def req_number(self, key: str, *, places: int, signed: bool = False) -> Decimal:
        value = self.number(key, places=places, signed=signed)
        assert value is not None
        return value

    def req_money(self, key: str, *, signed: bool = False) -> Decimal:
        return self.req_number(key, places=2, signed=signed)

    def req_time(self, key: str) -> dt.datetime:
        value = self.time(key)
        assert value is not None
        return value

    def req_date(self, key: str) -> dt.date:
        return self.req_time(key).date()

    def child(self, key: str) -> Fields:
        return Fields(self.node.get(key), self._name(key))

    def items(self, key: str) -> list[Fields]:
        """A list node (e.g. feedetail); a single object sent where a one-element list is meant is taken as one."""
        value = self.node.get(key)
        if isinstance(value, dict):
            value = [value]
        if not isinstance(value, list) or not value:
            raise GatewayInputError(f"{self._name(key)} 应为非空数组", field=self._name(key))
        return [Fields(item, f"{self._name(key)}[{index}]") for index, item in enumerate(value)]


def parse_time(value: str) -> dt.datetime | None:
    """Checked by shape first (fromisoformat is 10× strptime, and takes forms the interface does not)."""
    if len(value) < 10 or value[4] != "-" or value[7] != "-":
        return None
    if len(value) > 10:
        if value[10] not in " T" or len(value) < 19 or value[13] != ":" or value[16] != ":":
            return None
        if len(value) > 19 and not (value[19] == "." and value[20:].isdigit() and len(value) <= 27):  # ≤ 7 (.NET)
            return None
        value = value[:19]
    try:
        moment = dt.datetime.fromisoformat(value.replace("T", " "))
    except ValueError:
        return None
    return moment.replace(microsecond=0)


def now_stamp(moment: dt.datetime) -> str:
    return moment.strftime("%Y%m%d%H%M%S") + f"{moment.microsecond // 1000:03d}"


def response(output: Any, *, admdvs: str, moment: dt.datetime, infcode: int = 0, err_msg: str = "") -> dict[str, Any]:
    return {
        "infcode": infcode,
        "inf_refmsgid": f"{admdvs}{moment:%Y%m%d%H%M%S}{random_digits(10)}",
        "refmsg_time": now_stamp(moment),
        "respond_time": now_stamp(dt.datetime.now()),
        "err_msg": err_msg,
        "output": output,
    }


def money_out(value: Decimal) -> Decimal:
    """Money as the interface writes it: a number with exactly two decimals."""
    return Decimal(fmt(value))
