"""Issue 19 items 1–2 over the REST door on both databases: a NUL or a string longer than its column is a field
error (never a 500 — PostgreSQL refuses both with a DataError), dates only as written and plausible, codes not
empty, a filing only at a registered institution; ID, phone and card numbers masked for read-only staff."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.dbfixtures import sign_in
from tests.gateway.his import insured
from yibao.demo import ensure_demo_institutions
from yibao.filings.models import SpecialDiseaseFiling
from yibao.institutions.models import CatalogueItem, Doctor
from yibao.kit.idcard import make_id_number
from yibao.people.models import Person
from yibao.people.service import register_person

HOSPITAL = "H33021300001"


def person_body(**changes: Any) -> dict[str, Any]:
    body = {"certno": make_id_number("330283", dt.date(1980, 5, 6), 77, "1"), "name": "邬硬化", "local": True,
            "town": "yuelin"}
    return {**body, **changes}


def bodies(psn_no: str) -> list[tuple[str, str, dict[str, Any], str]]:
    """(method, path, body, the field with the text under test) for the REST doors that store text."""
    return [
        ("POST", "/api/persons", person_body(), "name"),
        ("POST", f"/api/persons/{psn_no}/certificates", {"kind": "minimum_living", "cert_no": "D1",
                                                          "valid_from": "2022-01-01"}, "cert_no"),
        ("POST", f"/api/institutions/{HOSPITAL}/doctors", {"dr_code": "D330213999", "name": "医生"}, "name"),
        ("POST", "/api/institutions/catalogue", {"code": "X001", "name": "某药", "item_class": "A"}, "name"),
        ("POST", "/api/filings/special-disease", {"psn_no": psn_no, "disease_code": "M03900",
                                                  "disease_name": "高血压病", "fixmedins_code": HOSPITAL,
                                                  "begndate": "2022-01-01"},
         "disease_name"),
        ("POST", "/api/filings/cross-region", {"psn_no": psn_no, "reason": "long_term_residence", "place": "上海",
                                               "begndate": "2022-01-01"}, "place"),
        ("POST", "/api/settlements/manual", {"psn_no": psn_no, "benefit": "inpatient", "service_date": "2022-05-20",
                                             "level": "tertiary_a", "region": "ningbo", "place": "奉化区人民医院",
                                             "lines": [{"amount": "100.00", "class": "A"}]}, "place"),
        ("POST", "/api/auth/staff", {"username": "u-new", "display_name": "新人", "role": "clerk",
                                     "password": "long-enough-1"}, "display_name"),
    ]


@pytest.fixture
def admin(client: TestClient, session: Session) -> dict[str, str]:
    ensure_demo_institutions(session)
    session.commit()
    return sign_in(client, session, "admin")


def rows(session: Session) -> tuple[int, ...]:
    session.expire_all()
    return tuple(session.scalar(select(func.count()).select_from(model)) or 0
                 for model in (Person, Doctor, CatalogueItem, SpecialDiseaseFiling))


def test_a_nul_in_any_text_is_a_field_error_and_writes_nothing(client: TestClient, session: Session,
                                                              admin: dict[str, str]) -> None:
    person = insured(session)
    before = rows(session)
    for method, path, body, field in bodies(person.psn_no):
        answer = client.request(method, path, headers=admin, json={**body, field: "坏\x00字"})
        assert answer.status_code == 422, (path, answer.text)
        assert answer.json()["field"] == field and "控制字符" in answer.json()["message"], path
    nested = bodies(person.psn_no)[-2][2]
    answer = client.post("/api/settlements/manual", headers=admin,
                         json={**nested, "lines": [{"amount": "1.00", "class": "A\x00"}]})
    assert answer.status_code == 422 and "控制字符" in answer.text
    assert rows(session) == before


def test_text_longer_than_its_column_is_a_field_error(client: TestClient, session: Session,
                                                      admin: dict[str, str]) -> None:
    person = insured(session)
    before = rows(session)
    for method, path, body, field in bodies(person.psn_no):
        answer = client.request(method, path, headers=admin, json={**body, field: "长" * 501})
        assert answer.status_code in (400, 422), (path, answer.status_code, answer.text)
        assert answer.json()["field"] == field and "个字符" in answer.json()["message"], (path, answer.text)
    household = client.post("/api/persons", headers=admin, json=person_body(household_no="9" * 31))
    assert household.status_code == 400 and household.json()["field"] == "household_no"
    assert "不能超过 30 个字符" in household.json()["message"]
    assert rows(session) == before


def test_the_net_under_every_door_is_the_column_itself(session: Session) -> None:
    """A service called from anywhere (the CLI, a page) cannot store text its column cannot hold."""
    from yibao.kit.text import TextRefused

    with pytest.raises(TextRefused, match="household_no：不能超过 30 个字符"):
        register_person(session, certno=make_id_number("330283", dt.date(1981, 1, 1), 5, "1"), name="邬",
                        local=True, town="yuelin", household_no="1" * 31)
    session.rollback()


@pytest.mark.parametrize("query", ["/api/persons?q=%00", "/api/persons/%00x", "/console/people?q=a%01b"])
def test_a_control_character_in_the_url_is_refused_before_any_route(client: TestClient, admin: dict[str, str],
                                                                   query: str) -> None:
    answer = client.get(query, headers=admin)
    assert answer.status_code == 400 and answer.json()["code"] == "invalid_text"
    assert "控制字符" in answer.json()["message"]


def test_dates_only_as_written_and_plausible(client: TestClient, session: Session, admin: dict[str, str]) -> None:
    for day in (0, 1700000000, {"day": 1}, "9999-12-31", "0001-01-01"):
        answer = client.post("/api/contributions/reconciliations", headers=admin, json={"day": day, "statements": []})
        assert answer.status_code == 422 and answer.json()["field"] == "day", (day, answer.text)
    person = insured(session)
    cert = client.post(f"/api/persons/{person.psn_no}/certificates", headers=admin,
                       json={"kind": "minimum_living", "cert_no": "D2", "valid_from": "2022-01-01",
                             "valid_to": "9999-12-31"})
    assert cert.status_code == 422 and cert.json()["field"] == "valid_to"


def test_a_payment_dated_9999_is_refused(client: TestClient, session: Session, admin: dict[str, str]) -> None:
    answer = client.post("/api/contributions/payments", headers=admin,
                         json={"bill_no": "B1", "channel": "wechat", "amount": "380.00", "paid_on": "9999-12-31",
                               "reference": "W-9999"})
    assert answer.status_code == 422 and answer.json()["field"] == "paid_on"


@pytest.mark.parametrize(("path", "body", "field"), [
    (f"/api/institutions/{HOSPITAL}/doctors", {"dr_code": "", "name": "医生"}, "dr_code"),
    (f"/api/institutions/{HOSPITAL}/doctors", {"dr_code": "  ", "name": "医生"}, "dr_code"),
    (f"/api/institutions/{HOSPITAL}/doctors", {"dr_code": "\x00", "name": "医生"}, "dr_code"),
    ("/api/institutions/catalogue", {"code": "", "name": "某药", "item_class": "A"}, "code"),
    ("/api/institutions/catalogue", {"code": "\x00", "name": "某药", "item_class": "A"}, "code"),
    ("/api/institutions/catalogue", {"code": "X9", "name": "某药", "item_class": "A", "price_ceiling": "1e309"},
     "price_ceiling"),
])
def test_empty_or_nul_codes_are_refused(client: TestClient, session: Session, admin: dict[str, str], path: str,
                                        body: dict[str, Any], field: str) -> None:
    before = rows(session)
    answer = client.post(path, headers=admin, json=body)
    assert answer.status_code == 422 and answer.json()["field"] == field, answer.text
    assert rows(session) == before


def test_a_filing_at_an_institution_that_does_not_exist_is_refused(client: TestClient, session: Session,
                                                                   admin: dict[str, str]) -> None:
    person = insured(session)
    answer = client.post("/api/filings/special-disease", headers=admin,
                         json={"psn_no": person.psn_no, "disease_code": "M03900", "disease_name": "高血压病",
                               "fixmedins_code": "H99999999999", "begndate": "2022-01-01"})
    assert answer.status_code == 404 and answer.json()["field"] == "fixmedins_code", answer.text
    assert rows(session)[3] == 0


def test_read_only_staff_see_id_phone_and_card_numbers_masked(client: TestClient, session: Session,
                                                              admin: dict[str, str]) -> None:
    person = register_person(session, certno=make_id_number("330283", dt.date(1970, 2, 3), 9, "2"), name="邬掩码",
                             local=True, town="yuelin", phone="13805741234")
    session.commit()
    client.post(f"/api/persons/{person.psn_no}/certificates", headers=admin,
                json={"kind": "minimum_living", "cert_no": "DB3302830001", "valid_from": "2022-01-01"})
    client.post(f"/api/persons/{person.psn_no}/cards", headers=admin,
                json={"card_no": "A12345678", "card_sn": "SN1", "issued_on": "2022-01-01"})
    viewer = sign_in(client, session, "readonly")
    seen = client.get(f"/api/persons/{person.psn_no}", headers=viewer).json()
    assert seen["certno"] == person.certno[:6] + "********" + person.certno[-4:]
    assert seen["phone"] == "138****1234"
    found = client.get("/api/persons", headers=viewer, params={"q": "邬掩码"}).json()
    assert [p["certno"] for p in found] == [seen["certno"]]
    certificates = client.get(f"/api/persons/{person.psn_no}/certificates", headers=viewer).json()
    assert certificates[0]["cert_no"] == "DB********01"
    assert client.get(f"/api/persons/{person.psn_no}/cards", headers=viewer).json()[0]["card_no"] == "A1*****78"
    full = client.get(f"/api/persons/{person.psn_no}", headers=admin).json()
    assert full["certno"] == person.certno and full["phone"] == "13805741234"
    for answer in (client.get(f"/api/persons/{person.psn_no}", headers=viewer),
                   client.get("/api/persons", headers=viewer, params={"q": "邬掩码"})):
        assert person.certno not in answer.text and "13805741234" not in answer.text
