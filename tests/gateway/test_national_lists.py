"""The national lists beside the catalogue and the institutions' item matching (issue 18 item 5), on both
databases: the downloads 1303, 1307–1311, 1313–1315 (9102 fetches each file, every row in its list's layout), the
paged query 1304, the matching 3301 / 3302 / 1316 / 1317, and the fee upload refusing a matched item billed under
another code.

Shapes as public HIS client code sends them: binzhe12123/Medical `JBXX/ML1301.cs` (In1301 {ver} → Out1301
{file_qury_no, filename, dld_end_time, data_cnt}), `JBXX/YP1304.cs` (In1304 med_list_codg, genname_codg,
drug_genname, drug_prodname, vali_flag, updt_time, page_num, page_size; Out1304), `JBXX/ML1316.cs` (In1316 /
Out1316); CQYiBaoInterface `Input_3301` (data {fixmedins_hilist_id, fixmedins_hilist_name, list_type,
med_list_codg, begndate, enddate, aprvno, dosform, exct_cont, item_cont, prcunt, spec, pacspec, memo}) and
NeiMengGuYiBaoApp `Input_3302` (data {fixmedins_code, fixmedins_hilist_id, list_type, med_list_codg}); the list
layouts as the Newtouch HIS stores the downloads (`G_yb_diag_list_b`: DIAG_LIST_ID, CPR, CPR_CODE_SCP, …)."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.gateway.conftest import COMMUNITY, PEOPLES
from tests.gateway.his import HIS, error_code, insured
from tests.gateway.test_files import fetch
from yibao.institutions import national_lists
from yibao.institutions.errors import BadListFile, BadListRow, UnknownNationalList
from yibao.institutions.models import ItemMatch, NationalListEntry
from yibao.settlement.models import FeeDetail

DRUG = "XC10AAA014A001010101234"  # a catalogue drug of the demo
OTHER_DRUG = "ZB01AAA001"  # 复方丹参滴丸
SERVICE = "001101000010000"  # 普通门诊诊查费
DOWNLOADS = [lst for lst in national_lists.LISTS.values() if not lst.paged_query]


def _file(key: str, *rows: dict[str, str], when: str = "2023-05-01 08:00:00") -> bytes:
    lst = national_lists.LISTS[key]
    return "\n".join(national_lists.file_line(lst, {"vali_flag": "1", "rid": f"R{n}", "updt_time": when, "ver": "V1",
                                                    **row}) for n, row in enumerate(rows)).encode()


def _entries(session: Session, key: str) -> int:
    return int(session.scalar(select(func.count()).select_from(NationalListEntry)
                              .where(NationalListEntry.list_key == key)) or 0)


# ---------------------------------------------------------------------------------------------------
# Downloads


@pytest.mark.parametrize("lst", DOWNLOADS, ids=lambda lst: lst.infno)
def test_every_list_downloads_in_its_layout(session: Session, his: Callable[[str], HIS],
                                            lst: national_lists.NationalList) -> None:
    clinic = his(COMMUNITY)
    national_lists.import_list(session, lst.key, _file(lst.key, {lst.code_field: "ZZ.001", lst.name_field: "测试行"}))
    session.commit()
    out = clinic.ok(lst.infno, {"data": {"ver": "0"}})
    assert set(out) >= {"file_qury_no", "filename", "dld_end_time", "data_cnt"}
    rows = fetch(clinic, out["file_qury_no"], out["filename"])
    assert len(rows) == out["data_cnt"] >= 1
    assert all(len(row) == len(lst.columns) for row in rows)  # the layout's fields, in its order
    mine = next(dict(zip(lst.columns, row, strict=True)) for row in rows if row[lst.columns.index(lst.code_field)]
                == "ZZ.001")
    assert mine[lst.name_field] == "测试行" and mine["vali_flag"] == "1" and mine["updt_time"] == "2023-05-01 08:00:00"
    assert clinic.ok(lst.infno, {"data": {"ver": "20230501080000"}})["data_cnt"] == len(
        [r for r in rows if r[lst.columns.index("updt_time")] > "2023-05-01 08:00:00"])


def test_the_demo_lists_are_the_national_codes(his: Callable[[str], HIS]) -> None:
    clinic = his(COMMUNITY)
    lst = national_lists.LISTS["special_disease"]
    out = clinic.ok("1309", {"data": {"ver": "0"}})
    rows = {r[0]: dict(zip(lst.columns, r, strict=True)) for r in fetch(clinic, out["file_qury_no"], out["filename"])}
    assert rows["M03900"]["opsp_dise_name"] == "高血压病"
    assert rows["M07803"]["opsp_dise_majcls_name"] == "慢性肾功能不全"
    diagnoses = clinic.ok("1307", {"data": {"ver": "0"}})
    codes = {r[10] for r in fetch(clinic, diagnoses["file_qury_no"], diagnoses["filename"])}  # diag_code
    assert {"J18.900", "I10.x00", "E11.900"} <= codes


def test_a_bad_version_is_a_field_error(his: Callable[[str], HIS]) -> None:
    clinic = his(COMMUNITY)
    for ver in ("abc", "2023-05-01", "20231399000000", "123"):
        answer = clinic.call("1307", {"data": {"ver": ver}})
        assert error_code(answer) == "gateway_input" and "ver 应为本地最大版本号" in answer["err_msg"], ver


# ---------------------------------------------------------------------------------------------------
# Import (the centre's side)


def test_an_import_is_whole_or_nothing_and_names_the_bad_row(session: Session) -> None:
    before = _entries(session, "diagnosis")
    good = {"diag_code": "A00.000", "diag_name": "霍乱"}
    bad_rows: list[tuple[bytes, str]] = [
        (_file("diagnosis", good, {"diag_code": "", "diag_name": "无编码"}), "第 2 行"),
        (_file("diagnosis", good, good, {"diag_code": "A01.000", "diag_name": "伤寒", "vali_flag": "2"}), "第 3 行"),
        (_file("diagnosis", good) + b"\n" + b"A02\tonly two", "第 2 行"),
        (_file("diagnosis", {**good, "updt_time": "2023-13-01 00:00:00"}), "第 1 行"),
    ]
    for content, where in bad_rows:
        with pytest.raises(BadListRow) as refused:
            national_lists.import_list(session, "diagnosis", content)
        assert where in refused.value.message and refused.value.code == "bad_list_row"
        assert _entries(session, "diagnosis") == before  # nothing of the file was written
    with pytest.raises(BadListFile):
        national_lists.import_list(session, "diagnosis", b"PK\x03\x04 not a zip")
    with pytest.raises(BadListFile):
        national_lists.import_list(session, "diagnosis", b"\n\n")
    with pytest.raises(UnknownNationalList):
        national_lists.import_list(session, "icd11", _file("diagnosis", good))


def test_an_import_again_changes_nothing_and_a_newer_row_replaces(session: Session) -> None:
    lst = national_lists.LISTS["operation"]
    header = "\t".join(lst.columns)
    text = header + "\n" + _file("operation", {"oprn_oprt_code": "00.0100", "oprn_oprt_name": "头颈部血管治疗性超声",
                                               "cgy_code": "00"}).decode()
    first = national_lists.import_list(session, "1308", text.encode("gb18030"))  # GBK, a header line, by infno
    assert (first.added, first.changed, first.unchanged) == (1, 0, 0)
    again = national_lists.import_list(session, "operation", text.encode("gb18030"))
    assert (again.added, again.changed, again.unchanged) == (0, 0, 1)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:  # the platform's zip, UTF-8 with BOM
        archive.writestr("1308.txt", "\ufeff" + _file("operation", {
            "oprn_oprt_code": "00.0100", "oprn_oprt_name": "头颈部血管治疗性超声（新）", "vali_flag": "0"},
            when="2024-01-01 00:00:00").decode())
    newer = national_lists.import_list(session, "operation", buffer.getvalue())
    assert (newer.added, newer.changed) == (0, 1)
    entry = national_lists.find_entry(session, "operation", "00.0100")
    assert entry is not None and entry.name.endswith("（新）") and entry.vali_flag == "0"
    assert national_lists.row_of(lst, entry)["cgy_code"] is None  # the newer row has no 类目: it replaces whole


# ---------------------------------------------------------------------------------------------------
# 1304 民族药品目录查询


def test_1304_pages_the_ethnic_drugs(session: Session, his: Callable[[str], HIS]) -> None:
    national_lists.import_list(session, "ethdrug", _file("ethdrug", *(
        {"med_list_codg": f"ZM{n:03d}", "drug_genname": name, "genname_codg": f"G{n}", "ethdrug_type": "1",
         "drug_prodname": f"{name}胶囊"} for n, name in enumerate(("仁青芒觉", "二十五味珍珠", "仁青常觉")))))
    session.commit()
    clinic = his(COMMUNITY)
    page = clinic.ok("1304", {"data": {"updt_time": "2018-01-01 00:00:00", "page_num": 2, "page_size": 2}})
    assert (page["recordCounts"], page["pages"], page["size"], page["lastPage"]) == (3, 2, 1, True)
    row = page["data"][0]
    assert set(row) >= {"med_list_codg", "drug_genname", "ethdrug_type", "vali_flag", "rid", "updt_time"}
    found = clinic.ok("1304", {"data": {"drug_genname": "仁青", "page_num": 1, "page_size": 10}})
    assert {r["drug_genname"] for r in found["data"]} == {"仁青芒觉", "仁青常觉"}
    one = clinic.ok("1304", {"data": {"genname_codg": "G1", "page_num": 1, "page_size": 10}})["data"]
    assert [r["med_list_codg"] for r in one] == ["ZM001"]
    assert clinic.call("1304", {"data": {"page_num": 0, "page_size": 10}})["infcode"] == -1


# ---------------------------------------------------------------------------------------------------
# 3301 / 3302 / 1317 目录对照, and the fee upload


def _match(item: str, code: str, list_type: str = "101", **more: str) -> dict[str, Any]:
    return {"data": {"fixmedins_hilist_id": item, "fixmedins_hilist_name": f"院内{item}", "list_type": list_type,
                     "med_list_codg": code, "begndate": "2022-01-01", "enddate": None, "aprvno": "国药准字Z10950111",
                     "dosform": "片剂", "exct_cont": None, "item_cont": None, "prcunt": "盒", "spec": "0.25g*24",
                     "pacspec": None, "memo": None, **more}}


def _lines(session: Session, mdtrt_id: str) -> int:
    return int(session.scalar(select(func.count()).select_from(FeeDetail).where(FeeDetail.mdtrt_id == mdtrt_id))
               or 0)


def test_matching_uploaded_queried_withdrawn_and_enforced_at_fee_upload(session: Session,
                                                                        his: Callable[[str], HIS]) -> None:
    clinic, hospital = his(COMMUNITY), his(PEOPLES)
    clinic.ok("3301", _match("HIS-001", DRUG))
    clinic.ok("3301", _match("HIS-001", DRUG, spec="0.25g*36"))  # the same match again: its details updated
    clinic.ok("3301", {"data": [_match("HIS-S1", SERVICE, "201")["data"]]})  # the spec's list, too
    refusals = {
        "item_already_matched": _match("HIS-001", OTHER_DRUG),
        "match_code_unknown": _match("HIS-002", "NO-SUCH-CODE"),
        "unknown_list_type": _match("HIS-003", DRUG, "999"),
    }
    for code, body in refusals.items():
        assert error_code(clinic.call("3301", body)) == code
    assert error_code(clinic.call("3301", _match("HIS-004", SERVICE, "101"))) == "match_code_unknown"  # wrong list
    assert clinic.call("3301", _match("HIS-005", DRUG, begndate="2022-02-30"))["infcode"] == -1

    page = clinic.ok("1317", {"data": {"page_num": 1, "page_size": 10, "updt_time": "2018-01-01 00:00:00"}})
    assert page["recordCounts"] == 2
    mine = {r["medins_list_codg"]: r for r in page["data"]}
    assert mine["HIS-001"]["med_list_codg"] == DRUG and mine["HIS-001"]["spec"] == "0.25g*36"
    assert mine["HIS-001"]["vali_flag"] == "1" and mine["HIS-S1"]["list_type"] == "201"
    assert hospital.ok("1317", {"data": {"page_num": 1, "page_size": 10}})["recordCounts"] == 0  # its own only
    assert hospital.call("1317", {"data": {"fixmedins_code": COMMUNITY, "page_num": 1, "page_size": 10}})[
        "infcode"] == -1

    person = insured(session)
    mdtrt_id = clinic.register(person.psn_no, "2022-03-01")

    serials = iter(range(1000))

    def upload(own: str, code: str) -> dict[str, Any]:
        line = {"feedetl_sn": f"F-{own}-{next(serials)}", "mdtrt_id": mdtrt_id, "psn_no": person.psn_no,
                "chrg_bchno": "B1", "fee_ocur_time": "2022-03-01 09:00:00", "med_list_codg": code,
                "medins_list_codg": own, "cnt": "1", "pric": "10", "det_item_fee_sumamt": "10.00", "bilg_dr_codg": "D1",
                "bilg_dr_name": "王医生"}
        return clinic.call("2204", {"feedetail": [line]})

    assert error_code(upload("HIS-001", OTHER_DRUG)) == "item_match_mismatch"  # 串换: a matched item, another code
    assert _lines(session, mdtrt_id) == 0
    answer = upload("HIS-001", DRUG)
    assert answer["infcode"] == 0, answer["err_msg"]
    assert upload("HIS-UNMATCHED", OTHER_DRUG)["infcode"] == 0  # an item not matched is taken (ASSUMPTION)

    withdraw = {"data": {"fixmedins_code": COMMUNITY, "fixmedins_hilist_id": "HIS-001", "list_type": "101",
                         "med_list_codg": OTHER_DRUG}}
    assert error_code(clinic.call("3302", withdraw)) == "item_match_not_found"  # not the code it is matched to
    assert hospital.call("3302", {"data": {**withdraw["data"], "med_list_codg": DRUG}})["infcode"] == -1
    clinic.ok("3302", {"data": {**withdraw["data"], "med_list_codg": DRUG}})
    gone = clinic.ok("1317", {"data": {"medins_list_codg": "HIS-001", "page_num": 1, "page_size": 10}})["data"]
    assert [(r["vali_flag"], r["med_list_codg"]) for r in gone] == [("0", DRUG)]  # kept, withdrawn
    clinic.ok("3301", _match("HIS-001", OTHER_DRUG))  # now it may be matched again
    assert upload("HIS-001", DRUG)["infcode"] == -1 and upload("HIS-001", OTHER_DRUG)["infcode"] == 0
    assert session.scalar(select(func.count()).select_from(ItemMatch).where(
        ItemMatch.fixmedins_code == COMMUNITY, ItemMatch.medins_list_codg == "HIS-001")) == 2


def test_1316_matches_each_catalogue_code_to_itself(his: Callable[[str], HIS]) -> None:
    clinic = his(COMMUNITY)
    services = clinic.ok("1316", {"data": {"list_type": "201", "page_num": 1, "page_size": 100}})
    assert services["recordCounts"] >= 5
    assert {(r["list_type"], r["med_list_codg"] == r["hilist_code"]) for r in services["data"]} == {("201", True)}
    one = clinic.ok("1316", {"data": {"hilist_code": DRUG, "page_num": 1, "page_size": 10}})["data"]
    assert [(r["med_list_codg"], r["list_type"], r["vali_flag"]) for r in one] == [(DRUG, "101", "1")]
    assert clinic.ok("1316", {"data": {"list_type": "103", "page_num": 1, "page_size": 10}})["recordCounts"] == 0


def test_the_dictionary_has_the_list_types(his: Callable[[str], HIS]) -> None:
    rows = his(COMMUNITY).ok("1901", {"data": {"type": "LIST_TYPE"}})["list"]
    assert {r["value"] for r in rows} == {"101", "102", "103", "104", "201", "301"}


def test_fee_upload_without_own_codes_is_unchanged(session: Session, his: Callable[[str], HIS]) -> None:
    """The HIS of the other tests sends its own code equal to the national one; nothing is matched: taken."""
    clinic = his(COMMUNITY)
    person = insured(session)
    mdtrt_id = clinic.register(person.psn_no, "2022-03-02")
    assert clinic.fees("2204", person.psn_no, mdtrt_id, "2022-03-02", [(DRUG, "2", "12.5")])
    assert Decimal("25.00") == session.scalar(select(func.sum(FeeDetail.det_item_fee_sumamt)).where(
        FeeDetail.mdtrt_id == mdtrt_id))
