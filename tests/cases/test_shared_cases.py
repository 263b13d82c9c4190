"""Every worked example in ../shared/cases reproduces to the fen (SCENARIO.md "Examples").

New case files are picked up automatically; every amount field and every accumulator is compared.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import CASES_DIR
from yibao.policy.chain import AMOUNT_FIELDS
from yibao.policy.editions import Editions
from yibao.policy.scenario import run_scenario

CASE_FILES = sorted(CASES_DIR.glob("*.json"))


def test_the_shared_cases_are_there() -> None:
    assert CASE_FILES, f"no worked cases found in {CASES_DIR} (set YIBAO_CASES_DIR)"


@pytest.mark.parametrize("path", CASE_FILES, ids=[p.stem for p in CASE_FILES])
def test_case_reproduces_to_the_fen(path: Path, editions: Editions) -> None:
    case = json.loads(path.read_text(encoding="utf-8"))
    result = run_scenario(editions, case)
    expected = case["expected"]
    assert [c["id"] for c in result["claims"]] == [c["id"] for c in expected["claims"]]
    for got, want in zip(result["claims"], expected["claims"], strict=True):
        for key in ("year", "edition", *AMOUNT_FIELDS):
            if key in want:
                assert got[key] == want[key], f"{path.name} {want['id']} {key}"
        assert got["trace"], "every settlement carries its trace"
    assert result["accumulators"] == expected["accumulators"]
