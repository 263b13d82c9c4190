"""`yibao credential …` as the centre's operator runs it (issue 13 item 6): channels and their keys, a person's
credential suspended, reinstated and revoked with a reason, the code-signing key rotated."""

from __future__ import annotations

import json
import stat
from pathlib import Path

from tests.cli.test_commands import run
from yibao.demo import DEMO_MOTHER_CERTNO


def _psn_no(data_dir: Path, certno: str) -> str:
    """Found as yibao finds it: by the ID number's digest under the data directory's index key."""
    import datetime as dt
    import sqlite3

    from yibao.kit import sealing

    digest = sealing.load(data_dir, env_key=None, moment=dt.datetime.now()).digest("certno", certno.upper())
    with sqlite3.connect(data_dir / "yibao.sqlite3") as db:
        row = db.execute("select psn_no from persons where certno_digest = ?", (digest,)).fetchone()
    return str(row[0])


def test_channels_keys_and_a_credentials_life(tmp_path: Path) -> None:
    assert run(tmp_path, "demo", "--persons", "50").returncode == 0
    assert stat.S_IMODE((tmp_path / "ecard-demo-channel.json").stat().st_mode) == 0o600

    key_file = tmp_path / "alipay.key"
    made = run(tmp_path, "credential", "channel", "keygen", "--out", str(key_file))
    assert made.returncode == 0 and stat.S_IMODE(key_file.stat().st_mode) == 0o600
    public = json.loads(key_file.read_text())["public"]
    added = run(tmp_path, "credential", "channel", "add", "alipay", "支付宝", "--public-key", public)
    assert added.returncode == 0, added.stderr
    listed = run(tmp_path, "credential", "channel", "list").stdout
    assert "alipay\t支付宝\t启用" in listed and "demo" in listed
    bad = run(tmp_path, "credential", "channel", "add", "x", "坏", "--public-key", "04abc")
    assert bad.returncode == 2 and "SM2 公钥" in bad.stderr

    mother = _psn_no(tmp_path, DEMO_MOTHER_CERTNO)
    assert "正常" in run(tmp_path, "credential", "list", "--psn-no", mother).stdout
    suspended = run(tmp_path, "credential", "suspend", mother, "--reason", "家属报告手机遗失")
    assert suspended.returncode == 0 and "已暂停" in suspended.stdout
    twice = run(tmp_path, "credential", "suspend", mother, "--reason", "再次")
    assert twice.returncode == 2 and "不能暂停" in twice.stderr
    assert "正常" in run(tmp_path, "credential", "reinstate", mother, "--reason", "已找回").stdout
    assert "已注销" in run(tmp_path, "credential", "revoke", mother, "--reason", "本人申请").stdout
    assert "已注销\t1" in run(tmp_path, "credential", "list").stdout

    rotated = run(tmp_path, "credential", "rotate-key")
    assert rotated.returncode == 0 and "新签名密钥" in rotated.stdout
    keys = json.loads((tmp_path / "ecard-keys.json").read_text())
    assert [k["retired_at"] is None for k in keys][-1] and sum(k["retired_at"] is None for k in keys) == 1
    assert stat.S_IMODE((tmp_path / "ecard-keys.json").stat().st_mode) == 0o600


def test_gateway_access_and_cards_on_the_command_line(tmp_path: Path) -> None:
    assert run(tmp_path, "demo", "--persons", "30").returncode == 0
    access = run(tmp_path, "institution-access", "H33021300003", "--schemes", "sm2,tif")
    assert access.returncode == 0 and "接入方式 sm2,tif" in access.stdout
    bad = run(tmp_path, "institution-access", "H33021300003", "--schemes", "password")
    assert bad.returncode == 2 and "接入方式只能是" in bad.stderr
    mother = _psn_no(tmp_path, DEMO_MOTHER_CERTNO)
    issued = run(tmp_path, "card-issue", mother, "B12345678", "SNMOTHER01", "--issued-on", "2024-05-01")
    assert issued.returncode == 0 and "已登记社会保障卡 B12345678" in issued.stdout
    assert run(tmp_path, "card-lost", "B12345678").returncode == 0
    again = run(tmp_path, "card-lost", "B12345678")
    assert again.returncode == 2 and "已挂失" in again.stderr
