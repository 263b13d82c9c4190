"""`yibao audit …` as an auditor runs it on the demo data (SQLite): the rules with their sources, a scan that
finds the planted violations, a rescan that repeats none, the findings listed and written as Excel, the
statistics; a rule that does not exist is one line and exit 2."""

from __future__ import annotations

import io
from pathlib import Path

from openpyxl import load_workbook

from tests.cli.test_commands import run
from yibao.audit.service import FINDING_HEADER
from yibao.kit.clock import now


def test_rules_scan_findings_and_statistics(tmp_path: Path) -> None:
    assert run(tmp_path, "demo", "--persons", "300").returncode == 0
    rules = run(tmp_path, "audit", "rules")
    assert rules.returncode == 0 and "FV01 同一参保人同日在多家机构结算" in rules.stdout
    assert "依据：ASSUMPTION" in rules.stdout and "社会保险法" in rules.stdout

    year = now().year
    scan = run(tmp_path, "audit", "scan", "--from", f"{year}-01-01", "--to", f"{year}-12-31", "--by", "auditor")
    assert scan.returncode == 0, scan.stderr
    assert "新发现疑点 22 个" in scan.stdout and "RD01" in scan.stdout and "SW02" in scan.stdout
    again = run(tmp_path, "audit", "scan", "--from", f"{year}-01-01", "--to", f"{year}-12-31", "--by", "auditor",
                "--rule", "RD01", "--rule", "ND02")
    assert again.returncode == 0 and "新发现疑点 0 个" in again.stdout and "FV01" not in again.stdout

    listed = run(tmp_path, "audit", "findings", "--rule", "RD01")
    assert listed.returncode == 0 and "共 1 条疑点" in listed.stdout and "限女性使用" in listed.stdout
    target = tmp_path / "findings.xlsx"
    written = run(tmp_path, "audit", "findings", "--status", "all", "--xlsx", str(target))
    assert written.returncode == 0 and "22 条疑点" in written.stdout
    sheet = load_workbook(io.BytesIO(target.read_bytes()), read_only=True).active
    rows = list(sheet.iter_rows(values_only=True))  # type: ignore[union-attr]
    assert rows[0] == FINDING_HEADER and len(rows) == 23 and {row[1] for row in rows[1:]} >= {"RD01", "FV04"}

    stats = run(tmp_path, "audit", "stats", "--from", f"{year}-01-01", "--to", f"{year}-12-31")
    assert stats.returncode == 0 and "通报 0 期" in stats.stdout and "RD01 限性别项目用于不符性别 1" in stats.stdout


def test_bad_options_are_one_line_and_exit_2(tmp_path: Path) -> None:
    unknown = run(tmp_path, "audit", "findings", "--rule", "XX01")
    assert unknown.returncode == 2 and "没有编号为 XX01 的规则" in unknown.stderr
    status = run(tmp_path, "audit", "findings", "--status", "maybe")
    assert status.returncode == 2 and "--status 应为" in status.stderr
    backwards = run(tmp_path, "audit", "scan", "--from", "2026-02-01", "--to", "2026-01-01", "--by", "a")
    assert backwards.returncode == 2 and "晚于" in backwards.stderr
    day = run(tmp_path, "audit", "stats", "--from", "2026-13-01", "--to", "2026-12-31")
    assert day.returncode == 2 and "--from 应为 YYYY-MM-DD" in day.stderr


def test_the_command_lines_own_words_are_chinese(tmp_path: Path) -> None:
    """Issue 20: help and errors said Usage, Options, [required], Show this message and exit, Missing option."""
    shown = run(tmp_path, "audit", "scan", "--help")
    assert shown.returncode == 0 and "用法：" in shown.stdout and "选项" in shown.stdout, shown.stdout
    assert "[必填]" in shown.stdout and "显示本帮助并退出" in shown.stdout
    assert not any(word in shown.stdout for word in ("Usage", "Options", "[required]", "Show this message"))
    missing = run(tmp_path, "audit", "scan")
    assert missing.returncode == 2 and "缺少选项 '--from'" in missing.stderr and "错误" in missing.stderr
    assert "Missing" not in missing.stderr
    calc = run(tmp_path, "calc", "--help")
    assert calc.returncode == 0 and "用法：" in calc.stdout and "显示本帮助并退出" in calc.stdout
