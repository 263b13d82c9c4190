"""`yibao credential …`: the e-credential at the command line (POLICY.md §10) — a person's credentials and
bindings, suspension and revocation, the activation channels and their keys, yibao's own code-signing key."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from sqlalchemy import func, select

from yibao.adapters.cli.calc import fail
from yibao.adapters.cli.units import _settings, unit_of_work
from yibao.credential import service as credentials
from yibao.credential.keys import KeyRing
from yibao.credential.models import Credential
from yibao.credential.rules import (
    BINDING_STATUS_LABELS,
    CREDENTIAL_STATUS_LABELS,
    PARAMETERS,
    RELATIONSHIPS,
)
from yibao.kit.clock import now
from yibao.kit.files import write_private
from yibao.kit.gm import generate_keypair

app = typer.Typer(name="credential", help="医保电子凭证：查询、暂停、恢复、注销；激活渠道与密钥。",
                  no_args_is_help=True)
channel_app = typer.Typer(name="channel", help="电子凭证激活渠道（合作方的 SM2 公钥）。", no_args_is_help=True)
app.add_typer(channel_app)


@app.command("list")
def list_credentials(
    psn_no: Annotated[str, typer.Option(help="人员编号；不填则列出各状态的数量")] = "",
) -> None:
    """列出一人的历次激活与亲情账户绑定，或全区各状态的电子凭证数量。"""
    with unit_of_work() as session:
        if not psn_no:
            rows = session.execute(select(Credential.status, func.count()).group_by(Credential.status)).all()
            for status, count in sorted(rows):
                typer.echo(f"{CREDENTIAL_STATUS_LABELS.get(status, status)}\t{count}")
            return
        for c in credentials.credentials_history(session, psn_no):
            change = f"\t{c.changed_by}：{c.change_reason}" if c.change_reason else ""
            typer.echo(f"{c.ec_index_no}\t{c.channel}\t{c.activated_at:%Y-%m-%d %H:%M}\t"
                       f"{CREDENTIAL_STATUS_LABELS[c.status]}{change}")
        for b in credentials.bindings_of(session, psn_no, include_removed=True):
            typer.echo(f"绑定 {b.person.name}（{b.person.psn_no}，{RELATIONSHIPS[b.binding.relationship][0]}）\t"
                       f"{BINDING_STATUS_LABELS[b.binding.status]}")


def _change(psn_no: str, action: str, reason: str) -> None:
    with unit_of_work() as session:
        record = credentials.change_credential(session, psn_no, action, reason=reason, actor="cli")
        typer.echo(f"电子凭证 {record.ec_index_no} 现为“{CREDENTIAL_STATUS_LABELS[record.status]}”。")


@app.command()
def suspend(psn_no: str, reason: Annotated[str, typer.Option(help="原因（记录在案）")]) -> None:
    """暂停使用一人的电子凭证（医保码不能再解码，直到恢复）。"""
    _change(psn_no, "suspend", reason)


@app.command()
def reinstate(psn_no: str, reason: Annotated[str, typer.Option(help="原因（记录在案）")]) -> None:
    """恢复已暂停的电子凭证。"""
    _change(psn_no, "reinstate", reason)


@app.command()
def revoke(psn_no: str, reason: Annotated[str, typer.Option(help="原因（记录在案）")]) -> None:
    """注销一人的电子凭证（参保人可重新激活）。"""
    _change(psn_no, "revoke", reason)


@app.command("rotate-key")
def rotate_key() -> None:
    """更换医保码签名密钥：新码用新密钥签名，旧密钥签的码在有效期内仍可解码。"""
    ring = KeyRing.in_directory(_settings().data_dir, now())
    fresh = ring.rotate(now(), PARAMETERS.code_validity)
    typer.echo(f"新签名密钥 {fresh.kid}；公钥 {fresh.pair.public}")


@app.command()
def purge() -> None:
    """删除已过期的解码记录与 ecToken（过期的码本就不能再解码）。"""
    with unit_of_work() as session:
        typer.echo(f"已删除 {credentials.purge_decoded(session)} 条过期记录。")


@channel_app.command("list")
def channel_list() -> None:
    """列出激活渠道。"""
    with unit_of_work() as session:
        for c in credentials.channels(session):
            typer.echo(f"{c.code}\t{c.name}\t{'启用' if c.status == 'active' else '停用'}"
                       f"{'（演示）' if c.demo else ''}\t{c.public_key[:18]}…")


@channel_app.command("add")
def channel_add(code: str, name: str,
                public_key: Annotated[str, typer.Option(help="渠道的 SM2 公钥（04 开头）")]) -> None:
    """登记激活渠道（或为已登记的渠道更换公钥）。"""
    with unit_of_work() as session:
        channel = credentials.register_channel(session, code=code, name=name, public_key=public_key)
        typer.echo(f"已登记渠道 {channel.code}（{channel.name}）。")


@channel_app.command("disable")
def channel_disable(code: str) -> None:
    """停用激活渠道（其后的激活请求被拒绝）。"""
    with unit_of_work() as session:
        credentials.set_channel_status(session, code, active=False)
        typer.echo(f"已停用渠道 {code}。")


@channel_app.command("keygen")
def channel_keygen(out: Annotated[Path, typer.Option(help="私钥写入的文件（权限 0600）")]) -> None:
    """为合作渠道生成一对 SM2 密钥：私钥交渠道保管，公钥用 `channel add` 登记。"""
    pair = generate_keypair()
    if out.exists():
        fail(f"{out} 已存在：请换一个文件名，以免覆盖已有的私钥")
    write_private(out, json.dumps({"private": pair.private, "public": pair.public}))
    typer.echo(f"私钥已写入 {out}；公钥 {pair.public}")
