"""Parameters an administrator sets without code (issue 17 item 5; POLICY.md §1 "every figure with its source;
every gap closed by a stated ASSUMPTION, a parameter"), on both databases: the pure amendment rules, the
four-eyes service with its refusals, the staff API, the console page, and a settlement over HTTP that uses an
amendment from its effective date on while the one before keeps what it computed."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.dbfixtures import STAFF_PASSWORD, sign_in
from tests.gateway.conftest import COMMUNITY
from tests.gateway.his import HIS, insured
from yibao.demo import ensure_demo_institutions
from yibao.kit.errors import DomainError
from yibao.parameters import service
from yibao.parameters.models import PolicyAmendment
from yibao.policy.amendments import AmendedEditions, Amendment, amend, parameters
from yibao.policy.editions import packaged_editions
from yibao.policy.errors import EditionInvalid
from yibao.settlement.models import Settlement
from yibao.staff.service import create_staff

EDITIONS = packaged_editions()
DANSHEN = "ZB01AAA001"  # 复方丹参滴丸, 乙类 without a ratio of its own: the edition's default applies


def refused(code: str, action: Callable[[], object]) -> DomainError:
    with pytest.raises(DomainError) as caught:
        action()
    assert caught.value.code == code, caught.value.message
    return caught.value


# ---------------------------------------------------------------------------------------------------
# The pure rules (policy/amendments.py)


def test_an_edition_amended_with_nothing_is_the_edition() -> None:
    for edition in EDITIONS:
        assert amend(edition, []) == edition


def test_the_parameters_of_an_edition_with_their_sources() -> None:
    found = parameters(EDITIONS.get("2018"))
    assert found["maternity_subsidy"].value is None and found["maternity_subsidy"].assumption
    assert found["categories.adult_a.personal_contribution"].amendable
    assert not found["category_rules.adult_categories"].amendable  # a list: not set from a form
    assert all(p.source for p in found.values())


def test_amendments_apply_from_their_effective_date_in_order() -> None:
    first = Amendment("A1", "2022", "maternity_subsidy", "1000", "测试文件 第一条", dt.date(2022, 3, 1))
    second = Amendment("A2", "2022", "maternity_subsidy", "1500", "测试文件 第二条", dt.date(2022, 6, 1))
    editions = AmendedEditions(EDITIONS, [second, first])
    assert editions.on(dt.date(2022, 2, 28)).maternity_subsidy.value is None
    march = editions.on(dt.date(2022, 3, 1))
    assert (march.maternity_subsidy.value, march.maternity_subsidy.source, march.amendments) == (
        Decimal("1000"), "测试文件 第一条", ("A1",))
    assert editions.on(dt.date(2022, 7, 1)).maternity_subsidy.value == Decimal("1500")
    assert editions.on(dt.date(2021, 7, 1)).amendments == ()  # the 2018 edition has none
    with pytest.raises(EditionInvalid, match="maternity_subsidy"):
        amend(EDITIONS.get("2022"), [Amendment("A3", "2022", "maternity_subsidy", "-5", "x 条", dt.date(2022, 1, 1))])


# ---------------------------------------------------------------------------------------------------
# The service (four eyes)


def test_a_change_is_proposed_checked_and_approved_by_another_administrator(session: Session) -> None:
    editions = service.LiveEditions(EDITIONS)

    def propose(**change: object) -> PolicyAmendment:
        values: dict[str, object] = {"edition": "2018", "path": "categories.adult_a.personal_contribution",
                                     "value": "280", "source": "奉医保〔2017〕12号 第二条",
                                     "effective_from": dt.date(2018, 1, 1), "actor": "admin-a"} | change
        return service.propose(session, editions, **values)  # type: ignore[arg-type]

    refused("unknown_parameter", lambda: propose(path="categories.adult_a.no_such"))
    refused("unknown_parameter", lambda: propose(path="category_rules.adult_categories"))
    refused("unknown_parameter", lambda: propose(edition="2030"))
    refused("amendment_source_required", lambda: propose(source=" "))
    error = refused("amendment_outside_edition", lambda: propose(effective_from=dt.date(2022, 1, 1)))
    assert "2021-12-31" in error.message  # the 2018 edition ends the day before 2022's begins
    refused("bad_parameter_value", lambda: propose(value="-1"))
    refused("bad_parameter_value", lambda: propose(value="两百八"))
    assert session.scalar(select(func.count()).select_from(PolicyAmendment)) == 0  # nothing written

    proposed = propose()
    assert editions.fresh(session).on(dt.date(2018, 5, 1)).categories["adult_a"].personal_contribution.value is None
    refused("own_amendment", lambda: service.approve(session, editions, proposed.id, actor="admin-a"))
    done = service.approve(session, editions, proposed.id, actor="admin-b", note="核对原文无误")
    assert (done.status, done.decided_by) == ("approved", "admin-b")
    refused("amendment_decided", lambda: service.approve(session, editions, proposed.id, actor="admin-c"))
    in_force = editions.fresh(session).on(dt.date(2018, 5, 1))
    assert in_force.categories["adult_a"].personal_contribution.value == Decimal("280")
    assert in_force.amendments == (proposed.id,)
    table = {(r.edition, r.path): r for r in service.parameter_table(editions, dt.date(2026, 1, 1))}
    row = table[("2018", "categories.adult_a.personal_contribution")]
    assert (row.value, row.amendment, row.assumption) == (Decimal("280"), proposed.id, False)
    assert table[("2022", "maternity_subsidy")].assumption

    withdrawn = propose(value="300", effective_from=dt.date(2019, 1, 1))
    refused("decision_note_required", lambda: service.reject(session, withdrawn.id, actor="admin-a", note=""))
    assert service.reject(session, withdrawn.id, actor="admin-a", note="数字有误").status == "rejected"
    assert editions.fresh(session).on(dt.date(2019, 5, 1)).categories["adult_a"].personal_contribution.value == 280


# ---------------------------------------------------------------------------------------------------
# The doors


def _admin(client: TestClient, session: Session, username: str) -> dict[str, str]:
    from yibao.staff.models import StaffUser

    if session.get(StaffUser, username) is None:
        create_staff(session, username=username, display_name=username, role="admin", password=STAFF_PASSWORD)
        session.commit()
    answer = client.post("/api/auth/login", json={"username": username, "password": STAFF_PASSWORD})
    return {"Authorization": f"Bearer {answer.json()['token']}"}


def _visit(clinic: HIS, psn_no: str, day: str) -> dict[str, object]:
    mdtrt_id = clinic.register(psn_no, day)
    clinic.fees("2204", psn_no, mdtrt_id, day, [(DANSHEN, "1", "100")])
    answer = clinic.ok("2207", clinic.settle_data(psn_no, mdtrt_id, Decimal("100"), "11"))
    setlinfo: dict[str, object] = answer["setlinfo"]
    return setlinfo


def test_an_approved_amendment_changes_the_next_settlement_and_not_the_previous(client: TestClient,
                                                                                 session: Session) -> None:
    first_admin, second_admin = _admin(client, session, "admin-1"), _admin(client, session, "admin-2")
    reader = sign_in(client, session, "readonly")
    ensure_demo_institutions(session)
    person = insured(session)
    clinic = HIS(client, COMMUNITY)
    before = _visit(clinic, person.psn_no, "2022-03-01")
    assert before["preselfpay_amt"] == Decimal("10.00")  # 乙类 10% first self-pay (POLICY.md §5 ASSUMPTION)

    change = {"edition": "2022", "path": "first_selfpay_default", "value": "0.20",
              "source": "奉医保〔2022〕8号 第四条（测试）", "effective_from": "2022-01-01"}
    assert client.post("/api/parameters/amendments", headers=reader, json=change).status_code == 403
    proposed = client.post("/api/parameters/amendments", headers=first_admin, json=change)
    assert proposed.status_code == 201, proposed.text
    amendment_id = proposed.json()["id"]
    assert _visit(clinic, person.psn_no, "2022-03-02")["preselfpay_amt"] == Decimal("10.00")  # not yet approved
    own = client.post(f"/api/parameters/amendments/{amendment_id}/approve", headers=first_admin, json={})
    assert (own.status_code, own.json()["code"]) == (403, "own_amendment")
    approved = client.post(f"/api/parameters/amendments/{amendment_id}/approve", headers=second_admin,
                           json={"note": "已核对"})
    assert approved.status_code == 200 and approved.json()["status"] == "approved"

    after = _visit(clinic, person.psn_no, "2022-03-03")
    assert after["preselfpay_amt"] == Decimal("20.00")
    session.expire_all()
    used = dict(session.execute(select(Settlement.service_date, Settlement.amendments).where(
        Settlement.psn_no == person.psn_no, Settlement.kind == "settle")).all())
    assert used == {dt.date(2022, 3, 1): None, dt.date(2022, 3, 2): None, dt.date(2022, 3, 3): amendment_id}
    table = {(r["edition"], r["path"]): r for r in client.get("/api/parameters", headers=reader).json()}
    row = table[("2022", "first_selfpay_default")]
    assert (Decimal(str(row["value"])), row["amendment"], row["label"]) == (Decimal("0.20"), amendment_id,
                                                                             "乙类先行自付默认比例")
    history = client.get("/api/parameters/amendments", headers=reader).json()
    assert [(a["id"], a["status"], a["decided_by"]) for a in history] == [(amendment_id, "approved", "admin-2")]


def test_the_console_page_lists_every_parameter_and_takes_a_change(client: TestClient, session: Session) -> None:
    from tests.web.test_pages import staff_cookie, text

    staff_cookie(client, session, "admin")
    shown = client.get("/console/parameters")
    assert shown.status_code == 200
    page = text(shown.text)
    assert "生育医疗费定额补助（元）" in page and "假定" in page and "未设定" in page
    assert "成年居民A档 个人缴费（元/年）" in page or "个人缴费（元/年）" in page
    missing = client.post("/console/parameters", data={"parameter": "2022|maternity_subsidy", "value": "1000",
                                                       "source": "", "effective_from": "2022-01-01"})
    assert missing.status_code == 400 and "依据" in text(missing.text)
    made = client.post("/console/parameters", data={"parameter": "2022|maternity_subsidy", "value": "1000",
                                                    "source": "测试文件 第一条", "effective_from": "2022-01-01"})
    assert "参数修改已提出" in text(made.text) and "待批准的修改" in text(made.text)
    amendment = session.scalars(select(PolicyAmendment)).one()
    mine = client.post(f"/console/parameters/{amendment.id}/approve", data={})
    assert mine.status_code == 400 and "另一位管理员" in text(mine.text)
    assert client.post(f"/console/parameters/{amendment.id}/undo", data={}).status_code == 404
    staff_cookie(client, session, "readonly")
    assert client.post(f"/console/parameters/{amendment.id}/approve", data={}).status_code == 403
