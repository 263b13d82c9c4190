"""Resident ID numbers (公民身份号码) by GB 11643-1999: 6-digit region, 8-digit birth date, 3-digit
sequence (odd = male), and an ISO 7064 MOD 11-2 check character."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK = "10X98765432"


class IdNumberError(ValueError):
    """An ID number that is not a valid GB 11643 number; the message says what is wrong, in Chinese."""


@dataclass(frozen=True, slots=True)
class IdNumber:
    number: str
    region: str
    birth_date: dt.date
    sex: str  # "1" male, "2" female (GB/T 2261.1)


def check_char(first17: str) -> str:
    return CHECK[sum(int(c) * w for c, w in zip(first17, WEIGHTS, strict=True)) % 11]


def parse_id_number(raw: str) -> IdNumber:
    number = raw.strip().upper()
    if len(number) != 18:
        raise IdNumberError(f"身份证号应为 18 位，实际 {len(number)} 位")
    if not number[:17].isdigit() or not (number[17].isdigit() or number[17] == "X"):
        raise IdNumberError("身份证号前 17 位须为数字，最后一位为数字或 X")
    try:
        birth = dt.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        raise IdNumberError(f"身份证号中的出生日期 {number[6:14]} 不是有效日期") from None
    if birth.year < 1900:
        raise IdNumberError(f"身份证号中的出生日期 {number[6:14]} 不合理")
    if check_char(number[:17]) != number[17]:
        raise IdNumberError("身份证号校验位不正确，请核对号码")
    sex = "1" if int(number[16]) % 2 == 1 else "2"
    return IdNumber(number, number[:6], birth, sex)


def make_id_number(region: str, birth: dt.date, sequence: int, sex: str) -> str:
    """A valid number for test and demo data: `sequence` 0–499 picks the order code, `sex` its parity."""
    order = sequence % 500 * 2 + (1 if sex == "1" else 0)
    first17 = f"{region}{birth:%Y%m%d}{order:03d}"
    return first17 + check_char(first17)
