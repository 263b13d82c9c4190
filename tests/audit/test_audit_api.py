"""Fund audit over HTTP on both databases (adapters/rest/audit.py): the auditor scans, works findings and cases and
proposes; only an administrator decides; refusals carry their codes and write nothing; the read-only role sees
the statistics and notices but cannot audit."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.audit.helpers import FEMALE_ONLY, audit_world, line, settled
from tests.dbfixtures import sign_in
from tests.gateway.his import insured
from tests.settlement.test_services import COMMUNITY
from yibao.audit.models import AuditCase, Sanction
from yibao.institutions.service import get_institution
from yibao.policy.editions import Editions

DOCTOR = f"D{COMMUNITY}01"


def test_the_auditors_flow_over_http(client: TestClient, session: Session, editions: Editions) -> None:
    audit_world(session)
    person = insured(session)
    row = settled(session, editions, person.psn_no, lines=[line("F1", FEMALE_ONLY, doctor=DOCTOR)])
    session.commit()
    auditor, admin, readonly = (sign_in(client, session, role) for role in ("auditor", "admin", "readonly"))
    period = {"start": "2022-06-01", "end": "2022-06-30"}
    assert client.post("/api/audit/scans", headers=readonly, json=period).status_code == 403
    scan = client.post("/api/audit/scans", headers=auditor, json=period)
    assert scan.status_code == 201, scan.text
    assert scan.json()["by_rule"]["RD01"] == 1 and scan.json()["fee_lines"] == 1
    [finding] = client.get("/api/audit/findings", headers=auditor, params={"rule_id": "RD01"}).json()
    assert finding["setl_id"] == row.setl_id and finding["evidence"] == {"lines": ["F1"]}
    opened = client.post("/api/audit/cases", headers=auditor, json={"title": "限性别药品",
                                                                    "finding_ids": [finding["id"]]})
    assert opened.status_code == 201, opened.text
    case_id = opened.json()["id"]
    assert client.post(f"/api/audit/cases/{case_id}/events", headers=auditor, json={
        "kind": "statement", "text": "医院陈述：录入错误"}).status_code == 201
    too_many = client.post(f"/api/audit/cases/{case_id}/proposal", headers=auditor, json={
        "sanctions": [{"kind": "points", "points": 12, "dr_code": DOCTOR}]})
    assert too_many.status_code == 400 and too_many.json()["code"] == "sanction_out_of_range"
    proposed = client.post(f"/api/audit/cases/{case_id}/proposal", headers=auditor, json={
        "sanctions": [{"kind": "recovery", "setl_id": row.setl_id, "amount": str(row.hifp_pay)},
                      {"kind": "points", "points": 4, "dr_code": DOCTOR}], "reason": "违规开具限性别药品"})
    assert proposed.status_code == 200 and proposed.json()["status"] == "proposed", proposed.text
    assert client.post(f"/api/audit/cases/{case_id}/decision", headers=auditor).status_code == 403
    decided = client.post(f"/api/audit/cases/{case_id}/decision", headers=admin)
    assert decided.status_code == 200 and decided.json()["status"] == "decided", decided.text
    detail = client.get(f"/api/audit/cases/{case_id}", headers=auditor).json()
    assert [e["kind"] for e in detail["events"]] == ["opened", "statement", "proposal", "decision"]
    assert {s["kind"] for s in detail["sanctions"]} == {"recovery", "points"}
    figures = client.get("/api/audit/statistics", headers=readonly, params={"start": "2020-01-01",
                                                                            "end": "2030-12-31"}).json()
    assert (figures["notices"], figures["hospitals"], figures["doctors"]) == (1, 1, 1)
    assert figures["recovered"] == str(row.hifp_pay) and figures["findings_by_rule"]["RD01"] == 1
    notices = client.get("/api/audit/notices", headers=readonly).json()
    assert len(notices) == 1 and "社会保险法" in notices[0]["notice"]
    assert client.get("/api/audit/findings", headers=readonly).status_code == 403
    assert client.get("/api/audit/rules", headers=readonly).json()["doctor_points"]["per_year"]["value"] == 12


def test_bad_requests_carry_their_codes_and_write_nothing(client: TestClient, session: Session) -> None:
    audit_world(session)
    session.commit()
    auditor = sign_in(client, session, "auditor")
    answer = client.post("/api/audit/cases", headers=auditor, json={"title": "t", "vola_type": "swap",
                                                                   "fixmedins_code": "H99999999999"})
    assert answer.status_code == 404 and answer.json()["code"] == "institution_not_found"
    answer = client.post("/api/audit/scans", headers=auditor, json={"start": "2022-06-30", "end": "2022-06-01"})
    assert answer.status_code == 400 and answer.json()["code"] == "scan_period_invalid"
    case = client.post("/api/audit/cases", headers=auditor, json={"title": "t", "vola_type": "non_designated",
                                                                 "fixmedins_code": COMMUNITY}).json()
    short = client.post(f"/api/audit/cases/{case['id']}/proposal", headers=auditor, json={
        "sanctions": [{"kind": "suspension", "months": 3}]})  # 为非定点单位刷卡: 10–12 months
    assert short.status_code == 400 and short.json()["code"] == "sanction_out_of_range"
    assert "10–12" in str(short.json())
    swap = client.post("/api/audit/swap-list", headers=auditor, json={
        "covered_code": "NOPE", "goods_name": "x", "goods_price": "1", "source": "s"})
    assert swap.status_code == 400 and swap.json()["code"] == "swap_code_unknown"
    assert session.scalar(select(func.count()).select_from(Sanction)) == 0
    assert session.scalar(select(func.count()).select_from(AuditCase)) == 1
    assert get_institution(session, COMMUNITY).agreement_status == "active"
