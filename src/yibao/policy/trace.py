"""Trace steps with citations: how every yuan of a settlement was computed (POLICY.md §7a last line)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from yibao.kit.money import fmt
from yibao.policy.bands import Piece


@dataclass(frozen=True, slots=True)
class Citation:
    """A parameter value a step used, and where it came from."""

    key: str
    value: str
    source: str

    def as_dict(self) -> dict[str, str]:
        return {"key": self.key, "value": self.value, "source": self.source}


@dataclass(frozen=True, slots=True)
class Step:
    """One stage of the chain: its result, a plain-Chinese explanation and the parameters it used."""

    stage: str
    title: str
    amount: Decimal
    explanation: str
    citations: tuple[Citation, ...] = ()

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
