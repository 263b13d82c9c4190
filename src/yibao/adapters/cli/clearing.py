"""`yibao clear …`: institution clearing (clearing/, S18 §6) — build a month's statements, approve (another
person than the one who built), pay, list, write a statement as Excel. `--by` names the staff member acting."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

from yibao.adapters.cli.units import PROGRESS, unit_of_work, write_output
from yibao.clearing import service as clearing
from yibao.clearing.service import STATUS_LABELS, ClearingStatus
from yibao.clearing.statement import statement_xlsx

app = typer.Typer(name="clear", no_args_is_help=True,
                  help="定点医药机构清算：生成月度清算单、审核（生成人以外的人）、登记支付、导出 Excel。")
BY = typer.Option(help="办理人（工作人员用户名）：审核人须不同于生成人")


@app.command("build")
def build(
    month: Annotated[str, typer.Option(help="清算月份 YYYY-MM（次月 1 日起可清算）")],
    by: Annotated[str, BY],
    institution: Annotated[str, typer.Option(help="只清算这一家机构的编码；不填则清算全部待清算机构")] = "",
) -> None:
    """生成某月清算单（草稿）：机构当月及以前未清算的结算与撤销，按基金、待遇汇总，扣减稽查决定。"""
    with unit_of_work() as session:
        if institution:
            built = [clearing.build(session, fixmedins_code=institution, month=month, actor=f"cli:{by}")]
            skipped: dict[str, str] = {}
        else:
            with Progress(TextColumn("生成清算单"), BarColumn(), MofNCompleteColumn(), console=PROGRESS) as bar:
                task = bar.add_task("build", total=None)
                run = clearing.build_month(session, month=month, actor=f"cli:{by}",
                                           progress=lambda done, total: bar.update(task, completed=done, total=total))
            built, skipped = run.built, run.skipped
        for row in built:
            typer.echo(f"{row.id}\t{row.fixmedins_code}\t{row.month}\t{row.settlements} 笔\t应付 {row.payable} 元")
    typer.echo(f"已生成 {month} 清算单 {len(built)} 张（待审核）。" if built else f"{month} 没有待清算的结算。")
    for code, why in skipped.items():
        typer.echo(f"  未生成 {code}：{why}")


@app.command("approve")
def approve(clearing_id: Annotated[str, typer.Argument(help="清算单号")], by: Annotated[str, BY]) -> None:
    """审核清算单：记入应付机构款。"""
    with unit_of_work() as session:
        row = clearing.approve(session, clearing_id, actor=f"cli:{by}")
    typer.echo(f"清算单 {row.id} 已审核：应付 {row.fixmedins_code} {row.payable} 元。")


@app.command("pay")
def pay(clearing_id: Annotated[str, typer.Argument(help="清算单号")], by: Annotated[str, BY],
        ref: Annotated[str, typer.Option(help="银行转账凭证号")]) -> None:
    """登记清算支付：冲销应付机构款。"""
    with unit_of_work() as session:
        row = clearing.pay(session, clearing_id, payment_ref=ref, actor=f"cli:{by}")
    typer.echo(f"清算单 {row.id} 已支付 {row.payable} 元（凭证 {row.payment_ref}）。")


@app.command("list")
def list_clearings(month: Annotated[str, typer.Option(help="月份 YYYY-MM；不填为全部")] = "") -> None:
    """清算单列表。"""
    with unit_of_work() as session:
        rows = clearing.clearings(session, month=month or None)
        for row in rows:
            typer.echo(f"{row.id}\t{row.fixmedins_code}\t{row.month}\t{STATUS_LABELS[ClearingStatus(row.status)]}\t"
                       f"{row.settlements} 笔\t应付 {row.payable} 元")
    if not rows:
        typer.echo("没有清算单。")


@app.command("statement")
def statement(clearing_id: Annotated[str, typer.Argument(help="清算单号")],
              xlsx: Annotated[Path, typer.Option(help="写入的 Excel 文件")]) -> None:
    """把清算单（汇总与结算明细）写成 Excel。"""
    with unit_of_work() as session:
        content = statement_xlsx(session, clearing.get_clearing(session, clearing_id))
    write_output(xlsx, content)
    typer.echo(f"已写入 {xlsx}")
