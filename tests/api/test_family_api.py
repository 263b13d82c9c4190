"""The family network's machine doors over HTTP (adapters/rest/family.py), on both databases: the window (a
clerk), the 宁波医保通 app (a signed-in resident), the daily files in and out; refusals are problem JSON with the
error's code and write nothing; the read-only role may look but not act."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.accounts.family import HEADER, days_ago, employee, resident
from tests.credential.helpers import sign_in_resident
from tests.dbfixtures import sign_in


def test_the_window_builds_a_network_and_moves_money(client: TestClient, session: Session,
                                                     clerk: dict[str, str]) -> None:
    initiator = employee(session, "王建国", "1975-03-02")
    father = resident(session, "王老伯", "1948-01-20")
    session.commit()
    text = HEADER + f"{initiator.certno},王建国,0,800.00\n"
    done = client.post("/api/family-accounts/daily-files", headers=clerk,
                       files={"file": ("daily.csv", text.encode(), "text/csv")},
                       data={"file_id": "EMP1", "day": days_ago(1).isoformat()})
    assert done.status_code == 200 and done.json()["opened"] == 1, done.text
    made = client.post("/api/family-networks", headers=clerk, json={"initiator_psn_no": initiator.psn_no})
    assert made.status_code == 201, made.text
    network_id = made.json()["network_id"]
    bad = client.post(f"/api/family-networks/{network_id}/members", headers=clerk,
                      json={"psn_no": father.psn_no, "relationship": "parent", "by_psn_no": father.psn_no})
    assert bad.status_code == 403 and bad.json()["code"] == "not_initiator", bad.text
    added = client.post(f"/api/family-networks/{network_id}/members", headers=clerk,
                        json={"psn_no": father.psn_no, "relationship": "parent", "by_psn_no": initiator.psn_no})
    assert added.status_code == 201, added.text
    assert client.post(f"/api/family-accounts/{initiator.psn_no}/mutual", headers=clerk).status_code == 201
    over = client.post(f"/api/family-accounts/{initiator.psn_no}/transfers", headers=clerk,
                       json={"amount": "800.01", "direction": "in"})
    assert over.status_code == 400 and over.json()["code"] == "balance_insufficient", over.text
    moved = client.post(f"/api/family-accounts/{initiator.psn_no}/transfers", headers=clerk,
                        json={"amount": "300.00", "direction": "in"})
    assert moved.json()["mutual"] == "300.00", moved.text
    seen = client.get(f"/api/family-accounts/{father.psn_no}", headers=clerk).json()
    assert [m["name"] for m in seen["members"]] == ["王建国", "王老伯"]
    assert seen["members"][0]["mutual_balance"] == "300.00"  # the window sees every balance
    uses = client.get(f"/api/family-accounts/daily-uses/{days_ago(0).isoformat()}", headers=clerk)
    assert uses.status_code == 200 and "-300.00,transfer" in uses.content.decode("utf-8-sig")
    from sqlalchemy import select

    from yibao.access.models import TrailRecord
    trailed = session.scalars(select(TrailRecord.subject).where(TrailRecord.what == "历年个账使用明细")).all()
    assert trailed == [initiator.psn_no]  # the export names (and trails) only whose account moved
    readonly = sign_in(client, session, "readonly")
    assert client.get(f"/api/family-accounts/{father.psn_no}", headers=readonly).status_code == 200
    refused = client.post(f"/api/family-accounts/{initiator.psn_no}/transfers", headers=readonly,
                          json={"amount": "1.00", "direction": "out"})
    assert refused.status_code == 403


def test_the_app_lets_a_resident_act_for_themself(client: TestClient, session: Session,
                                                  clerk: dict[str, str]) -> None:
    initiator = employee(session, "王建国", "1975-03-02")
    child = resident(session, "王小明", "2008-06-01")
    session.commit()
    client.post("/api/family-accounts/daily-files", headers=clerk,
                files={"file": ("daily.csv", (HEADER + f"{initiator.certno},王建国,0,500.00\n").encode(),
                                  "text/csv")},
                data={"file_id": "EMP1", "day": days_ago(1).isoformat()})
    sign_in_resident(client, session, initiator)
    assert client.post("/api/me/family").status_code == 201
    added = client.post("/api/me/family/members", json={"psn_no": child.psn_no, "relationship": "child"})
    assert added.status_code == 201, added.text
    client.post("/api/me/family/mutual")
    assert client.post("/api/me/family/transfers", json={"amount": "100", "direction": "in"}).status_code == 200
    mine = client.get("/api/me/family").json()
    assert (mine["historical"], mine["mutual"], mine["is_initiator"]) == ("400.00", "100.00", True)
    sign_in_resident(client, session, child)
    theirs = client.get("/api/me/family").json()
    assert theirs["members"][0]["mutual_balance"] is None  # the initiator did not agree to be shown
    assert theirs["historical"] is None and not theirs["is_initiator"]
    refused = client.put("/api/me/family/order", json={"order": [child.psn_no, initiator.psn_no]})
    assert refused.status_code == 403 and refused.json()["code"] == "not_initiator"
    sign_in_resident(client, session, initiator)
    assert client.put("/api/me/family/shown", json={"shown": True}).status_code == 200
    sign_in_resident(client, session, child)
    assert client.get("/api/me/family").json()["members"][0]["mutual_balance"] == "100.00"
    assert client.post(f"/api/me/family/members/{child.psn_no}/leave", json={"reason": "本人退出"}).status_code == 200
    assert client.get("/api/me/family").json()["network_id"] is None
