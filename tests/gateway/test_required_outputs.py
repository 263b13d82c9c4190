"""Every output field the spec marks required is present, with the spec's type, in the spec's node (issue 18
item 3), through the outpatient and inpatient flows from sign-in to reversal, on both databases.

The required fields are those marked Y in the last column of the field tables as public HIS client models carry
them: binzhe12123/Medical `SZSI_Smart/Model/SYB/QD9001.cs` (Out9001), `JBXX/RY1101.cs` (BaseInfo, InsuInfo,
IdetInfo), `YBJS/ZJ2204.cs` (Out2204.Result), `YBJS/JS2207.cs` (SetlInfo, SetlDetail), `XXCX/RY5206.cs`
(Out5206); 2201's and 2401's answers (mdtrt_id, psn_no, ipt_otp_no / ipt_no) per INTERFACE.md. "char" fields
must be strings, "numeric" ones numbers, date-times `yyyy-MM-dd HH:mm:ss`."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from tests.gateway.conftest import COMMUNITY, FIRST
from tests.gateway.his import HIS, insured
from yibao.people.service import add_certificate

C, N, T, D = "char", "numeric", "datetime", "date"
SIGNIN = {"sign_time": T, "sign_no": C}
BASEINFO = {"psn_no": C, "psn_cert_type": C, "certno": C, "psn_name": C, "gend": C, "naty": C, "brdy": D, "age": N}
INSUINFO = {"balc": N, "insutype": C, "psn_type": C, "psn_insu_stas": C, "cvlserv_flag": C, "insuplc_admdvs": C}
IDETINFO = {"psn_idet_type": C, "begntime": T}
FEE_RESULT = {"feedetl_sn": C, "det_item_fee_sumamt": N, "cnt": N, "pric": N, "pric_uplmt_amt": N,
              "chrgitm_lv": C, "med_chrgitm_type": C, "lmt_used_flag": C}
SETLINFO = {"mdtrt_id": C, "setl_id": C, "psn_no": C, "psn_name": C, "psn_cert_type": C, "certno": C, "gend": C,
            "naty": C, "insutype": C, "psn_type": C, "cvlserv_flag": C, "setl_time": T, "mdtrt_cert_type": C,
            "med_type": C, "medfee_sumamt": N, "fulamt_ownpay_amt": N, "overlmt_selfpay": N, "preselfpay_amt": N,
            "inscp_scp_amt": N, "hifp_pay": N, "pool_prop_selfpay": N, "cvlserv_pay": N, "hifes_pay": N,
            "hifmi_pay": N, "hifob_pay": N, "maf_pay": N, "oth_pay": N, "fund_pay_sumamt": N, "psn_part_amt": N,
            "acct_pay": N, "psn_cash_pay": N, "hosp_part_amt": N, "balc": N, "acct_mulaid_pay": N,
            "medins_setl_id": C, "clr_way": C, "clr_type": C}
PRESETL = {k: v for k, v in SETLINFO.items() if k != "setl_id"}  # a pre-settlement has no settlement id yet
SETLDETAIL = {"fund_pay_type": C, "inscp_scp_amt": N, "crt_payb_lmt_amt": N, "fund_payamt": N}
CUMINFO = {"insutype": C, "year": C, "cum_ym": C, "cum_type_code": C, "cum": N}
VISIT = {"mdtrt_id": C, "psn_no": C}


def check(node: Any, fields: dict[str, str], where: str) -> None:
    rows = node if isinstance(node, list) else [node]
    assert rows, where
    for row in rows:
        for name, kind in fields.items():
            assert name in row and row[name] is not None, f"{where}.{name} missing"
            value = row[name]
            if kind == N:
                assert isinstance(value, int | Decimal) and not isinstance(value, bool), f"{where}.{name}={value!r}"
            else:
                assert isinstance(value, str), f"{where}.{name}={value!r}"
            if kind == T:
                dt.datetime.strptime(value, "%Y-%m-%d %H:%M:%S")
            if kind == D:
                assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", value), f"{where}.{name}={value!r}"


def settle_both(his: HIS, infno_pre: str, infno: str, psn_no: str, mdtrt_id: str, total: Decimal,
                med_type: str) -> tuple[dict[str, Any], str]:
    data = his.settle_data(psn_no, mdtrt_id, total, med_type)
    body = his.envelope(infno_pre, data)
    pre = his.send(body)
    assert pre["infcode"] == 0, pre["err_msg"]
    check(pre["output"]["setlinfo"], PRESETL, f"{infno_pre}.setlinfo")
    assert pre["output"]["setlinfo"]["medins_setl_id"] == body["msgid"]  # the msgid echoed, pre-settlement too
    check(pre["output"]["setldetail"], SETLDETAIL, f"{infno_pre}.setldetail")
    body = his.envelope(infno, data)
    done = his.send(body)
    assert done["infcode"] == 0, done["err_msg"]
    check(done["output"]["setlinfo"], SETLINFO, f"{infno}.setlinfo")
    assert done["output"]["setlinfo"]["medins_setl_id"] == body["msgid"]
    check(done["output"]["setldetail"], SETLDETAIL, f"{infno}.setldetail")
    output: dict[str, Any] = done["output"]
    return output, body["msgid"]


def test_the_outpatient_flow_answers_every_required_field(his: Callable[[str], HIS], session: Session) -> None:
    person = insured(session)
    add_certificate(session, psn_no=person.psn_no, kind="minimum_living", cert_no="DB-1",
                    valid_from=dt.date(2022, 1, 1), valid_to=None)
    session.commit()
    clinic = HIS(his(COMMUNITY).client, COMMUNITY)
    signed = clinic.send(clinic.envelope("9001", {"signIn": {"opter_no": "T1", "mac": "-", "ip": "-"}}),
                         headers={"apikey": "yibao-his-demo"})
    check(signed["output"]["signinoutb"], SIGNIN, "9001.signinoutb")
    info = clinic.ok("1101", {"data": {"mdtrt_cert_type": "02", "mdtrt_cert_no": person.certno}})
    check(info["baseinfo"], BASEINFO, "1101.baseinfo")
    check(info["insuinfo"], INSUINFO, "1101.insuinfo")
    check(info["idetinfo"], IDETINFO, "1101.idetinfo")
    mdtrt_id = clinic.register(person.psn_no, "2022-06-15")
    lines = clinic.fees("2204", person.psn_no, mdtrt_id, "2022-06-15", [
        ("001101000010000", "1", "12"), ("XC10AAA014A001010101234", "2", "35.5"), ("XQ00000001", "1", "9.99")])
    check(lines, FEE_RESULT, "2204.result")
    assert [line["pric_uplmt_amt"] for line in lines] == [Decimal("10"), Decimal("999999"), Decimal("999999")]
    assert [line["med_chrgitm_type"] for line in lines] == ["02", "09", "09"]
    settled, _ = settle_both(clinic, "2206", "2207", person.psn_no, mdtrt_id, Decimal("92.99"), "11")
    assert settled["setlinfo"]["psn_type"] == "1501" and settled["setlinfo"]["cvlserv_flag"] == "0"
    cancelled = clinic.ok("2208", {"data": {"setl_id": settled["setlinfo"]["setl_id"], "mdtrt_id": mdtrt_id,
                                            "psn_no": person.psn_no}})
    check(cancelled["setlinfo"], SETLINFO, "2208.setlinfo")
    cum = clinic.ok("5206", {"data": {"psn_no": person.psn_no, "cum_ym": "202206"}})
    check(cum["cuminfo"], CUMINFO, "5206.cuminfo")
    assert {row["cum_ym"] for row in cum["cuminfo"]} == {"202206"}


def test_the_inpatient_flow_answers_every_required_field(his: Callable[[str], HIS], session: Session) -> None:
    person = insured(session)
    hospital = his(FIRST)
    info = {"psn_no": person.psn_no, "insutype": "390", "begntime": "2022-03-01 10:00:00", "mdtrt_cert_type": "02",
            "mdtrt_cert_no": person.certno, "med_type": "21", "ipt_no": "ZY1", "atddr_no": "D1",
            "adm_dept_codg": "A03", "adm_dept_name": "内科", "dise_codg": "I10", "dise_name": "高血压"}
    admitted = hospital.ok("2401", {"mdtrtinfo": info})
    check(admitted["result"], VISIT, "2401.result")
    mdtrt_id = admitted["result"]["mdtrt_id"]
    lines = hospital.fees("2301", person.psn_no, mdtrt_id, "2022-03-02", [("001103000010000", "1", "45"),
                                                                         ("C14010000001", "2", "3")])
    check(lines, FEE_RESULT, "2301.result")
    assert [line["med_chrgitm_type"] for line in lines] == ["01", "08"]
    hospital.ok("2402", {"dscginfo": {"mdtrt_id": mdtrt_id, "psn_no": person.psn_no, "endtime": "2022-03-05 10:00:00",
                                      "dscg_way": "1"}})
    _, msgid = settle_both(hospital, "2303", "2304", person.psn_no, mdtrt_id, Decimal("51"), "21")
    reversed_ = hospital.ok("2601", {"data": {"psn_no": person.psn_no, "omsgid": msgid, "oinfno": "2304"}})
    check(reversed_["result"], {"omsgid": C, "rslt": C}, "2601.result")
