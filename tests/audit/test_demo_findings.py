"""The demo's planted violations (demo.plant_violations) on both databases: a scan of the demo year finds one of
each planted kind and nothing in the demo's clean care (issue 15: none flagged beyond what is planted)."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from sqlalchemy.orm import Session

from yibao.audit.rules import rule_book
from yibao.audit.service import run_scan
from yibao.demo import generate_demo
from yibao.policy.editions import Editions

PLANTED = {"FV01", "FV02", "FV03", "FV04", "IP01", "IP02", "IP03", "MM01", "MM02", "MM03", "MM04", "ND01", "ND02",
           "ND03", "RD01", "RD02", "RD03", "RD04", "RD05", "SW01", "SW02", "SW03"}


def test_the_demo_scan_finds_each_planted_violation_once(session: Session, editions: Editions) -> None:
    today = dt.date.today()
    if today < dt.date(today.year, 2, 20):
        pytest.skip("the demo plants its violations in February: before the 20th there is not enough of the year")
    generate_demo(session, editions, persons=3000, year=today.year)
    scan = run_scan(session, start=dt.date(today.year, 1, 1), end=today, actor="auditor")
    assert json.loads(scan.by_rule) == dict.fromkeys(sorted(PLANTED), 1)
    assert {rule.id for rule in rule_book().rules} == PLANTED  # every rule has its planted case
