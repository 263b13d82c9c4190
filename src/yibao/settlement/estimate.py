"""待遇测算 (the residents' calculator): what a claim would pay, written nowhere."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from yibao.policy.chain import Accumulators, Claim, FeeLine, Insured
from yibao.policy.chain import Settlement as Computed
from yibao.policy.chain import settle as run_chain
from yibao.policy.editions import Benefit, Editions, Level
from yibao.settlement import repository
from yibao.settlement.errors import CategoryRequired, NoAmounts
from yibao.settlement.standing import check_benefit, standing_on


def estimate_benefit(
    session: Session,
    editions: Editions,
    *,
    day: dt.date,
    benefit: Benefit,
    level: Level,
    lines: tuple[FeeLine, ...],
    psn_no: str | None = None,
    category: str | None = None,
) -> tuple[Computed, Accumulators]:
    """The chain on a hypothetical claim: for a signed-in person with their own category, classes and this
    year's accumulators (so a deductible already paid counts); otherwise for `category` from zero."""
    if psn_no is not None:
        standing = standing_on(session, editions, psn_no, day)
        check_benefit(standing, benefit)
        edition, insured = standing.edition, standing.insured
        before = repository.read_accumulators(session, psn_no, day.year)
    else:
        edition = editions.on(day)
        if category is None or category not in edition.categories:
            raise CategoryRequired(choices="、".join(f"{c.label}（{code}）" for code, c in edition.categories.items()))
        # someone asking about special-disease care is presumed to hold the filing it needs
        insured, before = Insured(category, benefit is Benefit.SPECIAL_DISEASE), Accumulators()
    if not lines:
        raise NoAmounts()
    return run_chain(edition, insured, Claim("estimate", benefit, day, level, lines), before), before
