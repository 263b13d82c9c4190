"""`yibao audit-log …`: the access trail (access/trail.py) — check its chain, show a person's records."""

from __future__ import annotations

from typing import Annotated

import typer

from yibao.access import trail
from yibao.adapters.cli.calc import fail
from yibao.adapters.cli.units import unit_of_work

app = typer.Typer(name="audit-log", help="访问留痕：校验记录链，查看某人的查阅与修改记录。", no_args_is_help=True)


@app.command("verify")
def verify(
    expect_head: Annotated[str, typer.Option(help="上次校验记下的链头哈希（可选）：链头在其后仍须延续")] = "",
) -> None:
    """逐条重算 SM3 链：被改动、删除或插入的记录，以及与最后一条不符的链头，都会被指出（退出码 1）。"""
    with unit_of_work() as session:
        verdict = trail.verify(session.connection())
        known = trail.reaches(session.connection(), expect_head) if expect_head else True
    if not verdict.whole:
        fail(f"访问记录链已损坏：{verdict.reason}（已校验完好的记录 {verdict.records} 条）", code=1)
    if not known:
        fail(f"访问记录链完整，但没有哈希为 {expect_head} 的记录：上次记下的链头之后的记录被替换过", code=1)
    typer.echo(f"访问记录链完整：{verdict.records} 条，链头 {verdict.head_hash}"
               "（请另行记下链头，下次以 --expect-head 核对）")


@app.command("show")
def show(psn_no: str, limit: Annotated[int, typer.Option(min=1, max=1000, help="最多显示几条")] = 50) -> None:
    """某人的查阅与修改记录，最新的在前。"""
    with unit_of_work() as session:
        records = trail.history(session, psn_no, limit=limit)
        for r in records:
            typer.echo(f"{r.seq}\t{r.at:%Y-%m-%d %H:%M:%S}\t{trail.ACTOR_KIND_LABELS.get(r.actor_kind, r.actor_kind)} "
                       f"{r.actor}\t{trail.DOOR_LABELS.get(trail.Door(r.door), r.door)}\t"
                       f"{trail.ACTION_LABELS.get(trail.Action(r.action), r.action)}\t{r.what}")
        if not records:
            typer.echo(f"人员 {psn_no} 没有访问记录")
