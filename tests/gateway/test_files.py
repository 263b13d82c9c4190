"""The interface's file transfer (issue 18 item 5), on both databases: a catalogue download (1301/1305) fetched
with 9102, an upload (9101) of the day's settlement details reconciled by 3202 with its result file. Shapes as
binzhe12123/Medical's `Up9101.cs` (fsUploadIn {in, filename, fixmedins_code}), `Down9102.cs` (fsDownloadIn
{file_qury_no, filename, fixmedins_code}), `JBXX/ML1301.cs` and `YYJGFW/JGDZ3202.cs`."""

from __future__ import annotations

import base64
import io
import zipfile
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import simplejson
from sqlalchemy.orm import Session

from tests.gateway.conftest import COMMUNITY, PEOPLES
from tests.gateway.his import HIS, error_code, insured

DOWNLOAD = "/fsi/api/fileupload/download"


def fetch(his: HIS, file_qury_no: str, filename: str) -> list[list[str]]:
    body = his.envelope("9102", {"fsDownloadIn": {"file_qury_no": file_qury_no, "filename": filename,
                                                  "fixmedins_code": his.code}})
    answer = his.client.post(DOWNLOAD, content=simplejson.dumps(body), headers={"content-type": "application/json"})
    assert answer.status_code == 200 and answer.headers["content-type"] == "application/octet-stream", answer.text
    with zipfile.ZipFile(io.BytesIO(answer.content)) as archive:
        text = archive.read(archive.namelist()[0]).decode()
    return [line.split("\t") for line in text.splitlines()]


def test_catalogue_downloads_by_version(his: Callable[[str], HIS]) -> None:
    clinic = his(COMMUNITY)
    drugs = clinic.ok("1301", {"data": {"ver": "0"}})
    assert drugs["data_cnt"] >= 5 and drugs["filename"].endswith(".zip") and drugs["dld_end_time"]
    rows = fetch(clinic, drugs["file_qury_no"], drugs["filename"])
    by_code = {r[0]: r for r in rows}
    assert by_code["XC10AAA014A001010101234"][2:7] == ["02", "09", "101", "999999", "0.0500"]
    newest = max(r[7] for r in rows)
    assert clinic.ok("1301", {"data": {"ver": newest}})["data_cnt"] == 0  # nothing newer than what it holds
    services = fetch(clinic, *(lambda o: (o["file_qury_no"], o["filename"]))(clinic.ok("1305", {"data": {"ver": "0"}})))
    assert {"001101000010000", "003315000010000"} <= {r[0] for r in services}
    other = his(PEOPLES)  # a file is its institution's
    body = other.envelope("9102", {"fsDownloadIn": {"file_qury_no": drugs["file_qury_no"], "filename": "x",
                                                    "fixmedins_code": other.code}})
    refused = other.client.post(DOWNLOAD, content=simplejson.dumps(body), headers={"content-type": "application/json"})
    assert refused.json()["infcode"] == -1 and "不属于本机构" in refused.json()["err_msg"]


def _zip(rows: list[list[str]]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("detail.txt", "\n".join("\t".join(r) for r in rows))
    return buffer.getvalue()


def test_detail_reconciliation_lists_each_difference(session: Session, his: Callable[[str], HIS]) -> None:
    person = insured(session)
    clinic = his(COMMUNITY)
    settled: list[dict[str, Any]] = []
    for _ in range(2):
        mdtrt_id = clinic.register(person.psn_no, "2022-06-15")
        clinic.fees("2204", person.psn_no, mdtrt_id, "2022-06-15", [("XJ01CAA040A001010101445", "1", "10")])
        settled.append(clinic.ok("2207", clinic.settle_data(person.psn_no, mdtrt_id, Decimal("10"), "11"))["setlinfo"])
    day = settled[0]["setl_time"][:10]
    first, second = settled
    detail = [[first["setl_id"], first["mdtrt_id"], person.psn_no, "10.00", str(first["fund_pay_sumamt"]), "0", "0"],
              [second["setl_id"], second["mdtrt_id"], person.psn_no, "12.00", str(second["fund_pay_sumamt"]), "0",
               "0"],
              ["NOSUCH", "M", person.psn_no, "5.00", "1.00", "0", "0"]]
    uploaded = clinic.ok("9101", {"fsUploadIn": {"in": base64.b64encode(_zip(detail)).decode(),
                                                 "filename": "detail.zip", "fixmedins_code": COMMUNITY}})
    answer = clinic.ok("3202", {"data": {"file_qury_no": uploaded["file_qury_no"], "stmt_begndate": day,
                                         "stmt_enddate": day, "setl_optins": "330213", "clr_type": "11",
                                         "medfee_sumamt": "27.00", "fund_pay_sumamt": "0", "cash_payamt": "0",
                                         "fixmedins_setl_cnt": 3, "refd_setl_flag": "0"}})
    assert answer["stmtinfo"]["stmt_rslt"] == "1"
    rows = fetch(clinic, answer["fileinfo"]["file_qury_no"], answer["fileinfo"]["filename"])
    assert sorted((r[0], r[1]) for r in rows) == sorted([(second["setl_id"], "医疗费总额"), ("NOSUCH", "医保无此结算")])
    bad = clinic.call("9101", {"fsUploadIn": {"in": "not base64!", "filename": "x.zip", "fixmedins_code": COMMUNITY}})
    assert error_code(bad) == "gateway_input"
    broken = clinic.ok("9101", {"fsUploadIn": {"in": list(b"plain text"), "filename": "x.zip",
                                               "fixmedins_code": COMMUNITY}})
    refused = clinic.call("3202", {"data": {"file_qury_no": broken["file_qury_no"], "stmt_begndate": day,
                                            "stmt_enddate": day}})
    assert error_code(refused) == "gateway_input" and "zip" in str(refused["err_msg"])


def test_2501_files_a_referral_that_opens_care_elsewhere_and_2601_undoes_it(session: Session,
                                                                             his: Callable[[str], HIS]) -> None:
    from tests.gateway.conftest import HUASHAN

    person = insured(session)
    refused = his(HUASHAN).call("2201", {"data": {"psn_no": person.psn_no, "insutype": "390",
                                                  "begntime": "2022-06-20 08:00:00", "mdtrt_cert_type": "02",
                                                  "mdtrt_cert_no": person.certno}})
    assert refused["infcode"] == -1  # no filing for Shanghai yet
    hospital = his(PEOPLES)
    body = hospital.envelope("2501", {"refmedin": {"psn_no": person.psn_no, "insutype": "390", "diag_code": "C34.9",
                                                  "diag_name": "肺恶性肿瘤", "reflin_medins_no": HUASHAN,
                                                  "reflin_medins_name": "华山医院", "refl_type": "1",
                                                  "refl_date": "2022-06-18", "refl_rea": "本院无条件诊治",
                                                  "begndate": "2022-06-18", "enddate": "2022-12-31"}})
    filed = hospital.send(body)
    assert filed["infcode"] == 0 and filed["output"]["result"]["trt_dcla_detl_sn"], filed["err_msg"]
    accepted = his(HUASHAN).call("2201", {"data": {"psn_no": person.psn_no, "insutype": "390",
                                                   "begntime": "2022-06-20 08:00:00", "mdtrt_cert_type": "02",
                                                   "mdtrt_cert_no": person.certno}})
    assert accepted["infcode"] == 0, accepted["err_msg"]
    undone = hospital.ok("2601", {"data": {"psn_no": person.psn_no, "omsgid": body["msgid"], "oinfno": "2501"}})
    assert undone["result"]["rslt"] == "冲正成功"
