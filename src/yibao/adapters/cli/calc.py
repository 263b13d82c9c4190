"""`yibao calc`: the benefit calculator (SCENARIO.md). It imports the policy core and the glossary only (no
database, no web stack, no Typer; Rich only for `--format table`), so that one claim answers in a fraction of a
second (bench/calc.py); `yibao.adapters.cli.launch` runs it before anything else of the command line is loaded."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any, NoReturn

from yibao.glossary import ACCUMULATOR_LABELS, AMOUNT_LABELS
from yibao.kit.errors import DomainError
from yibao.policy.chain import AMOUNT_FIELDS
from yibao.policy.editions import packaged_editions
from yibao.policy.scenario import run_scenario


def fail(message: str, *, code: int = 2) -> NoReturn:
    """Bad input (or, with another `code`, a check that failed): one clear line on stderr, nothing on stdout,
    exit status 2."""
    sys.stderr.write(f"错误：{message}\n")
    raise SystemExit(code)


def _read_scenario(source: str) -> Any:
    try:
        text = sys.stdin.read() if source == "-" else Path(source).read_text(encoding="utf-8")
    except OSError as exc:
        fail(f"无法读取文件 {source}：{exc.strerror}")
    except UnicodeDecodeError:
        fail(f"文件 {source} 不是 UTF-8 编码的文本")
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        fail(f"输入不是有效的 JSON（第 {exc.lineno} 行第 {exc.colno} 列：{exc.msg}）")


def print_table(result: dict[str, Any]) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console(highlight=False)
    table = Table(title="待遇测算结果", show_lines=False)
    table.add_column("项目")
    for claim in result["claims"]:
        table.add_column(f"{claim['id']}\n{claim['year']}年 {claim['edition']}版", justify="right")
    for key in AMOUNT_FIELDS:
        table.add_row(AMOUNT_LABELS[key], *(claim[key] for claim in result["claims"]))
    console.print(table)
    for claim in result["claims"]:
        console.print(f"\n[bold]费用 {claim['id']} 的计算过程[/bold]")
        for number, step in enumerate(claim["trace"], start=1):
            console.print(f" {number}. {step['title']}：{step['amount']} 元 — {step['explanation']}")
            for cite in step["citations"]:
                console.print(f"      依据 {cite['key']} = {cite['value']}（{cite['source']}）", style="dim")
    acc = Table(title="年度累计")
    acc.add_column("年度")
    for label in ACCUMULATOR_LABELS.values():
        acc.add_column(label, justify="right")
    for year, values in result["accumulators"].items():
        acc.add_row(year, *(values[key] for key in ACCUMULATOR_LABELS))
    console.print()
    console.print(acc)


HELP = "待遇测算：按顺序结算场景中的费用，输出每笔的基金支付与计算过程（SCENARIO.md）。"
SOURCE_HELP = "场景 JSON 文件，或 - 表示标准输入"
FORMAT_HELP = "json（默认）或 table"


def run_calc(source: str, format: str = "json") -> None:
    """The scenario in `source` (a file, or - for stdin) through the chain, printed as JSON or as a table."""
    if format not in ("json", "table"):
        fail(f"--format 只能是 json 或 table，不是 {format!r}")
    raw = _read_scenario(source)
    try:
        result = run_scenario(packaged_editions(), raw)
    except DomainError as exc:
        fail(str(exc))
    if format == "table":
        print_table(result)
    else:
        sys.stdout.write(json.dumps(result, ensure_ascii=False, indent=1) + "\n")


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        fail(f"参数有误（{message}）：用法 yibao calc [--format json|table] FILE|-")


def main(argv: list[str]) -> None:
    """`yibao calc [--format json|table] FILE|-`."""
    parser = _Parser(prog="yibao calc", description=HELP)
    parser.add_argument("source", metavar="FILE|-", help=SOURCE_HELP)
    parser.add_argument("--format", "-f", default="json", help=FORMAT_HELP)
    args = parser.parse_args(argv)
    run_calc(args.source, args.format)
