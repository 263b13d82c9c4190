"""The one piecewise-band function every benefit uses (POLICY.md §5 "How the bands apply").

A settlement occupies the interval [start, end] of the year's cumulative amount; the fund pays, for each
band, the overlap of that interval with the band times the band's rate. The part of the interval above
the last band's upper bound (the annual cap) is paid by no fund. Nothing is rounded here: the chain
rounds once per fund, at the end (POLICY.md §7a).
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import NamedTuple

from yibao.kit.money import ZERO
from yibao.policy.editions import Band, Level


class Piece(NamedTuple):
    """The overlap of a settlement's interval with one band, or with the part above the cap.

    A NamedTuple rather than a frozen dataclass: equally immutable, three times cheaper to build, and the
    chain builds one per band a claim touches.
    """

    lower: Decimal
    upper: Decimal
    rate: Decimal
    pay: Decimal
    source: str
    above_cap: bool = False

    @property
    def base(self) -> Decimal:
        return self.upper - self.lower


def apply_bands(
    start: Decimal, end: Decimal, bands: Sequence[Band], level: Level
) -> tuple[Decimal, tuple[Piece, ...]]:
    """What the bands pay on [start, end] at `level`, unrounded, and the pieces that make it up."""
    if end <= start:
        return ZERO, ()
    total = ZERO
    pieces: list[Piece] = []
    for band in bands:
        if band.upper is not None and band.upper <= start:
            continue
        if band.lower >= end:
            break
        lower = start if start > band.lower else band.lower
        upper = end if band.upper is None or end < band.upper else band.upper
        rate = band.rates[level]
        pay = (upper - lower) * rate
        total += pay
        pieces.append(Piece(lower, upper, rate, pay, band.source))
    cap = bands[-1].upper
    if cap is not None and end > cap:
        lower = start if start > cap else cap
        pieces.append(Piece(lower, end, ZERO, ZERO, bands[-1].source, above_cap=True))
    return total, tuple(pieces)
