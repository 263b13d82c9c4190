"""The audit's console pages over the real app (both databases): the auditor scans, ticks a finding and opens a
case, records the institution's statement, proposes; a proposal outside the ranges is refused at its field; the
auditor cannot decide; the administrator decides and the notice is published (page and PDF); the read-only
role sees the notices but not the findings."""

from __future__ import annotations

import io
import re

from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy.orm import Session

from tests.audit.helpers import FEMALE_ONLY, at_time, audit_world, line, settled
from tests.gateway.his import insured
from tests.settlement.test_services import COMMUNITY
from tests.web.test_pages import staff_cookie, text
from yibao.audit.service import FINDING_HEADER
from yibao.institutions.service import get_institution
from yibao.policy.editions import Editions

DOCTOR = f"D{COMMUNITY}01"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\n%%EOF\n"


def sheet_rows(content: bytes) -> list[tuple[object, ...]]:
    sheet = load_workbook(io.BytesIO(content), read_only=True).active
    assert sheet is not None
    return list(sheet.iter_rows(values_only=True))  # type: ignore[union-attr]


def test_the_auditor_works_a_case_and_the_administrator_decides(client: TestClient, session: Session,
                                                                editions: Editions) -> None:
    audit_world(session)
    person = insured(session)
    row = settled(session, editions, person.psn_no, lines=[line("F1", FEMALE_ONLY, doctor=DOCTOR)])
    at_time(session, row.setl_id, "2022-06-15 10:00:00")  # in opening hours, whenever the test runs (ND02)
    session.commit()
    staff_cookie(client, session, "readonly")
    assert client.get("/console/audit").status_code == 403
    staff_cookie(client, session, "auditor")
    scanned = client.post("/console/audit/scan", data={"start": "2022-06-01", "end": "2022-06-30"})
    assert scanned.status_code == 200 and "新发现疑点 1 个" in text(scanned.text), text(scanned.text)[:400]
    finding = re.search(r'name="finding_(\w+)"', scanned.text).group(1)  # type: ignore[union-attr]
    assert "限女性使用" in scanned.text
    export = client.get("/console/audit/findings.xlsx", params={"status": "open", "rule_id": "RD01"})
    assert export.status_code == 200 and "attachment" in export.headers["content-disposition"]
    rows = sheet_rows(export.content)
    assert rows[0] == FINDING_HEADER and [row[1] for row in rows[1:]] == ["RD01"] and "限女性使用" in str(rows[1])
    other = client.get("/console/audit/findings.xlsx", params={"status": "open", "rule_id": "FV01"})
    assert sheet_rows(other.content) == [FINDING_HEADER]
    missing = client.post("/console/audit/cases", data={"title": "", f"finding_{finding}": "on"})
    assert missing.status_code == 400
    opened = client.post("/console/audit/cases", data={"title": "锦屏社区限性别药品", f"finding_{finding}": "on"},
                         follow_redirects=False)
    assert opened.status_code == 303
    case_url = opened.headers["location"]
    page = client.get(case_url)
    assert "违规开具限用药品" in page.text and "医师扣 2–6 分" in text(page.text)
    client.post(f"{case_url}/event", data={"kind": "statement", "text": "医院称系录入错误"})
    wrong_file = client.post(f"{case_url}/documents", files={"file": ("说明.txt", b"not a pdf", "text/plain")})
    assert wrong_file.status_code == 400 and 'data-code="document_refused"' in wrong_file.text
    uploaded = client.post(f"{case_url}/documents", files={"file": ("处方笺.pdf", PDF, "application/pdf")},
                           data={"document_text": "处方笺扫描件"}, follow_redirects=False)
    assert uploaded.status_code == 303
    page = client.get(uploaded.headers["location"])
    link = re.search(r'href="([^"]+/documents/\w+)" data-testid="document-link"', page.text)
    assert link and "处方笺扫描件" in page.text and "证据文件已上传" in text(page.text)
    got = client.get(link.group(1))
    assert got.status_code == 200 and got.content == PDF and got.headers["content-type"] == "application/pdf"
    assert got.headers["x-content-type-options"] == "nosniff" and "attachment" in got.headers["content-disposition"]
    wrong = client.post(f"{case_url}/propose", data={"kind_0": "points", "points_0": "9", "dr_code_0": DOCTOR})
    assert wrong.status_code == 400 and 'data-code="sanction_out_of_range"' in wrong.text
    proposed = client.post(f"{case_url}/propose", data={
        "kind_0": "recovery", "setl_id_0": row.setl_id, "fund_0": "390100", "amount_0": str(row.hifp_pay),
        "kind_1": "suspension", "months_1": "1", "reason": "属实"})
    assert "待管理员审批" in text(proposed.text)
    assert client.post(f"{case_url}/decide").status_code == 403
    staff_cookie(client, session, "admin")
    decided = client.post(f"{case_url}/decide")
    assert "稽查决定已作出并立即生效" in text(decided.text) and "关于奉化区锦屏街道社区卫生服务中心" in decided.text
    session.expire_all()
    assert get_institution(session, COMMUNITY).agreement_status == "suspended"
    pdf = client.get(f"{case_url}/notice.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    staff_cookie(client, session, "readonly")
    assert client.get("/console/audit/findings.xlsx").status_code == 403
    notices = client.get("/console/audit/notices", params={"start": "2020-01-01", "end": "2035-12-31"})
    assert notices.status_code == 200 and "社会保险法" in notices.text
    assert "处理定点医院 1 家" in text(notices.text) and "暂停结算 1 家次" in text(notices.text)
