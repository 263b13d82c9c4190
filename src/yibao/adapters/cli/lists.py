"""`yibao national-list …`: the national lists beside the catalogue (institutions/national_lists.py) — import the
platform's download file, see what each list holds."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from yibao.adapters.cli.units import read_input, unit_of_work
from yibao.institutions import national_lists

_CHOICES = "、".join(f"{key}（{lst.infno} {lst.title}）" for key, lst in national_lists.LISTS.items())
app = typer.Typer(name="national-list", no_args_is_help=True,
                  help="国家医保目录（疾病与诊断、手术操作、门慢门特病种等）：导入平台下载的文件、查看各目录。")


@app.command("import")
def import_file(
    key: Annotated[str, typer.Argument(help=f"目录：{_CHOICES}；也可写交易号，如 1307")],
    file: Annotated[Path, typer.Argument(help="平台下载的目录文件：zip 或制表符分隔的文本（UTF-8 或 GBK）")],
) -> None:
    """导入一个目录文件：整个文件导入或不导入（出错时指出行号）；重复导入同一文件不改变任何内容。"""
    content = read_input(file)
    with unit_of_work() as session:
        result = national_lists.import_list(session, key, content)
    typer.echo(f"{result.title}：{result.rows} 条，新增 {result.added}，更新 {result.changed}，未变 {result.unchanged}")


@app.command("status")
def status() -> None:
    """各目录的条数与最近一次更新时间。"""
    with unit_of_work() as session:
        counts = national_lists.list_counts(session)
    for key, lst in national_lists.LISTS.items():
        rows, newest = counts[key]
        typer.echo(f"{lst.infno}\t{lst.title}\t{key}\t{rows} 条\t"
                   f"{f'最近更新 {newest:%Y-%m-%d %H:%M:%S}' if newest else '尚未导入'}")
