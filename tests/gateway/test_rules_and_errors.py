"""What the gateway refuses, and how (issue 4 "Enforced" and "Bad input"): each refusal names its rule;
bad envelopes and fields → infcode -1 with a Chinese err_msg naming the field; nothing is written."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.gateway.conftest import COMMUNITY, HUASHAN, PEOPLES, ZHEJIANG
from tests.gateway.his import CERTNOS, HIS, PATH, error_code, insured
from yibao.contributions.models import Bill
from yibao.filings.service import file_cross_region
from yibao.institutions.service import register_institution, set_agreement
from yibao.settlement.models import FeeDetail, GatewayMessage, Settlement, Visit

D = "2022-06-15"


def counts(session: Session) -> tuple[int, ...]:
    return tuple(session.scalar(select(func.count()).select_from(t)) or 0
                 for t in (Visit, FeeDetail, Settlement, GatewayMessage))


def registration(his: HIS, psn_no: str) -> dict[str, Any]:
    return his.call("2201", {"data": {"psn_no": psn_no, "insutype": "390", "begntime": f"{D} 08:00:00",
                                      "mdtrt_cert_type": "02", "mdtrt_cert_no": CERTNOS.get(psn_no, "x")}})


def test_unpaid_enrollment_is_not_insured(his: Callable[[str], HIS], session: Session) -> None:
    person = insured(session)
    bill = session.scalars(select(Bill).where(Bill.psn_no == person.psn_no)).one()
    bill.status = "unpaid"
    from yibao.enrollment.models import Enrollment

    session.scalars(select(Enrollment).where(Enrollment.psn_no == person.psn_no)).one().status = "pending_payment"
    session.commit()
    answer = registration(his(COMMUNITY), person.psn_no)
    assert answer["infcode"] == -1 and "参保费用未缴纳" in answer["err_msg"]
    assert error_code(answer) == "contribution_unpaid"


def test_outside_the_benefit_period(his: Callable[[str], HIS], session: Session) -> None:
    person = insured(session)
    answer = his(COMMUNITY).call("2201", {"data": {"psn_no": person.psn_no, "begntime": "2023-02-01 08:00:00",
                                                   "mdtrt_cert_type": "02", "mdtrt_cert_no": person.certno}})
    assert answer["infcode"] == -1 and "2023 年度未参保" in answer["err_msg"]
    assert error_code(answer) == "not_insured"


def test_suspended_and_terminated_institutions(his: Callable[[str], HIS], session: Session) -> None:
    person = insured(session)
    hospital = his(PEOPLES)
    set_agreement(session, code=PEOPLES, status="suspended", until=dt.date(2022, 12, 31), reason="稽查")
    session.commit()
    answer = registration(hospital, person.psn_no)
    assert answer["infcode"] == -1 and "暂停至 2022-12-31" in answer["err_msg"]
    assert error_code(answer) == "institution_suspended"
    set_agreement(session, code=PEOPLES, status="terminated", reason="稽查")
    session.commit()
    answer = registration(hospital, person.psn_no)
    assert answer["infcode"] == -1 and "解除医保定点服务协议" in answer["err_msg"]
    assert error_code(answer) == "institution_terminated"


def test_cross_province_needs_a_filing_and_a_designated_institution(his: Callable[[str], HIS],
                                                                      session: Session) -> None:
    person = insured(session)
    answer = registration(his(HUASHAN), person.psn_no)
    assert answer["infcode"] == -1 and "异地就医备案" in answer["err_msg"]
    assert error_code(answer) == "no_cross_region_filing"
    file_cross_region(session, psn_no=person.psn_no, reason="long_term_residence", place="上海市",
                      begndate=dt.date(2022, 1, 1))
    register_institution(session, fixmedins_code="H31000000002", name="上海某非跨省定点医院", kind="hospital",
                         hosp_lv="02", region="other_province", admdvs="310000", secret="yibao-his-demo")
    session.commit()
    assert registration(his(HUASHAN), person.psn_no)["infcode"] == 0
    answer = registration(his("H31000000002"), person.psn_no)
    assert answer["infcode"] == -1 and "不是跨省异地就医定点医疗机构" in answer["err_msg"]
    assert error_code(answer) == "not_cross_province_designated"


def test_elsewhere_in_zhejiang_needs_no_filing_in_2022(his: Callable[[str], HIS], session: Session) -> None:
    """S22 §5: other cities in Zhejiang settle directly without filing."""
    person = insured(session)
    assert registration(his(ZHEJIANG), person.psn_no)["infcode"] == 0


def test_special_disease_needs_a_filing(his: Callable[[str], HIS], session: Session) -> None:
    person = insured(session)
    clinic = his(PEOPLES)
    mdtrt_id = clinic.register(person.psn_no, D)
    info = {"mdtrtinfo": {"mdtrt_id": mdtrt_id, "psn_no": person.psn_no, "med_type": "14", "begntime": f"{D} 08:00"}}
    refused = clinic.call("2203", info)
    assert refused["infcode"] == -1 and "门诊特病备案" in refused["err_msg"]
    assert error_code(refused) == "no_special_disease_filing"
    filed_body = {"data": {"psn_no": person.psn_no, "insutype": "390", "opsp_dise_code": "M07803",
                           "opsp_dise_name": "慢性肾功能不全（血透治疗）", "ide_fixmedins_no": PEOPLES,
                           "hosp_ide_date": "2022-01-05", "diag_dr_codg": "D1",
                           "begndate": "2022-01-05", "enddate": "2022-12-31"}}
    filed = clinic.ok("2503", filed_body)
    assert filed["result"]["trt_dcla_detl_sn"]
    assert clinic.call("2203", info)["infcode"] == 0
    # issue 17 item 3: the disease is the list's and the claim's disease must be a filed one (POLICY.md §5)
    mismatch = {"data": {**filed_body["data"], "opsp_dise_code": "M03900", "opsp_dise_name": "高血压"}}
    assert error_code(clinic.call("2503", mismatch)) == "disease_name_mismatch"
    other = {"mdtrtinfo": {**info["mdtrtinfo"], "dise_codg": "M03900", "dise_name": "高血压病"}}
    assert error_code(clinic.call("2203", other)) == "disease_not_filed"


def test_an_institution_sees_only_its_own_visits(his: Callable[[str], HIS], session: Session) -> None:
    person = insured(session)
    mine = his(COMMUNITY).register(person.psn_no, D)
    other = his(PEOPLES)
    answer = other.call("2206", other.settle_data(person.psn_no, mine, Decimal("1"), "11"))
    assert answer["infcode"] == -1 and "不属于本机构" in answer["err_msg"]
    assert error_code(answer) == "visit_not_found"


@pytest.mark.parametrize(("mutate", "needle"), [
    (lambda b: b.pop("infno"), "缺少字段 infno"),
    (lambda b: b.update(infno="9999"), "不支持的交易编号"),
    (lambda b: b.update(msgid="123"), "msgid 应为机构编码"),
    (lambda b: b.update(infno=2201), "infno 应为字符串"),
    (lambda b: b.update(infno={"no": "2201"}), "infno 应为字符串"),
    (lambda b: b.update(sign_no=None), "请先签到"),
    (lambda b: b.update(sign_no="stale-sign-no"), "sign_no 无效或已过期"),
    (lambda b: b.update(fixmedins_code="H99999999999", msgid="H99999999999202206150000000001"), "不是本统筹区"),
    (lambda b: b["input"]["data"].pop("psn_no"), "缺少字段 input.data.psn_no"),
    (lambda b: b["input"]["data"].update(begntime="15/06/2022"), "input.data.begntime 应为 yyyy-MM-dd"),
    (lambda b: b["input"]["data"].update(mdtrt_cert_type="09"), "input.data.mdtrt_cert_type 的值"),
    (lambda b: b["input"]["data"].update(insutype="310"), "insutype"),
    (lambda b: b["input"].update(data=[1, 2]), "input.data 应为对象"),
])
def test_bad_envelopes_name_the_field_and_write_nothing(his: Callable[[str], HIS], session: Session,
                                                        mutate: Callable[[dict[str, Any]], Any], needle: str) -> None:
    person = insured(session)
    clinic = his(COMMUNITY)
    body = clinic.envelope("2201", {"data": {"psn_no": person.psn_no, "insutype": "390", "begntime": f"{D} 08:00:00",
                                             "mdtrt_cert_type": "02", "mdtrt_cert_no": person.certno}})
    mutate(body)
    before = counts(session)
    answer = clinic.send(body)
    assert answer["infcode"] == -1, answer
    assert needle in answer["err_msg"]
    assert counts(session) == before


@pytest.mark.parametrize(("line", "needle"), [
    ({"med_list_codg": "NOT-IN-CATALOGUE"}, "医保目录中没有编码"),
    ({"det_item_fee_sumamt": Decimal("11.00")}, "不等于数量 × 单价"),
    ({"cnt": "abc"}, "cnt 应为数字"),
    ({"pric": Decimal("1.1234567")}, "最多 6 位小数"),
    ({"fee_ocur_time": "2022-07-01 09:00:00"}, "不在就诊期间"),
    ({"feedetl_sn": None}, "缺少字段 input.feedetail[1].feedetl_sn"),
])
def test_bad_fee_lines_refuse_the_whole_upload(his: Callable[[str], HIS], session: Session, line: dict[str, Any],
                                               needle: str) -> None:
    person = insured(session)
    clinic = his(COMMUNITY)
    mdtrt_id = clinic.register(person.psn_no, D)
    good = {"feedetl_sn": "G1", "mdtrt_id": mdtrt_id, "psn_no": person.psn_no, "fee_ocur_time": f"{D} 09:00:00",
            "med_list_codg": "XJ01CAA040A001010101445", "cnt": 1, "pric": Decimal("10"),
            "det_item_fee_sumamt": Decimal("10.00")}
    bad = {**good, "feedetl_sn": "G2", **line}
    before = counts(session)
    answer = clinic.call("2204", {"feedetail": [good, bad]})
    assert answer["infcode"] == -1 and needle in answer["err_msg"], answer["err_msg"]
    assert counts(session) == before


def test_settlement_amounts_must_add_up(his: Callable[[str], HIS], session: Session) -> None:
    person = insured(session)
    clinic = his(COMMUNITY)
    mdtrt_id = clinic.register(person.psn_no, D)
    clinic.fees("2204", person.psn_no, mdtrt_id, D, [("XJ01CAA040A001010101445", "1", "50")])
    before = counts(session)
    wrong_total = clinic.call("2207", clinic.settle_data(person.psn_no, mdtrt_id, Decimal("49.99"), "11"))
    assert wrong_total["infcode"] == -1 and "medfee_sumamt" in wrong_total["err_msg"]
    assert error_code(wrong_total) == "total_mismatch"
    echo = clinic.settle_data(person.psn_no, mdtrt_id, Decimal("50"), "11")
    echo["data"]["inscp_scp_amt"] = Decimal("40.00")
    wrong_echo = clinic.call("2207", echo)
    assert wrong_echo["infcode"] == -1 and "inscp_scp_amt" in wrong_echo["err_msg"]
    unknown = clinic.call("2207", clinic.settle_data(person.psn_no, "330213999999999999", Decimal("50"), "11"))
    assert unknown["infcode"] == -1 and "没有就诊" in unknown["err_msg"]
    assert error_code(unknown) == "visit_not_found"
    assert counts(session) == before


def test_wrong_institution_secret_cannot_sign_in(client: TestClient, his: Callable[[str], HIS]) -> None:
    answer = HIS(client, COMMUNITY, secret="guess").call("1101", {"data": {}})
    assert answer["infcode"] == -1 and "签到" in answer["err_msg"]


def test_garbage_never_becomes_http_500(client: TestClient) -> None:
    for body in (b"", b"{", b"[]", b"null", b'{"infno": 2201}', "中文".encode()):
        answer = client.post(PATH, content=body, headers={"content-type": "application/json"})
        assert answer.status_code == 200
        assert answer.json()["infcode"] == -1


def test_the_door_refuses_an_oversized_body_and_lets_other_methods_through(client: TestClient) -> None:
    """The gateway's ASGI door answers POST on its path only; a body over the limit is refused in the envelope."""
    from yibao.adapters.gateway.api import MAX_BODY

    huge = client.post(PATH, content=b"{" + b" " * MAX_BODY + b"}", headers={"content-type": "application/json"})
    assert huge.status_code == 200
    assert huge.json()["infcode"] == -1 and "超过" in huge.json()["err_msg"]
    assert client.get(PATH).status_code == 405  # FastAPI's own answer: the door only takes POST


@pytest.mark.parametrize("begntime", ["2022-06-15T08:00:00Z", "2022-6-15 08:00:00", "2022-06-15 24:00:00",
                                      "2022-06-15 08:00", "２０２２-06-15 08:00:00"])
def test_times_must_have_the_interface_shape(his: Callable[[str], HIS], session: Session, begntime: str) -> None:
    person = insured(session)
    answer = his(COMMUNITY).call("2201", {"data": {"psn_no": person.psn_no, "insutype": "390", "begntime": begntime,
                                                   "mdtrt_cert_type": "02", "mdtrt_cert_no": person.certno}})
    assert answer["infcode"] == -1 and "input.data.begntime 应为 yyyy-MM-dd HH:mm:ss" in answer["err_msg"]


def test_daily_reconciliation_3201(his: Callable[[str], HIS], session: Session) -> None:
    person = insured(session)
    clinic = his(COMMUNITY)
    mdtrt_id = clinic.register(person.psn_no, D)
    clinic.fees("2204", person.psn_no, mdtrt_id, D, [("XJ01CAA040A001010101445", "1", "100")])
    setl = clinic.ok("2207", clinic.settle_data(person.psn_no, mdtrt_id, Decimal("100"), "11"))["setlinfo"]
    statement = {"data": {"insutype": "390", "clr_type": "11", "setl_optins": "330213", "stmt_begndate": D,
                          "stmt_enddate": D, "medfee_sumamt": Decimal("100.00"),
                          "fund_pay_sumamt": setl["fund_pay_sumamt"], "acct_pay": Decimal("0"),
                          "fixmedins_setl_cnt": 1}}
    assert clinic.ok("3201", statement)["stmtinfo"]["stmt_rslt"] == "0"
    statement["data"]["medfee_sumamt"] = Decimal("99.00")
    result = clinic.ok("3201", statement)["stmtinfo"]
    assert result["stmt_rslt"] == "1" and "不平" in result["stmt_rslt_dscr"]


@pytest.mark.parametrize(("line", "field"), [
    ({"cnt": Decimal("1E+26")}, "cnt"),
    ({"pric": "1e309"}, "pric"),
    ({"pric": "NaN"}, "pric"),
    ({"det_item_fee_sumamt": "Infinity"}, "det_item_fee_sumamt"),
    ({"bilg_dr_name": "王" * 51}, "bilg_dr_name"),
    ({"bilg_dr_name": "王\x00医生"}, "bilg_dr_name"),
    ({"rxno": "R" * 31}, "rxno"),
])
def test_numbers_and_texts_beyond_the_columns_are_field_errors(his: Callable[[str], HIS], session: Session,
                                                              line: dict[str, Any], field: str) -> None:
    """Issue 19 item 1 (gateway): each a field error naming the field, nothing written, never 系统内部错误."""
    person = insured(session)
    clinic = his(COMMUNITY)
    mdtrt_id = clinic.register(person.psn_no, D)
    fee = {"feedetl_sn": "1", "mdtrt_id": mdtrt_id, "psn_no": person.psn_no, "fee_ocur_time": f"{D} 09:00:00",
           "med_list_codg": "XJ01CAA040A001010101445", "cnt": 1, "pric": Decimal("10"),
           "det_item_fee_sumamt": Decimal("10")} | line
    before = counts(session)
    answer = clinic.call("2204", {"feedetail": [fee]})
    assert answer["infcode"] == -1 and f"input.feedetail[0].{field}" in answer["err_msg"], answer["err_msg"]
    assert "系统内部错误" not in answer["err_msg"] and counts(session) == before


@pytest.mark.parametrize(("data", "envelope"), [
    ({"dr_name": "王" * 51}, {}),
    ({"dise_name": "病\x00"}, {}),
    ({}, {"opter": "O" * 60}),
])
def test_visit_texts_and_the_operator_are_held_to_their_columns(his: Callable[[str], HIS], session: Session,
                                                               data: dict[str, Any], envelope: dict[str, Any]) -> None:
    person = insured(session)
    clinic = his(COMMUNITY)
    before = counts(session)
    body = clinic.envelope("2201", {"data": {"psn_no": person.psn_no, "insutype": "390", "begntime": f"{D} 08:00:00",
                                             "mdtrt_cert_type": "02", "mdtrt_cert_no": person.certno} | data},
                           **envelope)
    answer = clinic.send(body)
    assert answer["infcode"] == -1 and error_code(answer) == "gateway_input", answer["err_msg"]
    assert counts(session) == before


def test_a_body_nested_too_deep_is_refused_as_such(client: Any) -> None:
    deep = b'{"infno": "1101", "input": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    answer = client.post(PATH, content=deep, headers={"content-type": "application/json"})
    assert answer.status_code == 200
    assert answer.json()["infcode"] == -1 and "不是有效的 JSON" in answer.json()["err_msg"]
