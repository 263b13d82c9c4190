"""Money is Decimal yuan and nothing else (ARCHITECTURE.md convention 3).

`money()` is the one constructor: it refuses floats, NaN, infinities and more than two decimals.
`round_money()` is the one rounding: half-up to 0.01, used only where POLICY.md §5 and §7a say.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

CENT = Decimal("0.01")
ZERO = Decimal("0.00")


class MoneyError(ValueError):
    """A value that is not an exact amount of yuan."""


MAX_DIGITS = 14  # integer digits of Numeric(16, 2) (ARCHITECTURE.md convention 3)


def money(value: str | int | Decimal) -> Decimal:
    """An exact amount in yuan with at most two decimals, as a Decimal.

    Floats are refused: a binary float cannot hold most fen exactly.
    """
    if isinstance(value, bool | float):
        raise MoneyError(f"金额不能是浮点数：{value!r}，请写成字符串，如 \"12.30\"")
    try:
        amount = value if isinstance(value, Decimal) else Decimal(str(value).strip())
    except InvalidOperation:
        raise MoneyError(f"金额格式不正确：{value!r}，应为数字，最多两位小数") from None
    if not amount.is_finite():
        raise MoneyError(f"金额格式不正确：{value!r}")
    if amount and amount.adjusted() >= MAX_DIGITS:  # numeric(16, 2): what every money column holds
        raise MoneyError(f"金额超出范围：{value!r}，整数部分最多 {MAX_DIGITS} 位")
    exponent = amount.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -2 and amount != amount.quantize(CENT):
        raise MoneyError(f"金额最多两位小数：{value!r}")
    return amount.quantize(CENT)


def round_money(value: Decimal) -> Decimal:
    """Round half-up to the fen (POLICY.md §5: "rounded half-up to 0.01 once, at the end")."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def fmt(value: Decimal) -> str:
    """Money as the interface writes it: a string with exactly two decimals."""
    return f"{value.quantize(CENT):f}"


def fmt_grouped(value: Decimal) -> str:
    """Money as a person reads it in a table: thousands separated, two decimals (1,234,567.89)."""
    return f"{value.quantize(CENT):,f}"


def fmt_yuan(value: Decimal) -> str:
    """A total as a tile shows it: 万元 from ten thousand yuan (123.46 万元, the display rounded half-up to
    0.01 万元; the amount itself is unchanged), else yuan (9,876.50 元)."""
    if abs(value) >= 10_000:
        return f"{(value / 10_000).quantize(CENT, rounding=ROUND_HALF_UP):,f} 万元"
    return f"{fmt_grouped(value)} 元"


_DIGITS = "零壹贰叁肆伍陆柒捌玖"
_PLACES = ("仟", "佰", "拾", "")
_GROUPS = ("", "万", "亿", "万亿")


def _group_words(group: int) -> str:
    """0 < group < 10,000 in capitals: 1005 → 壹仟零伍, 1050 → 壹仟零伍拾."""
    words, zero = "", False
    for place, digit in zip(_PLACES, f"{group:04d}", strict=True):
        if digit == "0":
            zero = bool(words)
        else:
            words += ("零" if zero else "") + _DIGITS[int(digit)] + place
            zero = False
    return words


def capital(amount: Decimal) -> str:
    """An amount in capital Chinese numerals as receipts write it (大写): 1,203.05 → 壹仟贰佰零叁元零伍分,
    80.00 → 捌拾元整, 0.50 → 伍角整. The amount is rounded half-up to the fen first (a receipt's amounts are)."""
    cents = int((abs(amount) * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))
    yuan, jiao, fen = cents // 100, cents // 10 % 10, cents % 10
    groups = []
    while yuan:
        groups.append(yuan % 10_000)
        yuan //= 10_000
    words, gap = "", False
    for index in range(len(groups) - 1, -1, -1):
        group = groups[index]
        if group == 0:
            gap = True
            continue
        if words and (gap or group < 1000):
            words += "零"
        words += _group_words(group) + _GROUPS[index]
        gap = False
    words += "元" if words else ""
    if jiao:
        words += _DIGITS[jiao] + "角"
    elif fen and words:
        words += "零"
    words += _DIGITS[fen] + "分" if fen else "整"
    if not cents:
        words = "零元整"
    return ("负" if amount < 0 and cents else "") + words
