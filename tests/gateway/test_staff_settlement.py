"""Staff side of settlement (issue 4 §1, §2, §5, §6): institutions and their agreement status, filings,
manual reimbursement through the same chain and ledger, and the receipt as HTML and PDF."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.dbfixtures import sign_in
from tests.gateway.conftest import COMMUNITY
from tests.gateway.his import HIS, insured
from yibao.accounts.ledger import ledger_balances, unbalanced_entries
from yibao.kit.money import MoneyError, money
from yibao.settlement.settle import read_accumulators


def test_institutions_and_agreement_status(client: TestClient, session: Session,
                                           his: Callable[[str], HIS]) -> None:
    admin = sign_in(client, session, "admin")
    made = client.post("/api/institutions", headers=admin, json={
        "fixmedins_code": "H33021300077", "name": "奉化区测试医院", "kind": "hospital", "hosp_lv": "04"})
    assert made.status_code == 201, made.text
    assert (made.json()["level"], len(made.json()["secret"]) > 10) == ("tertiary_c", True)
    bad = client.post("/api/institutions", headers=admin, json={
        "fixmedins_code": "X1", "name": "坏", "kind": "hospital", "hosp_lv": "02"})
    assert bad.status_code == 400 and "机构编码" in bad.json()["message"]
    unexplained = client.put("/api/institutions/H33021300077/agreement", headers=admin,
                             json={"status": "suspended", "until": "2022-12-31"})
    assert unexplained.status_code == 400 and unexplained.json()["field"] == "reason"  # issue 20: say why
    suspended = client.put("/api/institutions/H33021300077/agreement", headers=admin,
                           json={"status": "suspended", "until": "2022-12-31", "reason": "稽查处理决定"})
    assert suspended.json()["agreement_status"] == "suspended"
    missing = client.put("/api/institutions/H33021300077/agreement", headers=admin, json={"status": "suspended"})
    assert missing.status_code == 400 and "暂停至" in missing.json()["message"]
    clerk = sign_in(client, session, "clerk")
    assert client.put("/api/institutions/H33021300077/agreement", headers=clerk,
                      json={"status": "active"}).status_code == 403


def test_manual_reimbursement_uses_the_same_chain_and_ledger(client: TestClient, session: Session) -> None:
    person = insured(session)
    clerk = sign_in(client, session, "clerk")
    body = {"psn_no": person.psn_no, "benefit": "inpatient", "service_date": "2022-05-20", "level": "tertiary_a",
            "region": "other_province", "place": "复旦大学附属中山医院",
            "lines": [{"amount": "10000.00", "class": "A"}]}
    refused = client.post("/api/settlements/manual", headers=clerk, json=body)
    assert refused.status_code == 400 and "异地就医备案" in refused.json()["message"]
    assert (refused.json()["code"], refused.json()["field"]) == ("no_cross_region_filing", "region")
    filed = client.post("/api/filings/cross-region", headers=clerk, json={
        "psn_no": person.psn_no, "reason": "referral", "place": "上海市", "begndate": "2022-05-01"})
    assert filed.status_code == 201, filed.text
    done = client.post("/api/settlements/manual", headers=clerk, json=body)
    assert done.status_code == 201, done.text
    row = done.json()
    assert (row["kind"], row["act_pay_dedc"], row["hifp_pay"]) == ("manual", "1500.00", "5950.00")
    assert read_accumulators(session, person.psn_no, 2022).inpatient == Decimal("10000.00")
    assert ledger_balances(session)[f"person:{person.psn_no}"] == Decimal("5950.00")  # the fund pays the person
    assert unbalanced_entries(session) == []
    listed = client.get("/api/settlements", headers=clerk, params={"psn_no": person.psn_no}).json()
    assert [s["setl_id"] for s in listed] == [row["setl_id"]]
    assert any(step["stage"] == "deductible" for step in listed[0]["trace"])
    # issue 20: the manual claim keeps the hospital typed in, and its receipt names it
    assert row["place"] == "复旦大学附属中山医院"
    receipt = client.get(f"/api/settlements/{row['setl_id']}/receipt", headers=clerk).text
    assert "复旦大学附属中山医院（零星报销）" in receipt


def settled_at_the_clinic(session: Session, his: Callable[[str], HIS], name: str) -> tuple[Any, HIS, str, Any]:
    """An outpatient visit at the community centre, 2 × 40.00 of 甲类, settled: (person, clinic, visit, setlinfo)."""
    person = insured(session, name=name)
    clinic = his(COMMUNITY)
    mdtrt_id = clinic.register(person.psn_no, "2022-06-15")
    clinic.fees("2204", person.psn_no, mdtrt_id, "2022-06-15", [("XJ01CAA040A001010101445", "2", "40")])
    setl = clinic.ok("2207", clinic.settle_data(person.psn_no, mdtrt_id, Decimal("80"), "11"))["setlinfo"]
    return person, clinic, mdtrt_id, setl


def test_receipt_html_and_pdf(client: TestClient, session: Session, his: Callable[[str], HIS]) -> None:
    person, _, _, setl = settled_at_the_clinic(session, his, "竺秀英")
    viewer = sign_in(client, session, "readonly")
    page = client.get(f"/api/settlements/{setl['setl_id']}/receipt", headers=viewer)
    assert page.status_code == 200
    for text in ("结算单", "竺秀英", "统筹基金支付", "48.00", "计算过程", "S22 §4 table", "社区医院"):
        assert text in page.text
    # issue 20: the staff's view keeps the technical trace one click away, beside the words residents read;
    # the fee list, the cashier and the totals in capitals (48.00 from the fund: 肆拾捌元整)
    assert "技术明细（工作人员）" in page.text and "依据：奉化区2022年度政策 成年居民门诊报销比例" in page.text
    assert "阿莫西林" in page.text or "XJ01CAA040A001010101445" in page.text
    assert 'data-testid="clerk">T001（' in page.text and "肆拾捌元整" in page.text
    assert person.certno not in page.text  # the ID number is masked
    pdf = client.get(f"/api/settlements/{setl['setl_id']}/receipt.pdf", headers=viewer)
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
    assert b"FontFile2" in pdf.content  # the CJK font is embedded, so any viewer shows the Chinese
    assert client.get("/api/settlements/nope/receipt", headers=viewer).status_code == 404


def pdf_page_text(pdf: bytes) -> bytes:
    """The drawing operators of a ReportLab PDF's pages (their streams are ASCII85 and Flate encoded)."""
    import base64
    import re
    import zlib

    streams = re.findall(rb"/Filter \[ /ASCII85Decode /FlateDecode \][^\n]*\n>>\nstream\r?\n(.*?)endstream", pdf, re.S)
    return b"\n".join(zlib.decompress(base64.a85decode(stream.strip(), adobe=True)) for stream in streams)


def test_a_cancelled_settlements_receipt_says_so(client: TestClient, session: Session,
                                                 his: Callable[[str], HIS]) -> None:
    """Issue 20: a cancelled settlement's receipt printed as if valid. It is marked 已撤销 with its cancellation,
    on the page and in the PDF; a valid one carries no such notice."""
    person, clinic, mdtrt_id, setl = settled_at_the_clinic(session, his, "竺撤销")
    viewer = sign_in(client, session, "readonly")
    valid = client.get(f"/api/settlements/{setl['setl_id']}/receipt", headers=viewer).text
    valid_pdf = client.get(f"/api/settlements/{setl['setl_id']}/receipt.pdf", headers=viewer).content
    assert "已撤销" not in valid
    clinic.ok("2208", {"data": {"setl_id": setl["setl_id"], "mdtrt_id": mdtrt_id, "psn_no": person.psn_no}})
    page = client.get(f"/api/settlements/{setl['setl_id']}/receipt", headers=viewer)
    assert page.status_code == 200
    assert "结算单（已撤销）" in page.text and 'data-testid="cancelled"' in page.text
    assert "本结算单作废" in page.text and "撤销结算编号" in page.text
    pdf = client.get(f"/api/settlements/{setl['setl_id']}/receipt.pdf", headers=viewer).content
    assert pdf.startswith(b"%PDF")
    red = b".690196 0 .12549 rg"  # the notice's colour (#b00020) in the page's drawing
    assert red in pdf_page_text(pdf) and red not in pdf_page_text(valid_pdf)


def test_amounts_beyond_numeric_16_2_are_field_errors(client: TestClient, session: Session) -> None:
    """Issue 19 item 1 (REST amounts): 1e26 and "1e309" as an amount are a 422 naming the field, not a 500."""
    person = insured(session)
    clerk = sign_in(client, session, "clerk")
    for amount in ("1e26", "1e309", "100000000000000.00"):
        body = {"psn_no": person.psn_no, "benefit": "inpatient", "service_date": "2022-05-20", "level": "tertiary_a",
                "region": "ningbo", "place": "奉化区人民医院", "lines": [{"amount": amount, "class": "A"}]}
        answer = client.post("/api/settlements/manual", headers=clerk, json=body)
        assert answer.status_code == 422, (amount, answer.text)
        assert "金额超出范围" in answer.text and "amount" in answer.text
    with pytest.raises(MoneyError, match="超出范围"):
        money("99999999999999999")
    assert str(money("99999999999999.99")) == "99999999999999.99"  # the largest numeric(16, 2) holds
