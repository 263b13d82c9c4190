"""The national lists at the staff API (issue 18 item 5), on both databases: an administrator imports the
platform's file (multipart), a bad row is named and writes nothing, the overview counts each list."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.dbfixtures import sign_in
from yibao.institutions import national_lists

PATH = "/api/institutions/national-lists/"


def _line(code: str, name: str) -> str:
    return national_lists.file_line(national_lists.LISTS["tcm_disease"], {
        "dise_type_code": code, "dise_type_name": name, "vali_flag": "1", "rid": code,
        "updt_time": "2023-05-01 08:00:00", "ver": "V1"})


def test_an_administrator_imports_a_list_and_a_bad_row_is_named(client: TestClient, session: Session) -> None:
    admin = sign_in(client, session, "admin")
    viewer = sign_in(client, session, "readonly")
    content = (_line("A01.01.01.", "感冒") + "\n" + _line("A01.01.02.", "咳嗽") + "\n").encode()
    refused = client.post(f"{PATH}tcm_disease", headers=admin,
                          files={"file": ("1314.txt", content + b"A01.01.03.\n", "text/plain")})
    assert refused.status_code == 400 and refused.json()["code"] == "bad_list_row"
    assert "第 3 行" in refused.json()["message"]
    assert client.post(f"{PATH}tcm_disease", headers=viewer,
                       files={"file": ("1314.txt", content, "text/plain")}).status_code == 403
    done = client.post(f"{PATH}tcm_disease", headers=admin, files={"file": ("1314.txt", content, "text/plain")})
    assert done.status_code == 200, done.text
    assert done.json() == {"title": "中医疾病目录", "rows": 2, "added": 2, "changed": 0, "unchanged": 0}
    overview = {row["key"]: row for row in client.get(PATH, headers=viewer).json()}
    assert overview["tcm_disease"]["rows"] == 2 and overview["tcm_disease"]["infno"] == "1314"
    assert set(overview) == set(national_lists.LISTS)
    unknown = client.post(f"{PATH}icd11", headers=admin, files={"file": ("x.txt", content, "text/plain")})
    assert unknown.status_code == 400 and unknown.json()["code"] == "unknown_national_list"
