"""The interface log (issue 18 item 6) and what is checked of what is sent (item 4), on both databases: every call
with its institution, infno, msgid, outcome and time, searchable in the console, personal data masked, unknown
envelope fields kept; a lost social-security card, a card or ID number of another person refused."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.gateway.conftest import COMMUNITY
from tests.gateway.his import HIS, error_code, insured
from tests.web.test_pages import staff_cookie, text
from yibao.kit.clock import now
from yibao.kit.masks import mask_text as mask
from yibao.people.cards import issue_card, report_lost
from yibao.settlement.models import GatewayCall

D = "2022-06-15"


def test_every_call_is_logged_masked_and_searchable(client: TestClient, session: Session,
                                                    his: Callable[[str], HIS]) -> None:
    person = insured(session)
    clinic = his(COMMUNITY)
    clinic.ok("1101", {"data": {"mdtrt_cert_type": "02", "mdtrt_cert_no": person.certno}})
    unknown = "330283199001011234"
    body = clinic.envelope("1101", {"data": {"mdtrt_cert_type": "02", "mdtrt_cert_no": unknown}},
                           hsp_ext_field="省平台扩展", dev_mac="13805741234")
    assert clinic.send(body)["infcode"] == -1
    rows = session.scalars(select(GatewayCall).where(GatewayCall.fixmedins_code == COMMUNITY)).all()
    assert sorted(r.infno or "" for r in rows) == ["1101", "1101", "9001"]
    last = next(r for r in rows if r.msgid == body["msgid"])
    assert last.infcode == -1 and last.err_code == "not_found" and unknown not in (last.err_msg or "")
    assert "330283********1234" in (last.err_msg or "")
    assert last.extras is not None and "省平台扩展" in last.extras and "13805741234" not in last.extras
    staff_cookie(client, session, "readonly")
    page = client.get("/console/gateway-log", params={"fixmedins_code": COMMUNITY, "outcome": "failed"})
    assert page.status_code == 200
    shown = text(page.text)
    assert "共 1 条" in shown and "330283********1234" in shown and unknown not in page.text
    today = client.get("/console/gateway-log", params={"infno": "9001", "day": str(now().date())})
    assert "签到" in text(today.text)


def test_mask_hides_id_and_phone_numbers() -> None:
    assert mask("没有身份证号为 33028319900101123X 的参保人，电话 13805741234") == (
        "没有身份证号为 330283********123X 的参保人，电话 138****1234")
    assert mask("结算 330213S2612021556542930211") == "结算 330213S2612021556542930211"


def test_the_credential_must_name_the_patient(session: Session, his: Callable[[str], HIS]) -> None:
    person, other = insured(session), insured(session)
    issue_card(session, psn_no=person.psn_no, card_no="B00000001", card_sn="SN0001", issued_on=now().date(),
               actor="t")
    issue_card(session, psn_no=other.psn_no, card_no="B00000002", card_sn="SN0002", issued_on=now().date(),
               actor="t")
    session.commit()
    clinic = his(COMMUNITY)

    def register(cert_type: str, cert_no: str) -> dict[str, object]:
        return clinic.call("2201", {"data": {"psn_no": person.psn_no, "insutype": "390", "begntime": f"{D} 08:00:00",
                                             "mdtrt_cert_type": cert_type, "mdtrt_cert_no": cert_no}})

    assert error_code(register("02", other.certno)) == "credential_other_person"
    assert error_code(register("03", "B00000002")) == "credential_other_person"
    assert register("03", "B00000001")["infcode"] == 0
    wrong_chip = clinic.call("1101", {"data": {"mdtrt_cert_type": "03", "mdtrt_cert_no": "B00000001",
                                               "card_sn": "SN9999"}})
    assert error_code(wrong_chip) == "card_sn_mismatch"
    report_lost(session, card_no="B00000001", actor="t")
    session.commit()
    lost = clinic.call("1101", {"data": {"mdtrt_cert_type": "03", "mdtrt_cert_no": "B00000001", "card_sn": "SN0001"}})
    assert error_code(lost) == "card_not_active" and "已挂失" in str(lost["err_msg"])
    assert error_code(register("03", "B00000001")) == "card_not_active"


def test_settlement_codes_are_checked(session: Session, his: Callable[[str], HIS]) -> None:
    from decimal import Decimal

    person = insured(session)
    clinic = his(COMMUNITY)
    mdtrt_id = clinic.register(person.psn_no, D)
    clinic.fees("2204", person.psn_no, mdtrt_id, D, [("XJ01CAA040A001010101445", "1", "10")])

    def presettle(**changes: str) -> str | None:
        data = clinic.settle_data(person.psn_no, mdtrt_id, Decimal("10"), "11")
        data["data"] |= changes
        return error_code(clinic.call("2206", data))

    assert presettle() is None
    assert presettle(insutype="310") == "gateway_input"
    assert presettle(psn_setlway="02") == "refused"
    assert presettle(psn_setlway="09") == "gateway_input"
    assert presettle(acct_used_flag="2") == "gateway_input"
    assert presettle(acct_used_flag="1") is None  # no personal account: nothing from it
    assert presettle(chrg_bchno="B9") == "gateway_input"
    assert presettle(chrg_bchno="0000") is None


def test_2302_takes_the_spec_s_list_of_lines(session: Session, his: Callable[[str], HIS]) -> None:
    person = insured(session)
    hospital = his("H33021300001")
    mdtrt_id = hospital.admit(person.psn_no, "2022-03-01")
    lines = hospital.fees("2301", person.psn_no, mdtrt_id, "2022-03-02", [("XJ01CAA040A001010101445", "1", "10"),
                                                                         ("C14010000001", "1", "3")])
    first = lines[0]["feedetl_sn"]
    assert hospital.call("2302", {"data": [{"feedetl_sn": first, "mdtrt_id": mdtrt_id, "psn_no": person.psn_no}]}
                         )["infcode"] == 0
    again = hospital.call("2302", {"data": [{"feedetl_sn": "0000", "mdtrt_id": mdtrt_id, "psn_no": person.psn_no}]})
    assert again["infcode"] == 0
    other = hospital.call("2302", {"data": [{"feedetl_sn": "0000", "mdtrt_id": "X", "psn_no": person.psn_no}]})
    assert other["infcode"] == -1


def test_a_nul_in_a_writes_msgid_is_a_field_error_and_its_log_line_is_kept(session: Session,
                                                                           his: Callable[[str], HIS]) -> None:
    """Found by the reliability suite's envelope mutator: on PostgreSQL a NUL in a write's msgid became
    "系统内部错误" (the refusal looked the msgid up as a concurrent twin) and the interface log lost its whole batch
    (PostgreSQL refuses NUL in text). Both databases."""
    person = insured(session)
    clinic = his(COMMUNITY)
    body = clinic.envelope("2201", {"data": {"psn_no": person.psn_no, "insutype": "390",
                                             "begntime": "2022-06-15 08:00:00", "mdtrt_cert_type": "02",
                                             "mdtrt_cert_no": person.certno}})
    body["msgid"] = "\x00"
    answer = clinic.send(body)
    assert answer["infcode"] == -1 and error_code(answer) == "gateway_input", answer["err_msg"]
    assert "系统内部错误" not in answer["err_msg"] and "msgid" in answer["err_msg"]
    logged = session.scalars(select(GatewayCall).where(GatewayCall.infno == "2201")).all()
    assert [row.msgid for row in logged] == ["\ufffd"]
