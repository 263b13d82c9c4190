"""参保证明 (enrollment/certificate.py, issue 20) on both databases: only years in force are certified (paid or
fully subsidised, not a registered-unpaid one), the content is kept as issued and checked by serial and code on
the public page with the name masked; issued from the person page by a clerk (not by a read-only role) and from
我的医保 by the resident, each with its PDF."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.gateway.his import insured
from tests.registry.helpers import person
from tests.registry.test_enrollment import enroll
from tests.web.test_pages import staff_cookie, text
from yibao.enrollment.certificate import (
    CertificateNotFound,
    NothingToCertify,
    find_certificate,
    issue_certificate,
    masked_name,
)
from yibao.enrollment.models import InsuranceCertificate
from yibao.kit.masks import mask_id
from yibao.people.service import add_certificate, open_resident_account
from yibao.policy.editions import Editions


def test_only_years_in_force_are_certified_and_the_paper_checks(session: Session, editions: Editions) -> None:
    someone = insured(session, name="邬证明")  # 2022, paid on 2021-10-11
    enroll(session, someone.psn_no, year=2023, registered="2022-10-15")  # registered, not paid: not certified
    issued = issue_certificate(session, editions, psn_no=someone.psn_no, purpose="入学", actor="clerk", door="console")
    assert [y.year for y in issued.years] == [2022]
    assert issued.years[0].category == "成年居民" and "个人缴费 750.00 元，2021-10-11 经微信" in issued.years[0].paid
    assert issued.certno_masked == mask_id(someone.certno) and someone.certno not in issued.statement
    assert issued.statement.startswith("兹证明 邬证明（身份证号 ") and "2022 年度已缴费参保" in issued.statement
    assert re.fullmatch(r"FH\d{8}\d{6}", issued.serial) and re.fullmatch(r"[0-9A-F]{8}", issued.code)
    found = find_certificate(session, serial=issued.serial.lower(), code=f" {issued.code.lower()} ")
    assert found == issued
    with pytest.raises(CertificateNotFound):
        find_certificate(session, serial=issued.serial, code="00000000")
    row = session.get(InsuranceCertificate, issued.serial)
    assert row is not None and someone.certno not in row.content and len(row.digest) == 64

    poor = person(session, name="邬资助")
    add_certificate(session, psn_no=poor.psn_no, kind="minimum_living", cert_no="DB-9",
                    valid_from=dt.date(2021, 1, 1), valid_to=None)
    enroll(session, poor.psn_no)
    subsidised = issue_certificate(session, editions, psn_no=poor.psn_no, purpose="", actor="t", door="console")
    assert subsidised.years[0].paid.startswith("个人缴费由政府全额资助（")

    nobody = person(session, name="邬未缴")
    enroll(session, nobody.psn_no)
    before = session.scalars(select(InsuranceCertificate)).all()
    with pytest.raises(NothingToCertify):
        issue_certificate(session, editions, psn_no=nobody.psn_no, purpose="", actor="t", door="console")
    assert session.scalars(select(InsuranceCertificate)).all() == before
    assert masked_name("邬证明") == "邬*明" and masked_name("邬明") == "邬*"


def test_a_clerk_and_a_resident_issue_it_and_anyone_verifies_it(client: TestClient, session: Session) -> None:
    someone = insured(session, name="邬凭证")
    open_resident_account(session, psn_no=someone.psn_no, password="right-pass-1", actor="t")
    session.commit()
    staff_cookie(client, session, "readonly")
    assert client.post(f"/console/people/{someone.psn_no}/proofs", data={"purpose": "x"}).status_code == 403
    staff_cookie(client, session, "clerk")
    assert 'data-testid="proof-form"' in client.get(f"/console/people/{someone.psn_no}").text
    made = client.post(f"/console/people/{someone.psn_no}/proofs", data={"action": "proof", "purpose": "入职"},
                       follow_redirects=False)
    assert made.status_code == 303 and made.headers["location"].startswith("/console/proofs/FH")
    shown = client.get(made.headers["location"])
    assert "奉化区城乡居民基本医疗保险参保证明" in shown.text and "用途：入职" in text(shown.text)
    serial = re.search(r'data-testid="serial">(\w+)<', shown.text).group(1)  # type: ignore[union-attr]
    code = re.search(r'data-testid="code">(\w+)<', shown.text).group(1)  # type: ignore[union-attr]
    pdf = client.get(f"/console/proofs/{serial}.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF") and b"FontFile2" in pdf.content

    nobody = person(session, name="邬未缴")
    enroll(session, nobody.psn_no)
    session.commit()
    refused = client.post(f"/console/people/{nobody.psn_no}/proofs", data={"action": "proof", "purpose": ""})
    assert refused.status_code == 400 and "不能开具参保证明" in text(refused.text)

    client.cookies.clear()
    checked = client.get("/verify", params={"serial": serial, "code": code})
    assert checked.status_code == 200 and "证明有效" in text(checked.text) and "邬*证" in checked.text
    assert someone.certno not in checked.text and "邬凭证" not in checked.text
    wrong = client.get("/verify", params={"serial": serial, "code": "FFFFFFFF"})
    assert wrong.status_code == 400 and "验证码相符的参保证明" in text(wrong.text)
    assert client.get(f"/console/proofs/{serial}", follow_redirects=False).status_code in (302, 303, 307)

    signed = client.post("/me/login", data={"certno": someone.certno, "password": "right-pass-1"},
                         follow_redirects=False)
    assert signed.status_code == 303
    assert "开具参保证明" in client.get("/me").text
    mine = client.post("/me/proofs", data={"purpose": ""})
    assert mine.status_code == 200 and "2022 年度已缴费参保" in text(mine.text)
    own = re.search(r'data-testid="serial">(\w+)<', mine.text).group(1)  # type: ignore[union-attr]
    assert client.get(f"/me/proofs/{own}.pdf").content.startswith(b"%PDF")
    assert client.get(f"/me/proofs/{serial}").status_code == 200  # issued by the clerk, but theirs
    other = insured(session, name="邬别人")
    theirs = issue_certificate(session, client.app.state.editions, psn_no=other.psn_no, purpose="",  # type: ignore[attr-defined]
                               actor="t", door="console")
    session.commit()
    assert client.get(f"/me/proofs/{theirs.serial}").status_code == 404


def test_the_resident_sees_bills_with_the_ways_to_pay_and_filings(client: TestClient, session: Session) -> None:
    from yibao.contributions.service import bills_of
    from yibao.filings.service import file_cross_region

    someone = insured(session, name="邬缴费")  # 2022 paid by WeChat
    enroll(session, someone.psn_no, year=2023, registered="2022-10-15")  # 2023 to pay
    file_cross_region(session, psn_no=someone.psn_no, reason="long_term_residence", place="上海市",
                      begndate=dt.date(2022, 3, 1), enddate=dt.date(2022, 12, 31))
    open_resident_account(session, psn_no=someone.psn_no, password="right-pass-1", actor="t")
    session.commit()
    client.post("/me/login", data={"certno": someone.certno, "password": "right-pass-1"})
    shown = client.get("/me")
    words = text(shown.text)
    bills = {b.year: b for b in bills_of(session, someone.psn_no)}
    assert 'data-testid="my-bills"' in shown.text and bills[2023].bill_no in shown.text
    assert f"2022 {bills[2022].bill_no} 750.00 已缴费 2021-10-11 微信" in words
    assert f"2023 {bills[2023].bill_no} 750.00 待缴费" in words
    assert 'data-testid="pay-channels"' in shown.text and "宁波税务" in words and "每月 8 日前" in words
    assert "异地就医 异地长期居住人员：上海市 2022-03-01 至 2022-12-31 已过期" in words
