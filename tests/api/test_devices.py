"""What the audit rules ND03 and MM04 need, over the REST door on both databases: an administrator registers an
institution's settlement terminals, lists and retires them (a terminal already another institution's, an unknown
institution or an empty number is refused with its code and a Chinese message and changes nothing; clerks may
not register); a person's death is registered with its source, never in the future."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.dbfixtures import sign_in
from tests.gateway.his import insured
from yibao.demo import ensure_demo_institutions
from yibao.institutions.models import Device
from yibao.people.models import Person

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


def test_a_death_is_registered_with_its_source_and_checked(client: TestClient, session: Session) -> None:
    person = insured(session)
    session.commit()
    admin = sign_in(client, session, "admin")
    future = client.put(f"/api/persons/{person.psn_no}/death", headers=admin,
                        json={"died_on": "2098-01-01", "source": "家属申报"})
    assert future.status_code == 400 and future.json()["field"] == "died_on" and "晚于今天" in future.json()["message"]
    nameless = client.put(f"/api/persons/{person.psn_no}/death", headers=admin, json={"died_on": "2022-06-01"})
    assert nameless.status_code == 422 and nameless.json()["field"] == "source"
    session.expire_all()
    assert session.get(Person, person.psn_no).death_date is None  # type: ignore[union-attr]
    done = client.put(f"/api/persons/{person.psn_no}/death", headers=admin,
                      json={"died_on": "2022-06-01", "source": "民政殡葬信息"})
    assert done.status_code == 200 and done.json()["death_date"] == "2022-06-01", done.text
    clerk = sign_in(client, session, "readonly")
    assert client.put(f"/api/persons/{person.psn_no}/death", headers=clerk,
                      json={"died_on": "2022-06-01", "source": "x"}).status_code == 403
