"""The one rule for text that a door lets in (issue 19 item 1): no control characters (PostgreSQL cannot store
a NUL, and none belongs in a name or a code) and no more characters than the column that stores it holds.

Every door uses it: the gateway's Fields, the REST schemas (kit/schema.In), and — as the net under all of
them, the pages and the CLI included — `refuse_overlong` run by the session before each flush, with the
limits read from the mapped columns themselves, so that a limit and its column cannot drift apart.
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import String, inspect

from yibao.kit.errors import DomainError

CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")  # tab, line feed and carriage return are text
CONTROL_STRICT = re.compile(r"[\x00-\x1f\x7f]")  # one-line fields (codes, names in the interface)


class TextRefused(DomainError):
    code = "invalid_text"
    http_status = 400


def text_problem(value: str, max_len: int | None = None, *, one_line: bool = False) -> str | None:
    """What is wrong with `value` in Chinese (None: nothing)."""
    if (CONTROL_STRICT if one_line else CONTROL).search(value):
        return "含有控制字符（如 NUL），请去掉后重试"
    if max_len is not None and len(value) > max_len:
        return f"不能超过 {max_len} 个字符"
    return None


def column_length(column: Any) -> int:
    """The length of a mapped String column (`Model.attribute`), where a value is stored."""
    length: int = column.property.columns[0].type.length
    return length


def refuse_overlong(objects: Any) -> None:
    """Before a flush: every String value of the new and changed objects fits its column and has no control
    character; else a field error naming the column (nothing is written: the flush does not start)."""
    for obj in objects:
        mapper = inspect(obj).mapper
        for attr in mapper.column_attrs:
            column = attr.columns[0]
            if not isinstance(getattr(column.type, "impl", column.type), String):  # a String, or sealed (db.Sealed)
                continue
            value = obj.__dict__.get(attr.key)
            if isinstance(value, str):
                problem = text_problem(value, column.type.length)
                if problem:
                    raise TextRefused(f"{attr.key}：{problem}", field=attr.key)
