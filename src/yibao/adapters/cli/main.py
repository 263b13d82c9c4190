"""The `yibao` command line (Typer). A door: it parses, calls the core, formats; no rules here."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
from rich.console import Console
from rich.table import Table

from yibao.kit.errors import DomainError
from yibao.policy.editions import packaged_editions
from yibao.policy.scenario import run_scenario

app = typer.Typer(
    name="yibao",
    help="奉化区城乡居民基本医疗保险管理与实时结算系统 (yibao)",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def fail(message: str) -> NoReturn:
    """Bad input: one clear line on stderr, nothing on stdout, exit status 2."""
    sys.stderr.write(f"错误：{message}\n")
    raise typer.Exit(code=2)


@app.callback()
def main() -> None:
    """奉化区城乡居民基本医疗保险管理与实时结算系统。"""


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


LABELS = {
    "medfee_sumamt": "医疗费总额",
    "fulamt_ownpay_amt": "全自费",
    "overlmt_selfpay": "超限价自费",
    "preselfpay_amt": "先行自付",
    "inscp_scp_amt": "政策范围内",
    "act_pay_dedc": "起付线",
    "hifp_pay": "统筹基金",
    "hifmi_pay": "大病保险",
    "maf_pay": "医疗救助",
    "fund_pay_sumamt": "基金支付合计",
    "psn_part_amt": "个人负担",
}
ACCUMULATOR_LABELS = {
    "outpatient": "普通门诊累计",
    "inpatient": "住院累计",
    "special_disease": "门诊特病累计",
    "serious_illness_burden": "大病个人负担累计",
    "assistance_selfpay": "救助后自付累计",
}


def print_table(result: dict[str, Any]) -> None:
    console = Console(highlight=False)
    table = Table(title="待遇测算结果", show_lines=False)
    table.add_column("项目")
    for claim in result["claims"]:
        table.add_column(f"{claim['id']}\n{claim['year']}年 {claim['edition']}版", justify="right")
    for key, label in LABELS.items():
        table.add_row(label, *(claim[key] for claim in result["claims"]))
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


@app.command()
def calc(
    source: Annotated[str, typer.Argument(metavar="FILE|-", help="场景 JSON 文件，或 - 表示标准输入")],
    format: Annotated[str, typer.Option("--format", "-f", help="json（默认）或 table")] = "json",
) -> None:
    """待遇测算：按顺序结算场景中的费用，输出每笔的基金支付与计算过程（SCENARIO.md）。"""
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


if __name__ == "__main__":  # pragma: no cover
    app()
