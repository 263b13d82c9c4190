"""`yibao report …`: the centre's reports from the command line (reports/), as text or an Excel file."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Annotated

import typer

from yibao.adapters.cli.units import parse_day, parse_period, unit_of_work, write_output
from yibao.adapters.downloads import xlsx_book, xlsx_bytes
from yibao.kit.clock import now
from yibao.kit.money import fmt_grouped
from yibao.policy.editions import packaged_editions
from yibao.reports import fund as funds
from yibao.reports import insured as enrolled
from yibao.reports import payments as paid
from yibao.reports.triple import HEADER, S22_SOURCE, rows, triple_protection

app = typer.Typer(name="report", no_args_is_help=True,
                  help="统计报表：参保与缴费进度、“三重保障”运行情况、基金支付，可写成 Excel。")


@app.command("triple")
def triple(
    start: Annotated[str, typer.Option("--from", help="起始服务日期 YYYY-MM-DD")],
    end: Annotated[str, typer.Option("--to", help="截止服务日期 YYYY-MM-DD")],
    xlsx: Annotated[Path | None, typer.Option(help="写成 Excel 文件而不在屏幕列出")] = None,
) -> None:
    """“三重保障”：医疗总费用、统筹基金支付、政策内住院报销比例、大病保险与医疗救助，对照2022年度报道。"""
    first, last = parse_period(start, end)
    with unit_of_work() as session:
        report = triple_protection(session, start=first, end=last)
    if xlsx is not None:
        write_output(xlsx, xlsx_bytes("三重保障", HEADER, rows(report)))
        typer.echo(f"已写入 {xlsx}")
        return
    typer.echo(f"{first} 至 {last}：结算 {report.settlements:,} 笔（已撤销的不计）；括号内为{S22_SOURCE}")
    for f in report.figures:
        typer.echo(f"  {f.label}：{_shown(f.value, f.unit)}（{_shown(f.s22, f.unit)}）")


@app.command("payments")
def payments(
    start: Annotated[str, typer.Option("--from", help="起始服务日期 YYYY-MM-DD")],
    end: Annotated[str, typer.Option("--to", help="截止服务日期 YYYY-MM-DD")],
    top: Annotated[int, typer.Option(min=1, max=1000, help="列出基金支付最多的几家机构")] = 10,
    xlsx: Annotated[Path | None, typer.Option(help="写成 Excel 文件（全部机构、等级、待遇类别）而不在屏幕列出")] = None,
) -> None:
    """基金支付：按机构排名，并按医院等级、待遇类别汇总。"""
    first, last = parse_period(start, end)
    with unit_of_work() as session:
        report = paid.payments(session, start=first, end=last)
    if xlsx is not None:
        write_output(xlsx, xlsx_bytes("基金支付", paid.HEADER, paid.rows(report)))
        typer.echo(f"已写入 {xlsx}")
        return
    typer.echo(f"{first} 至 {last}：结算 {report.total.settlements:,} 笔，基金支付 {fmt_grouped(report.total.fund)} 元")
    for group, found in (("按机构", report.by_institution[:top]), ("按医院等级", report.by_level),
                         ("按待遇类别", report.by_benefit)):
        typer.echo(group + "：")
        for n, r in enumerate(found, start=1):
            share = "—" if r.share is None else f"{r.share}%"
            typer.echo(f"  {n}. {r.label}：{r.settlements:,} 笔，基金支付 {fmt_grouped(r.fund)} 元（{share}）")


@app.command("insured")
def insured(
    year: Annotated[int, typer.Option(min=2018, max=2100, help="参保年度")],
    as_of: Annotated[str | None, typer.Option("--as-of", help="统计截止日 YYYY-MM-DD（默认今天）")] = None,
    xlsx: Annotated[Path | None, typer.Option(help="写成 Excel 文件而不在屏幕列出")] = None,
) -> None:
    """参保与缴费：按参保类别、镇（街道）的登记人数和缴费进度，按缴费渠道的缴费，与上年同期对比。"""
    day = parse_day(as_of, "--as-of") if as_of else now().date()
    with unit_of_work() as session:
        report = enrolled.insured_report(session, packaged_editions(), year=year, as_of=day)
    if xlsx is not None:
        write_output(xlsx, xlsx_book(enrolled.sheets(report)))
        typer.echo(f"已写入 {xlsx}")
        return
    t = report.total
    typer.echo(f"{year} 年度截至 {day}：登记 {t.registered:,} 人，已缴费 {t.paid:,} 人，全额资助 {t.subsidised:,} 人，"
               f"未缴费 {t.unpaid:,} 人，缴费进度 {_shown(t.rate, '%')}；上年同期已缴及资助 {t.last_collected:,} 人"
               f"（同比 {_shown(t.change, '%')}）")
    for group, found in (("按参保类别", report.by_category), ("按镇（街道）", report.by_town)):
        typer.echo(group + "：")
        for r in found:
            typer.echo(f"  {r.label}：登记 {r.registered:,}，已缴 {r.paid:,}，资助 {r.subsidised:,}，"
                       f"未缴 {r.unpaid:,}，进度 {_shown(r.rate, '%')}，个人缴费 {fmt_grouped(r.personal)} 元")
    typer.echo("按缴费渠道：")
    for c in report.by_channel:
        typer.echo(f"  {c.label}：{c.payments:,} 笔 {fmt_grouped(c.amount)} 元（上年同期 {c.last_payments:,} 笔）")


@app.command("fund")
def fund(
    year: Annotated[int, typer.Option(min=2018, max=2100, help="年度")],
    xlsx: Annotated[Path | None, typer.Option(help="写成 Excel 文件而不在屏幕列出")] = None,
) -> None:
    """基金收支：每月个人缴费、退费、财政补助，各基金支出，统筹基金月末结余。"""
    with unit_of_work() as session:
        report = funds.fund_report(session, year=year)
    if xlsx is not None:
        write_output(xlsx, xlsx_bytes("基金收支", funds.HEADER, funds.rows(report)))
        typer.echo(f"已写入 {xlsx}")
        return
    g = fmt_grouped
    typer.echo(f"{year} 年：统筹基金上年结转 {g(report.opening)} 元，全年收入 {g(report.total('income'))} 元，"
               f"支出 {g(report.total('paid_total'))} 元，年末结余 {g(report.closing)} 元")
    for m in report.months:
        typer.echo(f"  {m.label}：收入 {g(m.income)}（缴费 {g(m.personal)}，退费 {g(m.refunded)}，"
                   f"补助 {g(m.subsidy)}），支出 {g(m.paid_total)}，结余 {g(m.balance)}")


def _shown(value: Decimal | int | None, unit: str) -> str:
    if value is None:
        return "—"
    if isinstance(value, int):
        return f"{value:,} {unit}"
    return f"{fmt_grouped(value) if unit == '元' else value} {unit}"
