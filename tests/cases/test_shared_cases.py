"""Every worked example reproduces to the fen (SCENARIO.md "Examples").

The cases live in `tests/cases/worked/` so a clone of the repository alone runs them; `../shared/cases` (or
YIBAO_CASES_DIR) is read too when it is there: its cases run as well, and one the repository lacks or holds in
another version fails `test_every_shared_case_is_in_the_repository`. Every amount field and every accumulator
is compared.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import REPO_CASES_DIR, SHARED_CASES_DIR
from yibao.policy.chain import AMOUNT_FIELDS
from yibao.policy.editions import Editions
from yibao.policy.scenario import run_scenario

SHARED_CASE_FILES = sorted(SHARED_CASES_DIR.glob("*.json")) if SHARED_CASES_DIR.is_dir() else []
_REPO_NAMES = {p.name for p in REPO_CASES_DIR.glob("*.json")}
CASE_FILES = sorted([*REPO_CASES_DIR.glob("*.json"), *(p for p in SHARED_CASE_FILES if p.name not in _REPO_NAMES)],
                    key=lambda p: p.name)


def test_the_worked_cases_are_there() -> None:
    assert len(_REPO_NAMES) >= 8, f"the repository's worked cases are missing from {REPO_CASES_DIR}"


@pytest.mark.skipif(not SHARED_CASE_FILES, reason="no ../shared/cases beside the repository")
def test_every_shared_case_is_in_the_repository() -> None:
    missing = [p.name for p in SHARED_CASE_FILES
               if p.name not in _REPO_NAMES
               or json.loads(p.read_text("utf-8")) != json.loads((REPO_CASES_DIR / p.name).read_text("utf-8"))]
    assert not missing, f"copy these cases from {SHARED_CASES_DIR} into {REPO_CASES_DIR}: {', '.join(missing)}"


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
