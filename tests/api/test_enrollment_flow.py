"""A clerk's day over HTTP (issue 3): register, enroll, pay, import a school file, reconcile, and bad input
that gets a clear Chinese message and writes nothing."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.registry.helpers import certno
from yibao.enrollment.models import Enrollment
from yibao.people.models import Person


def test_register_enroll_pay_and_reconcile(client: TestClient, clerk: dict[str, str]) -> None:
    number = certno("1978-08-08", sex="2")
    person = client.post("/api/persons", headers=clerk, json={
        "certno": number, "name": "应秀英", "local": True, "town": "jiangkou", "phone": "13900000000"})
    assert person.status_code == 201, person.text
    psn_no = person.json()["psn_no"]
    assert person.json()["birth_date"] == "1978-08-08"
    enrolled = client.post("/api/enrollments", headers=clerk, json={
        "psn_no": psn_no, "year": 2022, "registration_date": "2021-10-12", "channel": "window",
        "proxy_name": "应大伯", "proxy_certno": certno("1950-02-02")})
    assert enrolled.status_code == 201, enrolled.text
    body = enrolled.json()
    assert (body["category"], body["personal_amount"], body["government_amount"]) == ("adult", "750.00", "2090.00")
    bills = client.get("/api/contributions/bills", headers=clerk, params={"psn_no": psn_no}).json()
    assert [(b["amount_due"], b["status"]) for b in bills] == [("750.00", "unpaid")]
    paid = client.post("/api/contributions/payments", headers=clerk, json={
        "bill_no": bills[0]["bill_no"], "channel": "cash", "bank": "rcc", "amount": "750.00",
        "paid_on": "2021-10-12", "reference": "RCC-0001"})
    assert paid.status_code == 201, paid.text
    assert client.get("/api/enrollments", headers=clerk, params={"psn_no": psn_no}).json()[0]["status"] == "active"
    recon = client.post("/api/contributions/reconciliations", headers=clerk, json={
        "day": "2021-10-12", "statements": [{"channel": "cash", "bank": "rcc", "count": 1, "amount": "750.00"}]})
    assert recon.json() == [{"channel": "cash", "bank": "rcc", "payments": 1, "paid": "750.00", "refunds": 0,
                             "refunded": "0.00", "net": "750.00", "statement_count": 1, "statement_amount": "750.00",
                             "matched": True}]


def test_bad_input_gets_a_chinese_message_and_writes_nothing(client: TestClient, clerk: dict[str, str],
                                                             session: Session) -> None:
    def totals() -> tuple[int, int]:
        return (session.scalar(select(func.count()).select_from(Person)) or 0,
                session.scalar(select(func.count()).select_from(Enrollment)) or 0)

    before = totals()
    bad_id = client.post("/api/persons", headers=clerk, json={
        "certno": "330283198005170241", "name": "甲", "local": True, "town": "xikou"})
    assert (bad_id.status_code, bad_id.json()["field"]) == (400, "certno")
    assert "校验位" in bad_id.json()["message"]
    employee = client.post("/api/persons", headers=clerk, json={
        "certno": certno("1981-01-01"), "name": "职工", "local": True, "town": "xikou", "employee_insured": True})
    refused = client.post("/api/enrollments", headers=clerk, json={
        "psn_no": employee.json()["psn_no"], "year": 2022, "registration_date": "2021-10-12", "channel": "window"})
    assert refused.status_code == 400 and "职工" in refused.json()["message"]
    unknown = client.post("/api/enrollments", headers=clerk, json={
        "psn_no": "330213099999999", "year": 2022, "registration_date": "2021-10-12", "channel": "window"})
    assert unknown.status_code == 404
    assert totals() == (before[0] + 1, before[1])


def test_duplicate_enrollment_is_409(client: TestClient, clerk: dict[str, str]) -> None:
    psn_no = client.post("/api/persons", headers=clerk, json={
        "certno": certno("1982-02-02"), "name": "重", "local": True, "town": "xiwu"}).json()["psn_no"]
    request = {"psn_no": psn_no, "year": 2022, "registration_date": "2021-10-12", "channel": "alipay"}
    assert client.post("/api/enrollments", headers=clerk, json=request).status_code == 201
    again = client.post("/api/enrollments", headers=clerk, json=request)
    assert again.status_code == 409 and "重复" in again.json()["message"]


def test_school_import_over_http(client: TestClient, clerk: dict[str, str]) -> None:
    content = ("身份证号,姓名,学校\n" + f"{certno('2012-06-06')},邬学,溪口中学\n" + "123,坏,溪口中学\n").encode()
    files = {"file": ("class.csv", content, "text/csv")}
    form = {"year": "2022", "registration_date": "2021-09-15", "mode": "all_or_nothing"}
    report = client.post("/api/enrollments/school-imports", headers=clerk, files=files, data=form).json()
    assert report["imported"] == 0
    assert report["errors"] == [{"line": 3, "name": "坏", "message": "身份证号：身份证号应为 18 位，实际 3 位"}]
    form["mode"] = "valid_only"
    report = client.post("/api/enrollments/school-imports", headers=clerk, files=files, data=form).json()
    assert report["imported"] == 1
    malformed = client.post("/api/enrollments/school-imports", headers=clerk, data=form,
                            files={"file": ("class.pdf", b"%PDF", "application/pdf")})
    assert malformed.status_code == 400 and ".csv" in malformed.json()["message"]
