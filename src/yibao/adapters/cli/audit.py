"""`yibao audit …`: fund audit (audit/, POLICY.md §12) from the command line — the rules with their parameters and
sources, a batch scan of a period, the findings (also as Excel), the period's statistics as the report counts them.
Cases and decisions are worked on the console's pages (/console/audit), where a second person decides."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from yibao.adapters.cli.calc import fail
from yibao.adapters.cli.units import PROGRESS, parse_day, parse_period, unit_of_work, write_output
from yibao.adapters.downloads import xlsx_bytes
from yibao.audit import service
from yibao.audit.rules import SCENE_LABELS, SEVERITY_LABELS, Realtime, rule_book
from yibao.kit.money import fmt_grouped

app = typer.Typer(name="audit", no_args_is_help=True,
                  help="医保基金稽查：查看规则、按期间批量扫描、列出疑点（可导出 Excel）、统计稽查结果。")
REALTIME_LABELS = {Realtime.REFUSE: "拒绝结算", Realtime.WARN: "提示并记录", Realtime.NONE: "不检查（仅事后扫描）"}
FINDING_STATUSES = ", ".join(f"{status.value}={label}" for status, label in service.FINDING_LABELS.items())


@app.command("rules")
def rules() -> None:
    """稽查规则：编号、名称、违规类型、发现环节、结算时的处理，以及每个参数的取值和依据。"""
    book = rule_book()
    for rule in book.rules:
        typer.echo(f"{rule.id} {rule.name}（{book.type_label(rule.type)}；{SCENE_LABELS[rule.scene]}；"
                   f"{SEVERITY_LABELS[rule.severity]}；结算时{REALTIME_LABELS[rule.realtime]}）")
        for name, cited in rule.params.items():
            typer.echo(f"    {name} = {cited.value}　依据：{cited.source}")
    typer.echo(f"法律依据：{book.legal_basis}")


@app.command("scan")
def scan(
    start: Annotated[str, typer.Option("--from", help="起始服务日期 YYYY-MM-DD")],
    end: Annotated[str, typer.Option("--to", help="截止服务日期 YYYY-MM-DD（一次最多一年）")],
    by: Annotated[str, typer.Option(help="稽查人员（工作人员用户名）")],
    rule: Annotated[list[str] | None, typer.Option(
        help="只用这条规则（编号，如 FV01；可重复）；不填用全部规则，编号见 `yibao audit rules`")] = None,
) -> None:
    """按期间批量扫描（事后稽查）：期间内服务日期的结算与明细，按所选规则查找疑点；已发现过的疑点不重复记录。"""
    first, last = parse_day(start, "--from"), parse_day(end, "--to")
    with unit_of_work() as session:
        with Progress(SpinnerColumn(), TextColumn("扫描中"), TimeElapsedColumn(), console=PROGRESS) as bar:
            bar.add_task("scan", total=None)
            done = service.run_scan(session, start=first, end=last, actor=f"cli:{by}", rules=rule or None)
        by_rule = service.scan_counts(done)
    typer.echo(f"已扫描 {first} 至 {last} 的 {done.settlements:,} 笔结算、{done.fee_lines:,} 条明细，"
               f"新发现疑点 {done.findings} 个（扫描号 {done.id}）。")
    if by_rule:
        book = rule_book()
        table = Table("规则", "名称", "命中")
        for rule_id, count in by_rule.items():
            table.add_row(rule_id, book.rule(rule_id).name, f"{count:,}")
        Console().print(table)
    else:
        typer.echo("所选规则在此期间没有命中。")


@app.command("findings")
def findings(
    status: Annotated[str, typer.Option(help=f"疑点状态：{FINDING_STATUSES}；填 all 为全部")] = "open",
    rule: Annotated[str, typer.Option(help="规则编号，如 RD01；不填为全部")] = "",
    institution: Annotated[str, typer.Option(help="定点机构编码；不填为全部")] = "",
    limit: Annotated[int, typer.Option(min=1, max=50_000, help="最多列出几条（最新的在前）")] = 200,
    xlsx: Annotated[Path | None, typer.Option(help="写成 Excel 文件（同样的筛选）而不在屏幕列出")] = None,
) -> None:
    """疑点列表：规则、机构、人员、涉及金额与违规内容。"""
    wanted = "" if status == "all" else status
    if wanted and wanted not in {s.value for s in service.FINDING_LABELS}:
        fail(f"--status 应为 {FINDING_STATUSES} 或 all，不是 {status!r}")
    book = rule_book()
    if rule and rule not in {r.id for r in book.rules}:
        fail(f"没有编号为 {rule} 的规则：编号见 `yibao audit rules`")
    with unit_of_work() as session:
        rows = [service.finding_row(f, book) for f in service.findings(
            session, status=wanted or None, rule_id=rule or None, fixmedins_code=institution or None, limit=limit)]
    if xlsx is not None:
        write_output(xlsx, xlsx_bytes("疑点", service.FINDING_HEADER, rows))
        typer.echo(f"已写入 {xlsx}（{len(rows)} 条疑点）")
        return
    for row in rows:
        typer.echo("\t".join(str(value) for value in (*row[:3], *row[6:8], row[9], row[12], row[15], row[14])))
    typer.echo(f"共 {len(rows)} 条疑点。" if rows else "没有符合条件的疑点。")


@app.command("stats")
def stats(
    start: Annotated[str, typer.Option("--from", help="起始日期 YYYY-MM-DD（按决定日期统计）")],
    end: Annotated[str, typer.Option("--to", help="截止日期 YYYY-MM-DD")],
) -> None:
    """期间内的稽查结果，口径同区医保中心的稽查通报：通报、机构、追回或拒付金额、暂停、解除协议、扣分医师。"""
    first, last = parse_period(start, end)
    with unit_of_work() as session:
        figures = service.statistics(session, start=first, end=last)
    typer.echo(f"{first} 至 {last}：通报 {figures['notices']} 期，处理定点医院 {figures['hospitals']} 家、"
               f"定点药店 {figures['pharmacies']} 家，追回或拒付基金 {fmt_grouped(figures['recovered'])} 元，"
               f"暂停医保结算 {figures['suspensions']} 家次，解除协议 {figures['terminations']} 家，"
               f"扣分医师 {figures['doctors']} 名，违规参保人 {figures['persons']} 名。")
    if figures["findings_by_rule"]:
        book = rule_book()
        typer.echo("期间疑点（按服务日期）：" + "，".join(
            f"{rule_id} {book.rule(rule_id).name} {count}" for rule_id, count in figures["findings_by_rule"].items()))
