"""The e-credential's pages over HTTP on both databases (issue 13 item 6): the resident's 我的医保码 with the demo
channel's activation and the family part, the desk taking a scanned code, the console's credential section with
suspension by reason and bindings at the window."""

from __future__ import annotations

import re
from collections.abc import Callable

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.credential.helpers import sign_in_resident
from tests.gateway.conftest import COMMUNITY
from tests.gateway.his import HIS, insured
from tests.web.test_pages import staff_cookie, text
from yibao.credential.models import Credential
from yibao.demo import DEMO_HIS_SECRET
from yibao.kit.clock import now
from yibao.settlement.models import Visit

YEAR = now().year


def _activate_on_the_page(client: TestClient) -> None:
    refused = client.post("/me/ecard/activate", data={})
    assert refused.status_code == 400 and "请勾选确认已完成人脸核验" in text(refused.text)
    done = client.post("/me/ecard/activate", data={"confirm": "1"}, follow_redirects=True)
    assert "医保电子凭证已激活" in text(done.text)


def test_resident_activates_on_the_demo_channel_and_sees_a_fresh_code(client: TestClient,
                                                                       session: Session) -> None:
    person = insured(session, year=YEAR, name="邬页面")
    sign_in_resident(client, session, person)
    first = text(client.get("/me/ecard").text)
    assert "激活医保电子凭证" in first and "演示渠道" in first and "支付宝" in first
    _activate_on_the_page(client)
    assert session.scalar(select(Credential.channel).where(Credential.psn_no == person.psn_no)) == "demo"
    part = client.get("/me/ecard/code").text
    assert "<svg" in part and 'data-seconds="' in part
    seconds = int(re.search(r'data-seconds="(\d+)"', part).group(1))  # type: ignore[union-attr]
    assert 50 <= seconds <= 60
    other = client.get("/me/ecard/code").text
    assert re.search(r"YBEC1\.[^<]+", part).group(0) != re.search(r"YBEC1\.[^<]+", other).group(0)  # type: ignore[union-attr]


def test_the_desk_settles_a_scanned_code(client: TestClient, session: Session, his: Callable[[str], HIS]) -> None:
    person = insured(session, year=YEAR, name="邬扫码")
    his(COMMUNITY)  # the demo institutions
    sign_in_resident(client, session, person)
    _activate_on_the_page(client)
    scanned = client.get("/api/me/ecard").json()["qrcode"]
    client.post("/desk/login", data={"fixmedins_code": COMMUNITY, "secret": DEMO_HIS_SECRET, "opter": "收费员甲"})
    opened = client.post("/desk/visits", data={"qrCode": scanned, "med_type": "11"}, follow_redirects=False)
    assert opened.status_code == 303, text(opened.text)
    mdtrt_id = opened.headers["location"].rsplit("/", 1)[1]
    visit = session.scalar(select(Visit).where(Visit.mdtrt_id == mdtrt_id))
    assert visit is not None and visit.psn_no == person.psn_no and visit.mdtrt_cert_type == "01"
    again = client.post("/desk/visits", data={"qrCode": scanned, "med_type": "11"})
    assert again.status_code == 400 and 'data-code="ec_code_replayed"' in again.text
    forged = client.post("/desk/visits", data={"qrCode": scanned[:-3] + "AAA", "med_type": "11"})
    assert forged.status_code == 400 and 'data-code="ec_forged_code"' in forged.text


def test_console_shows_the_credential_and_suspends_it_with_a_reason(client: TestClient, session: Session) -> None:
    person = insured(session, year=YEAR, name="邬经办")
    sign_in_resident(client, session, person)
    _activate_on_the_page(client)
    client.cookies.clear()
    staff_cookie(client, session, "readonly")
    shown = client.get(f"/console/people/{person.psn_no}").text
    assert "医保电子凭证与亲情账户" in shown and 'data-testid="ecard-status">正常' in shown
    assert 'data-testid="ecard-change"' not in shown  # read-only staff see, and cannot change
    client.cookies.clear()
    staff_cookie(client, session, "clerk")
    missing = client.post(f"/console/people/{person.psn_no}/ecard",
                          data={"action": "ecard", "change": "suspend", "reason": ""})
    assert missing.status_code == 400 and 'data-code="ec_reason_required"' in missing.text
    done = client.post(f"/console/people/{person.psn_no}/ecard",
                       data={"action": "ecard", "change": "suspend", "reason": "参保人电话报告手机遗失"},
                       follow_redirects=True)
    assert "已暂停" in text(done.text) and "参保人电话报告手机遗失" in text(done.text)
