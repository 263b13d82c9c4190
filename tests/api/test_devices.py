"""Settlement terminals over the REST door on both databases (audit rule ND03): an administrator registers an
institution's terminals, lists and retires them; a terminal already another institution's, an unknown institution
or an empty number is refused with its code and a Chinese message and changes nothing; clerks may not register."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.dbfixtures import sign_in
from yibao.demo import ensure_demo_institutions
from yibao.institutions.models import Device

HOSPITAL, COMMUNITY = "H33021300001", "H33021300004"


def test_register_list_and_retire_terminals(client: TestClient, session: Session) -> None:
    ensure_demo_institutions(session)
    session.commit()
    admin = sign_in(client, session, "admin")
    made = client.post(f"/api/institutions/{HOSPITAL}/devices", headers=admin,
                       json={"dev_no": "RM-MZ-01", "name": "门诊收费处1号窗口"})
    assert made.status_code == 201 and made.json()["status"] == "active", made.text
    taken = client.post(f"/api/institutions/{COMMUNITY}/devices", headers=admin,
                        json={"dev_no": "RM-MZ-01", "name": "借用"})
    assert taken.status_code == 409 and taken.json()["code"] == "device_taken"
    assert f"已登记在 {HOSPITAL}" in taken.json()["message"]
    unknown = client.post("/api/institutions/H99999999999/devices", headers=admin, json={"dev_no": "X", "name": "x"})
    assert unknown.status_code == 404 and unknown.json()["code"] == "institution_not_found"
    blank = client.post(f"/api/institutions/{HOSPITAL}/devices", headers=admin, json={"dev_no": "  ", "name": "x"})
    assert blank.status_code == 422 and blank.json()["field"] == "dev_no"
    clerk = sign_in(client, session, "clerk")
    assert client.post(f"/api/institutions/{HOSPITAL}/devices", headers=clerk,
                       json={"dev_no": "C-1", "name": "x"}).status_code == 403
    assert session.scalar(select(func.count()).select_from(Device)) == 1

    listed = client.get(f"/api/institutions/{HOSPITAL}/devices", headers=clerk)
    assert [row["dev_no"] for row in listed.json()] == ["RM-MZ-01"]
    retired = client.post(f"/api/institutions/{HOSPITAL}/devices/RM-MZ-01/retire", headers=admin)
    assert retired.status_code == 200 and retired.json()["status"] == "retired" and retired.json()["retired_at"]
    again = client.post(f"/api/institutions/{HOSPITAL}/devices/RM-MZ-01/retire", headers=admin)
    assert again.status_code == 404 and again.json()["code"] == "device_not_found"
    moved = client.post(f"/api/institutions/{COMMUNITY}/devices", headers=admin,
                        json={"dev_no": "RM-MZ-01", "name": "调拨到社区"})
    assert moved.status_code == 201 and moved.json()["fixmedins_code"] == COMMUNITY
