"""Shared fixtures: the packaged editions, the shared worked cases, and a one-claim helper."""

from __future__ import annotations

import datetime as dt
import os
from decimal import Decimal
from pathlib import Path

import pytest

from yibao.policy.chain import Accumulators, Claim, FeeLine, Insured, Settlement, settle
from yibao.policy.editions import Benefit, Editions, Level, packaged_editions

REPO = Path(__file__).resolve().parents[1]
# The worked cases live in the repository; ../shared/cases (or YIBAO_CASES_DIR) is read when present, and a
# case there that the repository lacks (or holds in another version) fails tests/cases.
REPO_CASES_DIR = REPO / "tests" / "cases" / "worked"
SHARED_CASES_DIR = Path(os.environ.get("YIBAO_CASES_DIR", REPO.parent / "shared" / "cases"))


@pytest.fixture(scope="session")
def editions() -> Editions:
    return packaged_editions()


def settle_one(
    category: str,
    benefit: str,
    level: str,
    amount: str,
    *,
    date: str = "2022-06-01",
    before: Accumulators | None = None,
    special_disease_patient: bool = False,
    assistance_class: str | None = None,
) -> Settlement:
    """Settle one 甲-class claim with the edition in force on `date`."""
    day = dt.date.fromisoformat(date)
    claim = Claim("c1", Benefit(benefit), day, Level(level), (FeeLine(Decimal(amount)),))
    insured = Insured(category, special_disease_patient, assistance_class)
    return settle(packaged_editions().on(day), insured, claim, before or Accumulators())


from tests.dbfixtures import clerk, client, connection, engine, session  # noqa: E402,F401  (fixtures)
