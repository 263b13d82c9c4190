"""Amendments: dated, cited changes of an edition's parameters that an administrator makes without code
(POLICY.md §1; issue 17 item 5). Pure: the amendments come in as values; the database keeps them elsewhere.

A parameter is one cited value of an edition (`Cited`: a value and its source), named by its path in the edition
(`maternity_subsidy`, `categories.adult_a.personal_contribution`, `medical_assistance.classes.minimum_living
.ordinary_rate` …). The edition in force on a day is the packaged edition with every approved amendment of it
whose effective date is on or before that day, applied in the order of their effective dates (then of their
approval); the result is validated like a packaged edition and names the amendments it carries, so that a
settlement records which amendments it used.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Mapping, Sequence
from decimal import Decimal
from typing import Any, NamedTuple

from pydantic import BaseModel, ValidationError

from yibao.policy.editions import Cited, Edition, Editions, describe_error
from yibao.policy.errors import EditionInvalid

ASSUMPTION = "ASSUMPTION"  # a source that says so closes a gap in the documents (POLICY.md: a stated ASSUMPTION)


class Parameter(NamedTuple):
    path: str
    value: Any
    source: str

    @property
    def assumption(self) -> bool:
        return ASSUMPTION in self.source

    @property
    def amendable(self) -> bool:
        """A scalar value (an amount, a rate, a count, a yes/no, or an amount not yet set)."""
        return self.value is None or isinstance(self.value, Decimal | int | bool)


def _walk(node: Any, path: str) -> Iterator[Parameter]:
    if isinstance(node, Cited):
        yield Parameter(path, node.value, node.source)
    elif isinstance(node, BaseModel):
        for name in type(node).model_fields:
            yield from _walk(getattr(node, name), f"{path}.{name}" if path else name)
    elif isinstance(node, Mapping):
        for key, value in node.items():
            yield from _walk(value, f"{path}.{key}")


def parameters(edition: Edition) -> dict[str, Parameter]:
    """Every cited parameter of an edition by its path, in the edition's order."""
    return {p.path: p for p in _walk(edition, "")}


class Amendment(NamedTuple):
    id: str
    edition: str
    path: str
    value: str | None  # as entered: "600", "0.75", "true"; None for "not set"
    source: str
    effective_from: dt.date


def _set(data: dict[str, Any], path: str, value: Any, source: str) -> None:
    *parents, last = path.split(".")
    node = data
    for part in parents:
        node = node[part]
    node[last] = {"value": value, "source": source}


def amend(edition: Edition, amendments: Sequence[Amendment]) -> Edition:
    """The edition with the amendments applied in order; a value the parameter cannot take, or a path that is not
    an amendable parameter, raises EditionInvalid naming it."""
    known = parameters(edition)
    data = edition.model_dump(mode="python")
    for a in amendments:
        found = known.get(a.path)
        if found is None or not found.amendable:
            raise EditionInvalid(f"政策版本 {edition.code} 没有可修改的参数 {a.path}")
        _set(data, a.path, a.value, a.source)
    data["amendments"] = (*edition.amendments, *(a.id for a in amendments))
    try:
        return Edition.model_validate(data)
    except ValidationError as exc:
        raise EditionInvalid(describe_error(exc, edition.code)) from None


def in_order(amendments: Iterable[Amendment]) -> tuple[Amendment, ...]:
    """By effective date; amendments of one date in the order given (their approval)."""
    return tuple(sorted(amendments, key=lambda a: a.effective_from))


class AmendedEditions(Editions):
    """The packaged editions with their approved amendments, each in force from its effective date."""

    def __init__(self, base: Editions, amendments: Iterable[Amendment] = ()) -> None:
        super().__init__(base)
        self.base = base
        self._amendments = in_order(amendments)
        self._cache: dict[tuple[str, ...], Edition] = {}  # by the ids applied: an approved amendment never changes

    @property
    def amendments(self) -> tuple[Amendment, ...]:
        return self._amendments

    def replace(self, amendments: Iterable[Amendment]) -> bool:
        """Another set of approved amendments (a server's refresh); whether it differed."""
        ordered = in_order(amendments)
        changed = ordered != self._amendments
        self._amendments = ordered
        return changed

    def on(self, day: dt.date) -> Edition:
        edition = super().on(day)
        applying = [a for a in self._amendments if a.edition == edition.code and a.effective_from <= day]
        if not applying:
            return edition
        key = tuple(a.id for a in applying)
        found = self._cache.get(key)
        if found is None:
            found = self._cache[key] = amend(edition, applying)
        return found
