"""`yibao data-key …`: the keys that seal personal numbers at rest (kit/sealing.py) — what each key still seals,
rotation with resealing, retiring keys nothing uses any more."""

from __future__ import annotations

from collections import Counter
from typing import Annotated

import typer
from sqlalchemy import String, select
from sqlalchemy import column as sa_column
from sqlalchemy import table as sa_table
from sqlalchemy.engine import Connection

from yibao.adapters.cli.calc import fail
from yibao.adapters.cli.units import command_engine
from yibao.db import reseal, sealed_tables
from yibao.kit import sealing
from yibao.kit.clock import now

app = typer.Typer(name="data-key", help="个人信息加密密钥（SM4）：查看、轮换并重新加密、停用旧密钥。",
                  no_args_is_help=True)


def _key_ids(connection: Connection) -> Counter[str]:
    """How many stored values each key id seals ("plain": not sealed yet)."""
    counts: Counter[str] = Counter()
    for spec in sealed_tables():
        table = sa_table(spec.table, *(sa_column(name, String) for name in spec.sealed))
        for row in connection.execute(select(table)):
            for value in row:
                if value is not None:
                    counts[value[len(sealing.PREFIX):].split(":", 1)[0] if value.startswith(sealing.PREFIX)
                           else "plain"] += 1
    return counts


def _report(connection: Connection) -> Counter[str]:
    keys, counts = sealing.active(), _key_ids(connection)
    for kid in sorted(set(keys.keys) | set(counts)):
        mark = "（当前）" if kid == keys.current else "" if kid in keys.keys else "（密钥文件中没有！）"
        typer.echo(f"{kid}{mark}\t{counts.get(kid, 0)} 个值")
    return counts


@app.command("status")
def status() -> None:
    """各密钥仍加密着多少个值。"""
    with command_engine() as engine, engine.connect() as connection:
        counts = _report(connection)
    if counts.get("plain"):
        fail(f"还有 {counts['plain']} 个值未加密：请运行 yibao data-key rotate", code=1)


@app.command("rotate")
def rotate(
    retire: Annotated[bool, typer.Option(help="重新加密完成后，从密钥文件中删去不再使用的旧密钥")] = False,
) -> None:
    """生成新的当前密钥，用它重新加密全部个人信息（逐表提交，可重复运行）。"""
    with command_engine() as engine:
        directory, env_key = sealing.in_use()
        keys = sealing.active().rotated(now())
        sealing.save(directory, keys, env_key=env_key)  # this process seals with it from now on
        typer.echo(f"新的当前密钥：{keys.current}")
        for spec in sealed_tables():
            with engine.begin() as connection:
                changed = reseal(connection, spec)
            typer.echo(f"{spec.table}：重新加密 {changed} 行")
        with engine.connect() as connection:
            counts = _report(connection)
        if retire:
            unused = {kid for kid in keys.keys if kid != keys.current and not counts.get(kid)}
            sealing.save(directory, keys.without(unused), env_key=env_key)
            typer.echo(f"已停用旧密钥：{'、'.join(sorted(unused)) or '无'}")
