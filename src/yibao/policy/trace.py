"""Trace steps with citations: how every yuan of a settlement was computed (POLICY.md §7a last line).

A step keeps the numbers it used and renders its plain-Chinese explanation and its citations only when
read (`explanation`, `citations`, `as_dict()`), so building a trace costs the chain almost nothing and
settling at counter speed keeps the full explanation of every yuan.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, NamedTuple

from yibao.kit.money import fmt
from yibao.policy.bands import Piece


class Citation(NamedTuple):
    """A parameter value a step used, and where it came from (immutable; a NamedTuple, cheap to build)."""

    key: str
    value: str
    source: str

    def as_dict(self) -> dict[str, str]:
        return {"key": self.key, "value": self.value, "source": self.source}


class Step(NamedTuple):
    """One stage of the chain: its result, an explanation template with its values, and what it cited.

    Immutable (a NamedTuple: cheap to build, and the chain builds several per claim).

    `template` is a str.format template over `values`; amounts format with `{0:,.2f}`, rates with
    `{0:%}` via `Rate`, band pieces with `{0}` via `Pieces`. Band pieces are cited under `piece_key`.
    """

    stage: str
    title: str
    amount: Decimal
    template: str
    values: tuple[Any, ...] = ()
    cited: tuple[Citation, ...] = ()
    piece_key: str = ""
    pieces: tuple[Piece, ...] = ()

    @property
    def explanation(self) -> str:
        return self.template.format(*self.values)

    @property
    def citations(self) -> tuple[Citation, ...]:
        return self.cited + cite_pieces(self.piece_key, self.pieces)

    def as_dict(self) -> dict[str, Any]:
        return {
            "stage": self.stage,
            "title": self.title,
            "amount": fmt(self.amount),
            "explanation": self.explanation,
            "citations": [c.as_dict() for c in self.citations],
        }


def percent(rate: Decimal) -> str:
    """0.75 → "75%", 0.055 → "5.5%"."""
    text = f"{(rate * 100).normalize():f}"
    return f"{text}%"


def yuan(amount: Decimal) -> str:
    return f"{amount:,.2f}"


class Rate:
    """A rate that formats as a percentage inside a step template."""

    __slots__ = ("rate",)

    def __init__(self, rate: Decimal) -> None:
        self.rate = rate

    def __format__(self, spec: str) -> str:
        return percent(self.rate)


class Pieces:
    """Band pieces that format as their arithmetic inside a step template."""

    __slots__ = ("pieces",)

    def __init__(self, pieces: tuple[Piece, ...]) -> None:
        self.pieces = pieces

    def __format__(self, spec: str) -> str:
        return describe_pieces(self.pieces)


def describe_pieces(pieces: tuple[Piece, ...]) -> str:
    """The band arithmetic in words, e.g. "[11,500.00, 40,000.00] 28,500.00 × 70% = 19,950.00"."""
    if not pieces:
        return "本段无费用落入任何分段"
    parts = []
    for piece in pieces:
        span = f"[{yuan(piece.lower)}, {yuan(piece.upper)}] {yuan(piece.base)}"
        if piece.above_cap:
            parts.append(f"{span} 超过封顶线，基金不予支付")
        else:
            parts.append(f"{span} × {percent(piece.rate)} = {yuan(piece.pay)}")
    return "；".join(parts)


def cite_pieces(key: str, pieces: tuple[Piece, ...]) -> tuple[Citation, ...]:
    return tuple(
        Citation(
            key,
            "封顶线以上 0%" if piece.above_cap else f"[{yuan(piece.lower)}, {yuan(piece.upper)}] {percent(piece.rate)}",
            piece.source,
        )
        for piece in pieces
    )
