"""`yibao collect …`: collection runs (enrollment/collection.py; S22 §3) — a bank's monthly withholding request
and its result file, the tax bureau's daily file."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

from yibao.adapters.cli.units import PROGRESS, parse_day, read_input, unit_of_work, write_output
from yibao.contributions.service import BANKS
from yibao.enrollment import collection
from yibao.enrollment.collection import FileReport
from yibao.kit.money import ZERO, fmt

app = typer.Typer(name="collect", no_args_is_help=True,
                  help="征缴：银行按月代扣（生成请求文件、导入扣款结果）、导入税务每日缴费文件。")
MODE = typer.Option(help="valid_only：只导入正确的行（默认）；all_or_nothing：有错误行则整个文件不导入")
_BANKS = "、".join(f"{code}（{name}）" for code, name in BANKS.items())


def _say(report: FileReport) -> None:
    if report.already:
        typer.echo(f"文件 {report.file_id} 已导入过，本次未改变任何内容（当时：{report.paid} 笔缴费成功）。")
        return
    head = (f"文件 {report.file_id}：{report.lines} 行，缴费成功 {report.paid} 笔 {report.amount} 元，"
            f"错误 {len(report.errors)} 行")
    if report.outcomes:
        head += "；扣款结果：" + "、".join(f"{collection.OUTCOME_LABELS[k]} {v}" for k, v in report.outcomes.items())
    if report.unanswered:
        head += f"；银行尚未返回结果的请求 {report.unanswered} 行"
    typer.echo(head + ("。" if report.written else "；整个文件未导入。"))
    typer.echo(f"对账：文件所列已收款 {report.stated} 笔 {fmt(report.stated_amount)} 元，已入账 {report.paid} 笔 "
               f"{fmt(report.amount if report.written else ZERO)} 元，差额 {fmt(report.difference)} 元。")
    for u in report.unapplied:
        typer.echo(f"  未入账 第 {u.line} 行 缴费单 {u.bill_no} {fmt(u.amount)} 元：{u.why}")
    for line, why in sorted(report.errors.items()):
        typer.echo(f"  第 {line} 行：{why}", err=True)
    if not report.written:
        raise typer.Exit(code=2)


@contextmanager
def _bar(label: str) -> Iterator[Callable[[int, int], None]]:
    """A Rich progress bar on stderr over the lines written (the importers tell it after each part)."""
    with Progress(TextColumn(label), BarColumn(), MofNCompleteColumn(), console=PROGRESS) as bar:
        task = bar.add_task(label, total=None)
        yield lambda done, total: bar.update(task, completed=done, total=total)


@app.command("withholding-request")
def withholding_request(
    bank: Annotated[str, typer.Option(help=f"代扣银行：{_BANKS}")],
    month: Annotated[str, typer.Option(help="代扣月份 YYYY-MM（每月 8 日扣款）")],
    out: Annotated[Path, typer.Option(help="写入的代扣请求文件（CSV，UTF-8）")],
) -> None:
    """生成某银行某月的代扣请求文件：有未缴费缴费单且代扣协议有效的每个人一行。"""
    with unit_of_work() as session:
        made = collection.withholding_request(session, bank=bank, month=month, actor="cli")
    write_output(out, made.content)
    typer.echo(f"代扣批次 {made.run.id}：{made.run.lines} 人，合计 {made.run.amount} 元，扣款日 {made.run.deduct_on}，"
               f"已写入 {out}。")
    for psn_no, why in made.excluded.items():
        typer.echo(f"  未列入 {psn_no}：{why}")


@app.command("withholding-result")
def withholding_result(
    file: Annotated[Path, typer.Argument(help="银行返回的扣款结果文件（CSV 或 Excel）")],
    file_id: Annotated[str, typer.Option(help="文件编号（银行的文件批次号）：同一编号只导入一次")],
    mode: Annotated[str, MODE] = "valid_only",
) -> None:
    """导入银行扣款结果：成功的缴费、余额不足的下月重扣、账户已销户的须重新签约；错误行逐行列出。"""
    content = read_input(file)
    with unit_of_work() as session, _bar("导入扣款结果") as progress:
        report = collection.import_withholding_result(session, file.name, content, file_id=file_id, mode=mode,
                                                      actor="cli", progress=progress)
    _say(report)


@app.command("tax")
def tax(
    file: Annotated[Path, typer.Argument(help="税务每日缴费文件（CSV 或 Excel）：微信、支付宝、银行柜面")],
    file_id: Annotated[str, typer.Option(help="文件编号（税务的文件批次号）：同一编号只导入一次")],
    mode: Annotated[str, MODE] = "valid_only",
) -> None:
    """导入税务每日缴费文件；错误行逐行列出。"""
    content = read_input(file)
    with unit_of_work() as session, _bar("导入税务缴费") as progress:
        report = collection.import_tax_file(session, file.name, content, file_id=file_id, mode=mode, actor="cli",
                                            progress=progress)
    _say(report)


@app.command("school")
def school(
    school_name: Annotated[str, typer.Option("--school", help="学校名称（与学校批量参保时的名称一致）")],
    year: Annotated[int, typer.Option(help="参保年度")],
    amount: Annotated[str, typer.Option(help="学校缴来的合计金额（元），须等于全部未缴费学生的应缴合计")],
    paid_on: Annotated[str, typer.Option(help="缴费日期 YYYY-MM-DD")],
    reference: Annotated[str, typer.Option(help="学校缴费的流水号")],
) -> None:
    """学校为其学生一次缴费：每名未缴费学生的缴费单各记一笔（学校代收），参保登记随之生效。"""
    with unit_of_work() as session:
        done = collection.pay_school(session, school=school_name, year=year, amount=amount,
                                     paid_on=parse_day(paid_on, "--paid-on"), reference=reference, actor="cli")
    typer.echo(f"{done.school} {done.year} 年度：{done.bills} 名学生缴费 {done.amount} 元已登记。")
