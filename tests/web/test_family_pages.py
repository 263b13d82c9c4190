"""The family network's pages over the real app (both databases): the centre's window, the resident's own page
and the desk's account payment (POLICY.md §11). Refusals come back on the page with their code; nothing is
written by a refused form."""

from __future__ import annotations

import re
from decimal import Decimal

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.accounts.family import family
from tests.credential.helpers import sign_in_resident
from tests.web.test_pages import YEAR, staff_cookie, text
from yibao.accounts.family import balance, historical_account, members_of, mutual_account
from yibao.demo import DEMO_HIS_SECRET, ensure_demo_institutions


def test_the_window_shows_the_network_and_acts_for_the_initiator(client: TestClient, session: Session) -> None:
    fam = family(session)
    staff_cookie(client, session, "clerk")
    shown = text(client.get("/console/family", params={"psn_no": fam.father.psn_no}).text)
    assert "发起人 王建国" in shown and "调整成员与顺序须由发起人办理" in shown
    assert "300.00" in shown and "200.00" in shown  # the window sees every mutual-aid balance
    base = f"/console/family/{fam.initiator.psn_no}"
    moved = client.post(f"{base}/move", data={"member": fam.child.psn_no, "up": "1"}, follow_redirects=False)
    assert moved.status_code == 303 and moved.headers["location"].endswith("notice=moved")
    assert [m.psn_no for m in members_of(session, fam.network_id)][2] == fam.child.psn_no
    refused = client.post(f"/console/family/{fam.father.psn_no}/move", data={"member": fam.child.psn_no, "up": "0"})
    assert refused.status_code == 400 and 'data-code="not_initiator"' in refused.text
    over = client.post(f"{base}/transfer", data={"amount": "700.01", "direction": "in"})
    assert over.status_code == 400 and 'data-code="balance_insufficient"' in over.text
    three = client.post(f"{base}/transfer", data={"amount": "1.005", "direction": "in"})
    assert three.status_code == 400 and 'data-code="amount_invalid"' in three.text
    assert balance(session, historical_account(fam.initiator.psn_no)) == Decimal("700.00")
    done = client.post(f"{base}/transfer", data={"amount": "100", "direction": "out"})
    assert "已从共济健康账户划回历年个账" in text(done.text)
    assert balance(session, mutual_account(fam.initiator.psn_no)) == Decimal("200.00")
    readonly_sees = client.get(f"/console/family?psn_no={fam.initiator.psn_no}")
    assert "划转" in readonly_sees.text
    staff_cookie(client, session, "readonly")
    looked = client.get(f"/console/family?psn_no={fam.initiator.psn_no}")
    assert looked.status_code == 200 and "解散共济网" not in looked.text
    assert client.post(f"{base}/dissolve").status_code == 403


def test_a_resident_sees_the_network_and_moves_their_own_money(client: TestClient, session: Session) -> None:
    fam = family(session)
    sign_in_resident(client, session, fam.child)
    mine = text(client.get("/me/family").text)
    assert "发起人：王建国" in mine and "未公开" in mine and "您没有" not in mine
    assert "无（非职工医保历年个账）" in mine
    sign_in_resident(client, session, fam.initiator)
    shown = client.post("/me/family/shown", data={"shown": "1"}, follow_redirects=False)
    assert shown.status_code == 303
    added = client.post("/me/family/add", data={"certno": "330283190001010000", "name": "某", "relationship": "child"})
    assert added.status_code == 400 and "没有找到身份证号与姓名相符的参保人" in text(added.text)
    moved = client.post("/me/family/transfer", data={"amount": "50.00", "direction": "in"})
    assert "已从历年个账划入共济健康账户" in text(moved.text)
    sign_in_resident(client, session, fam.child)
    assert "350.00" in text(client.get("/me/family").text)  # the initiator now lets members see it
    left = client.post("/me/family/leave", follow_redirects=True)
    assert "已退出家庭共济网" in text(left.text) and "发起人：" not in text(left.text)


def test_the_desk_shows_what_the_family_accounts_pay(client: TestClient, session: Session) -> None:
    ensure_demo_institutions(session)
    fam = family(session, year=YEAR)
    client.post("/desk/login", data={"fixmedins_code": "H33021300003", "secret": DEMO_HIS_SECRET, "opter": "甲"})
    opened = client.post("/desk/visits", data={"cert_type": "02", "certno": fam.father.certno, "med_type": "11"},
                         follow_redirects=False)
    visit = opened.headers["location"]
    client.post(f"{visit}/fees", data={"code": "XJ01CAA040A001010101445", "cnt": "2", "pric": "40"})
    preview = client.post(f"{visit}/presettle", data={"use_accounts": "1"})
    assert re.search(r'data-testid="mulaid-pay">32\.00<', preview.text), text(preview.text)
    assert "王建国的共济健康账户" in text(preview.text)
    assert re.search(r'data-testid="cash-due">0\.00<', preview.text)
    cash = client.post(f"{visit}/presettle", data={})  # the box unticked: all in cash
    assert re.search(r'data-testid="cash-due">32\.00<', cash.text) and "mulaid-pay" not in cash.text
    settled = client.post(f"{visit}/settle", data={"medfee_sumamt": "80.00", "use_accounts": "1"})
    setl_id = re.search(r'data-testid="setl-id">([^<]+)<', settled.text).group(1)  # type: ignore[union-attr]
    assert balance(session, mutual_account(fam.initiator.psn_no)) == Decimal("268.00")
    receipt = text(client.get(f"/desk/settlements/{setl_id}/receipt").text)
    assert "其中共济账户支付（王建国的共济健康账户） 32.00" in receipt
