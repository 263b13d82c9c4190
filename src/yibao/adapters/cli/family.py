"""`yibao family-accounts …`: the historical accounts (历年个账) the employee-insurance system reports daily and what
yibao reports back (accounts/historical.py, POLICY.md §11)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from yibao.accounts.historical import export_daily_uses, import_daily_file
from yibao.adapters.cli.units import parse_day, read_input, unit_of_work, write_output

app = typer.Typer(name="family-accounts", no_args_is_help=True,
                  help="家庭共济：导入职工医保历年个账日报、导出当日历年个账使用明细。")


@app.command("import")
def import_file(
    file: Annotated[Path, typer.Argument(help="历年个账日报 .csv 或 .xlsx（身份证号、姓名、当日变动、日终余额）")],
    file_id: Annotated[str, typer.Option(help="文件编号（职工医保系统的批次号）：同一编号只导入一次")],
    day: Annotated[str, typer.Option(help="日报日期 YYYY-MM-DD：须为上一份日报的次日")],
) -> None:
    """导入一天的历年个账日报：逐日导入，整个文件导入或不导入（出错时指出行号），余额须与中心记录一致。"""
    content = read_input(file)
    with unit_of_work() as session:
        result = import_daily_file(session, file.name, content, file_id=file_id, day=parse_day(day, "--day"),
                                   actor="cli")
    typer.echo(result.summary)


@app.command("export")
def export(
    day: Annotated[str, typer.Option(help="日期 YYYY-MM-DD")],
    out: Annotated[Path, typer.Option(help="写入的 CSV 文件（UTF-8）")],
) -> None:
    """导出某日历年个账使用明细（结算支付、撤销退回、与共济账户之间的划转），报送职工医保系统。"""
    with unit_of_work() as session:
        content = export_daily_uses(session, parse_day(day, "--day")).content
    write_output(out, content)
    lines = content.decode("utf-8-sig").count("\n") - 1
    typer.echo(f"已导出 {day} 的历年个账使用明细 {lines} 笔到 {out}" if lines
               else f"{day} 没有历年个账使用，已写入表头到 {out}")
