"""Outpatient and inpatient flows over HTTP in the national interface's vocabulary (issue 4), on both
databases: numbers, accumulators, the ledger, cancellation and reversal."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.gateway.conftest import COMMUNITY, FIRST
from tests.gateway.his import HIS, error_code, insured
from yibao.accounts.ledger import ledger_balances, unbalanced_entries
from yibao.accounts.models import JournalEntry
from yibao.settlement.models import Settlement
from yibao.settlement.settle import read_accumulators

D = "2022-06-15"


def test_outpatient_flow(his: Callable[[str], HIS], session: Session) -> None:
    person = insured(session)
    clinic = his(COMMUNITY)
    info = clinic.ok("1101", {"data": {"mdtrt_cert_type": "02", "mdtrt_cert_no": person.certno,
                                       "psn_name": person.name}})
    assert info["baseinfo"]["psn_no"] == person.psn_no
    assert [i["psn_type"] for i in info["insuinfo"] if i["year"] == 2022] == ["1501"]
    mdtrt_id = clinic.register(person.psn_no, D)
    clinic.ok("2203", {"mdtrtinfo": {"mdtrt_id": mdtrt_id, "psn_no": person.psn_no, "med_type": "11",
                                     "begntime": f"{D} 08:30:00", "dise_codg": "J06.9", "dise_name": "上呼吸道感染"}})
    result = clinic.fees("2204", person.psn_no, mdtrt_id, D, [
        ("001101000010000", "1", "12"),  # 诊查费, ceiling 10 → 2.00 over the ceiling
        ("XC10AAA014A001010101234", "2", "35.5"),  # 乙, 5% first self-pay
        ("XQ00000001", "1", "99.99"),  # 丙
    ])
    assert [(r["overlmt_amt"], r["preselfpay_amt"], r["inscp_scp_amt"], r["chrgitm_lv"]) for r in result] == [
        (Decimal("2.00"), Decimal("0.00"), Decimal("10.00"), "01"),
        (Decimal("0.00"), Decimal("3.55"), Decimal("67.45"), "02"),
        (Decimal("0.00"), Decimal("0.00"), Decimal("0.00"), "03")]
    pre = clinic.ok("2206", clinic.settle_data(person.psn_no, mdtrt_id, Decimal("182.99"), "11"))["setlinfo"]
    assert session.scalar(select(func.count()).select_from(Settlement)) == 0  # pre-settlement writes nothing
    done = clinic.ok("2207", clinic.settle_data(person.psn_no, mdtrt_id, Decimal("182.99"), "11"))
    setl = done["setlinfo"]
    for key in ("medfee_sumamt", "inscp_scp_amt", "hifp_pay", "fund_pay_sumamt", "psn_part_amt"):
        assert setl[key] == pre[key]
    assert (setl["inscp_scp_amt"], setl["hifp_pay"], setl["psn_cash_pay"]) == (
        Decimal("77.45"), Decimal("46.47"), Decimal("136.52"))  # community 60% (S22 §4)
    assert [d["fund_pay_type"] for d in done["setldetail"]] == ["390100", "390200", "610100"]
    assert "60%" in done["setldetail"][0]["setl_proc_info"]
    assert read_accumulators(session, person.psn_no, 2022).outpatient == Decimal("77.45")
    cum = clinic.ok("5206", {"data": {"psn_no": person.psn_no, "cum_ym": "202206"}})["cuminfo"]
    assert cum[0]["cum"] == Decimal("77.45")
    assert unbalanced_entries(session) == []
    balances = ledger_balances(session)
    assert balances[f"institution:{COMMUNITY}"] == Decimal("182.99")
    assert balances["fund:390100"] == Decimal("-46.47")


def test_inpatient_flow_with_cancellation(his: Callable[[str], HIS], session: Session) -> None:
    person = insured(session)
    hospital = his(FIRST)  # 三甲
    mdtrt_id = hospital.admit(person.psn_no, "2022-03-01")
    hospital.fees("2301", person.psn_no, mdtrt_id, "2022-03-02", [("XJ01CAA040A001010101445", "1", "10000")])
    early = hospital.call("2304", hospital.settle_data(person.psn_no, mdtrt_id, Decimal("10000"), "21"))
    assert early["infcode"] == -1 and "出院" in early["err_msg"]
    assert error_code(early) == "not_discharged"
    hospital.ok("2402", {"dscginfo": {"mdtrt_id": mdtrt_id, "psn_no": person.psn_no, "endtime": "2022-03-10 10:00:00",
                                      "dscg_way": "1"}})
    setl = hospital.ok("2304", hospital.settle_data(person.psn_no, mdtrt_id, Decimal("10000"), "21"))["setlinfo"]
    assert (setl["act_pay_dedc"], setl["hifp_pay"], setl["psn_part_amt"]) == (
        Decimal("1500.00"), Decimal("5950.00"), Decimal("4050.00"))  # POLICY.md §5 worked example
    cancel = hospital.ok("2305", {"data": {"setl_id": setl["setl_id"], "mdtrt_id": mdtrt_id,
                                           "psn_no": person.psn_no}})["setlinfo"]
    assert (cancel["hifp_pay"], cancel["medfee_sumamt"]) == (Decimal("-5950.00"), Decimal("-10000.00"))
    assert read_accumulators(session, person.psn_no, 2022).inpatient == 0
    again = hospital.call("2305", {"data": {"setl_id": setl["setl_id"], "mdtrt_id": mdtrt_id, "psn_no": person.psn_no}})
    assert again["infcode"] == -1 and "已撤销" in again["err_msg"]
    assert error_code(again) == "settlement_already_cancelled"
    resettled = hospital.ok("2304", hospital.settle_data(person.psn_no, mdtrt_id, Decimal("10000"), "21"))
    assert resettled["setlinfo"]["hifp_pay"] == Decimal("5950.00")
    assert unbalanced_entries(session) == []
    assert ledger_balances(session)["fund:390100"] == Decimal("-5950.00")  # settle − cancel + settle again
    assert session.scalar(select(func.count()).select_from(JournalEntry)) == 3


def test_reversal_undoes_a_settlement_once(his: Callable[[str], HIS], session: Session) -> None:
    person = insured(session)
    clinic = his(COMMUNITY)
    mdtrt_id = clinic.register(person.psn_no, D)
    clinic.fees("2204", person.psn_no, mdtrt_id, D, [("XJ01CAA040A001010101445", "4", "25")])
    body = clinic.envelope("2207", clinic.settle_data(person.psn_no, mdtrt_id, Decimal("100"), "11"))
    first = clinic.send(body)
    assert first["infcode"] == 0
    assert clinic.send(body) == first  # the same msgid again: the stored answer, nothing new written
    assert session.scalar(select(func.count()).select_from(Settlement)) == 1
    other = dict(body, input=clinic.settle_data(person.psn_no, mdtrt_id, Decimal("99"), "11"))
    refused = clinic.send(other)
    assert refused["infcode"] == -1 and "已被另一笔交易使用" in refused["err_msg"]
    undo = {"data": {"psn_no": person.psn_no, "omsgid": body["msgid"], "oinfno": "2207"}}
    assert clinic.ok("2601", undo)["result"]["rslt"] == "冲正成功"
    assert read_accumulators(session, person.psn_no, 2022).outpatient == 0
    twice = clinic.call("2601", undo)
    assert twice["infcode"] == -1 and "已由" in twice["err_msg"]
    never = clinic.ok("2601", {"data": {"psn_no": person.psn_no, "omsgid": "H33021300003202206150000009999",
                                        "oinfno": "2207"}})
    assert "无需冲正" in never["result"]["rslt"]
    cancel_msg = clinic.envelope("2207", clinic.settle_data(person.psn_no, mdtrt_id, Decimal("100"), "11"))
    setl = clinic.send(cancel_msg)["output"]["setlinfo"]
    cancel = clinic.envelope("2208", {"data": {"setl_id": setl["setl_id"], "mdtrt_id": mdtrt_id,
                                               "psn_no": person.psn_no}})
    assert clinic.send(cancel)["infcode"] == 0
    clinic.ok("2601", {"data": {"psn_no": person.psn_no, "omsgid": cancel["msgid"], "oinfno": "2208"}})
    assert read_accumulators(session, person.psn_no, 2022).outpatient == Decimal("100.00")  # the cancel undone
    assert unbalanced_entries(session) == []


def test_fee_lines_can_be_deleted_before_settlement(his: Callable[[str], HIS], session: Session) -> None:
    person = insured(session)
    clinic = his(COMMUNITY)
    mdtrt_id = clinic.register(person.psn_no, D)
    clinic.fees("2204", person.psn_no, mdtrt_id, D, [("XJ01CAA040A001010101445", "1", "30")])
    clinic.ok("2205", {"data": {"mdtrt_id": mdtrt_id, "chrg_bchno": "0000", "psn_no": person.psn_no}})
    empty = clinic.call("2206", clinic.settle_data(person.psn_no, mdtrt_id, Decimal("30"), "11"))
    assert empty["infcode"] == -1 and "没有待结算的费用明细" in empty["err_msg"]
    assert error_code(empty) == "nothing_to_settle"
    clinic.ok("2202", {"data": {"psn_no": person.psn_no, "mdtrt_id": mdtrt_id, "ipt_otp_no": "x"}})
