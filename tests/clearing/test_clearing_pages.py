"""Clearing's pages over the real app (both databases): the centre builds, a second person approves and pays; the
institution sees and downloads only its own statements."""

from __future__ import annotations

import io
import re

from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy.orm import Session

from tests.clearing.test_clearing import settled_on
from tests.gateway.his import insured
from tests.settlement.test_services import COMMUNITY, PEOPLES
from tests.web.test_pages import staff_cookie, text
from yibao.demo import DEMO_HIS_SECRET, ensure_demo_institutions
from yibao.policy.editions import Editions


def test_the_centre_clears_and_the_institution_downloads(client: TestClient, session: Session,
                                                         editions: Editions) -> None:
    ensure_demo_institutions(session)
    person = insured(session)
    settled_on(session, editions, person.psn_no, "2026-10-10 09:00:00")
    settled_on(session, editions, person.psn_no, "2026-10-11 09:00:00", code=PEOPLES, sn="F2")
    session.commit()
    staff_cookie(client, session, "readonly")
    looked = client.get("/console/clearing")
    assert looked.status_code == 200 and "累计支出（账簿）" in looked.text and "生成月度清算单" not in looked.text
    staff_cookie(client, session, "clerk")
    bad = client.post("/console/clearing", data={"month": "2026-13"})
    assert bad.status_code == 400 and 'data-code="month_invalid"' in bad.text
    built = client.post("/console/clearing", data={"month": "2026-10"})
    assert "已生成 2026-10 清算单 2 张" in text(built.text)
    ours = re.search(rf'href="/console/clearing/(\w+)">{COMMUNITY}<', built.text).group(1)  # type: ignore[union-attr]
    own = client.post(f"/console/clearing/{ours}/approve")
    assert own.status_code == 400 and 'data-code="own_clearing"' in own.text
    staff_cookie(client, session, "admin")
    approved = client.post(f"/console/clearing/{ours}/approve")
    assert "已审核待支付" in text(approved.text) and "应付机构款已记账" in text(approved.text)
    paid = client.post(f"/console/clearing/{ours}/pay", data={"payment_ref": "BOC-77"})
    assert "已支付" in text(paid.text) and "凭证 BOC-77" in text(paid.text)
    client.post("/desk/login", data={"fixmedins_code": COMMUNITY, "secret": DEMO_HIS_SECRET, "opter": "甲"})
    mine = client.get("/desk/clearings")
    assert mine.status_code == 200 and "2026-10" in mine.text and mine.text.count("statement.xlsx") == 1
    sheet = client.get(f"/desk/clearings/{ours}/statement.xlsx")
    assert load_workbook(io.BytesIO(sheet.content))["清算汇总"]["B2"].value.startswith(COMMUNITY)
    theirs = re.search(rf'href="/console/clearing/(\w+)">{PEOPLES}<', built.text).group(1)  # type: ignore[union-attr]
    assert client.get(f"/desk/clearings/{theirs}/statement.xlsx").status_code == 404
