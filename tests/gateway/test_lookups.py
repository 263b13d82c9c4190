"""The information transactions (issue 18 item 5), on both databases: 1201 institutions, 1901 the dictionary,
1312/1318/1319 the catalogue paged by update time, 2001 the treatment check. Shapes as binzhe12123/Medical's
`JBXX/JG1201.cs`, `JBXX/Dic1901.cs`, `JBXX/ML1312.cs` (In1312 updt_time/page_num/page_size, Out1312),
`JBXX/ML1318.cs`, `JBXX/ML1319.cs`, `YBJS/RY2001.cs`."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal

from sqlalchemy.orm import Session

from tests.gateway.conftest import COMMUNITY, HUASHAN
from tests.gateway.his import HIS, error_code, insured
from yibao.institutions.service import add_catalogue_item
from yibao.kit.clock import now


def test_1201_lists_the_designated_institutions(his: Callable[[str], HIS]) -> None:
    clinic = his(COMMUNITY)
    pharmacies = clinic.ok("1201", {"medinsinfo": {"fixmedins_type": "2"}})["medinsinfo"]
    assert pharmacies and {p["fixmedins_type"] for p in pharmacies} == {"2"}
    one = clinic.ok("1201", {"medinsinfo": {"fixmedins_code": COMMUNITY}})["medinsinfo"]
    assert [(i["fixmedins_code"], i["hosp_lv"]) for i in one] == [(COMMUNITY, "11")]


def test_1901_answers_the_dictionary(his: Callable[[str], HIS]) -> None:
    clinic = his(COMMUNITY)
    rows = clinic.ok("1901", {"data": {"type": "MDTRT_CERT_TYPE"}})["list"]
    assert {(r["value"], r["label"]) for r in rows} == {("01", "医保电子凭证"), ("02", "居民身份证"),
                                                        ("03", "社会保障卡")}
    assert error_code(clinic.call("1901", {"data": {"type": "NO_SUCH"}})) == "gateway_input"


def test_1312_pages_the_catalogue_by_update_time(session: Session, his: Callable[[str], HIS]) -> None:
    clinic = his(COMMUNITY)
    first = clinic.ok("1312", {"data": {"updt_time": "2018-01-01 00:00:00", "page_num": 1, "page_size": 5}})
    assert first["pageNum"] == 1 and first["size"] == 5 and first["recordCounts"] >= 16 and first["firstPage"]
    row = first["data"][0]
    for name in ("hilist_code", "hilist_name", "insu_admdvs", "begndate", "med_chrgitm_type", "chrgitm_lv",
                 "lmt_used_flag", "list_type", "med_use_flag", "matn_used_flag", "hilist_use_type", "lmt_cpnd_type",
                 "vali_flag", "rid", "updt_time", "crte_time"):
        assert row[name] is not None, name
    moment = now() + dt.timedelta(seconds=1)
    add_catalogue_item(session, code="XB01AC06A001010101999", name="新增阿司匹林肠溶片", item_class="A",
                       category="drug")
    session.commit()
    since = (moment - dt.timedelta(seconds=2)).strftime("%Y-%m-%d %H:%M:%S")
    fresh = clinic.ok("1312", {"data": {"updt_time": since, "page_num": 1, "page_size": 100}})
    assert "XB01AC06A001010101999" in [r["hilist_code"] for r in fresh["data"]]
    assert error_code(clinic.call("1312", {"data": {"page_num": 1, "page_size": 5000}})) == "gateway_input"


def test_1318_and_1319_give_ceilings_and_first_self_pay_ratios(his: Callable[[str], HIS]) -> None:
    clinic = his(COMMUNITY)
    ceilings = clinic.ok("1318", {"data": {"hilist_code": "001101000010000", "page_num": 1, "page_size": 10}})
    assert [r["hilist_pric_uplmt_amt"] for r in ceilings["data"]] == [Decimal("10")]
    none = clinic.ok("1318", {"data": {"hilist_code": "XJ01CAA040A001010101445", "page_num": 1, "page_size": 10}})
    assert [r["hilist_pric_uplmt_amt"] for r in none["data"]] == [Decimal("999999")]
    ratios = clinic.ok("1319", {"data": {"hilist_code": "XC10AAA014A001010101234", "page_num": 1, "page_size": 10}})
    assert [r["selfpay_prop"] for r in ratios["data"]] == [Decimal("0.05")]


def test_2001_checks_the_treatment_before_the_visit(session: Session, his: Callable[[str], HIS]) -> None:
    person = insured(session)
    clinic = his(COMMUNITY)
    ok = clinic.ok("2001", {"data": {"psn_no": person.psn_no, "insutype": "390", "med_type": "11",
                                     "begntime": "2022-06-15 08:00:00"}})["trtinfo"]
    assert [(r["trt_enjymnt_flag"], r["fund_pay_type"]) for r in ok] == [("1", "390100")]
    later = clinic.ok("2001", {"data": {"psn_no": person.psn_no, "med_type": "11",
                                        "begntime": "2023-06-15 08:00:00"}})["trtinfo"]
    assert later[0]["trt_enjymnt_flag"] == "0" and "not_insured" in later[0]["trt_chk_rslt"]
    elsewhere = his(HUASHAN).ok("2001", {"data": {"psn_no": person.psn_no, "med_type": "11",
                                                  "begntime": "2022-06-15 08:00:00"}})["trtinfo"]
    assert elsewhere[0]["trt_enjymnt_flag"] == "0" and "备案" in elsewhere[0]["trt_chk_rslt"]
