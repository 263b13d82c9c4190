"""The maternity medical subsidy (issue 17 item 1; POLICY.md §8; S18 §6 "待遇享受期内的育龄妇女如果符合国家计划生育
政策生育的，可凭相关材料在婴儿出生后 6个月内向参保的区医保中心申领生育医疗费定额补助"), on both databases: no amount
until an administrator sets it as an approved amendment, then the checks (a woman, insured on the birth date,
the family-planning policy, within 6 months, once per birth), payment through the ledger, cancellation, the
notice, the console and API doors, and med_type 51/52 at the gateway."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.dbfixtures import sign_in
from tests.gateway.conftest import COMMUNITY
from tests.gateway.his import CERTNOS, HIS, error_code, insured
from yibao.accounts.ledger import ledger_balances, person_account, unbalanced_entries
from yibao.demo import ensure_demo_institutions
from yibao.kit.errors import DomainError
from yibao.parameters import service as parameters
from yibao.policy.editions import packaged_editions
from yibao.settlement import maternity
from yibao.settlement.models import MaternityClaim

BIRTH = dt.date(2022, 3, 10)


def refused(code: str, action: Callable[[], object]) -> DomainError:
    with pytest.raises(DomainError) as caught:
        action()
    assert caught.value.code == code, caught.value.message
    return caught.value


def set_amount(session: Session, editions: parameters.LiveEditions, amount: str = "1000") -> str:
    proposed = parameters.propose(session, editions, edition="2022", path="maternity_subsidy", value=amount,
                                  source="奉医保〔2022〕3号 第二条（测试）", effective_from=dt.date(2022, 1, 1),
                                  actor="admin-a")
    parameters.approve(session, editions, proposed.id, actor="admin-b")
    editions.fresh(session)
    return proposed.id


def claims(session: Session) -> int:
    return int(session.scalar(select(func.count()).select_from(MaternityClaim)) or 0)


def test_a_claim_is_refused_until_the_amount_is_set_then_checked_paid_and_cancelled(session: Session) -> None:
    editions = parameters.LiveEditions(packaged_editions())
    mother = insured(session, birth="1994-02-02", sex="2", name="邬妈妈")

    def claim(**change: object) -> MaternityClaim:
        values: dict[str, object] = {"psn_no": mother.psn_no, "birth_date": BIRTH, "birth_cert_no": "P330212345",
                                     "family_planning": True, "claimed_on": dt.date(2022, 4, 1),
                                     "actor": "clerk"} | change
        return maternity.claim_maternity(session, editions, **values)  # type: ignore[arg-type]

    error = refused("maternity_amount_unset", claim)
    assert "政策参数" in error.message and claims(session) == 0
    amendment = set_amount(session, editions)

    father = insured(session, sex="1")
    refused("maternity_not_eligible", lambda: claim(psn_no=father.psn_no))
    assert refused("maternity_not_eligible", lambda: claim(family_planning=False)).field == "family_planning"
    late = refused("maternity_claim_late", lambda: claim(claimed_on=dt.date(2022, 9, 11)))
    assert "2022-09-10" in late.message  # six months after the birth is the last day
    refused("maternity_not_eligible", lambda: claim(birth_date=dt.date(2021, 12, 20)))  # not insured in 2021
    refused("invalid_input", lambda: claim(birth_cert_no=" "))
    refused("invalid_input", lambda: claim(birth_date=dt.date(2022, 4, 2)))  # after the claim
    assert claims(session) == 0

    paid = claim(claimed_on=dt.date(2022, 9, 10))
    assert (paid.amount, paid.status, paid.amendments, paid.edition) == (Decimal("1000.00"), "paid", amendment, "2022")
    assert ledger_balances(session)[person_account(mother.psn_no)] == Decimal("1000.00")
    assert ledger_balances(session)["fund:390100"] == Decimal("-1000.00") and unbalanced_entries(session) == []
    again = refused("maternity_claimed_before", lambda: claim(birth_cert_no="P330299999"))
    assert paid.claim_no in again.message

    refused("invalid_input", lambda: maternity.cancel_claim(session, paid.claim_no, reason=" ", actor="clerk"))
    maternity.cancel_claim(session, paid.claim_no, reason="出生证明有误", actor="clerk")
    assert ledger_balances(session).get(person_account(mother.psn_no), Decimal(0)) == 0
    assert claim().status == "paid"  # the birth may be claimed again after a cancellation


def test_the_console_and_the_api(client: TestClient, session: Session) -> None:
    from tests.web.test_pages import staff_cookie, text

    ensure_demo_institutions(session)
    set_amount(session, client.app.state.editions, "800")  # type: ignore[attr-defined]
    mother = insured(session, birth="1995-05-05", sex="2", name="邬产妇")
    staff_cookie(client, session, "clerk")
    form = {"psn_no": mother.psn_no, "birth_date": BIRTH.isoformat(), "birth_cert_no": "Q330200001",
            "children": "2"}
    unconfirmed = client.post("/console/maternity", data=form)
    assert unconfirmed.status_code == 400 and "计划生育政策" in text(unconfirmed.text)
    late = client.post("/console/maternity", data={**form, "family_planning": "1"})  # today: long after BIRTH
    assert late.status_code == 400 and "6 个月内申领" in text(late.text)
    row = maternity.claim_maternity(session, client.app.state.editions, psn_no=mother.psn_no,  # type: ignore[attr-defined]
                                    birth_date=BIRTH, birth_cert_no="Q330200001", family_planning=True,
                                    children=2, claimed_on=dt.date(2022, 5, 1), actor="p-clerk")
    session.commit()
    notice = text(client.get(f"/console/maternity/{row.claim_no}").text)
    assert "生育医疗费定额补助支付通知" in notice and "800.00 元" in notice and "捌佰元整" in notice
    assert "奉医保〔2022〕3号 第二条（测试）" in notice and "本次生育 2 名婴儿" in notice
    listed = text(client.get("/console/maternity").text)
    assert "邬产妇" in listed and "已支付" in listed
    cancelled = client.post(f"/console/maternity/{row.claim_no}/cancel", data={"reason": "重复申领"})
    assert "基金支付已冲回" in text(cancelled.text)
    assert "已撤销" in text(client.get(f"/console/maternity/{row.claim_no}").text)

    viewer, clerk = sign_in(client, session, "readonly"), sign_in(client, session, "clerk")
    body = {"psn_no": mother.psn_no, "birth_date": BIRTH.isoformat(), "birth_cert_no": "Q330200001",
            "family_planning": True}
    assert client.post("/api/maternity-claims", headers=viewer, json=body).status_code == 403
    answer = client.post("/api/maternity-claims", headers=clerk, json=body)  # claimed today: too late
    assert answer.status_code >= 400 and answer.json()["code"] == "maternity_claim_late"
    listed_api = client.get("/api/maternity-claims", headers=viewer, params={"psn_no": mother.psn_no}).json()
    assert [c["status"] for c in listed_api] == ["cancelled"]
    assert listed_api[0]["birth_cert_no"] != "Q330200001"  # masked for the read-only role


def test_med_type_51_and_52_are_recognised_and_sent_to_the_claim(client: TestClient, session: Session) -> None:
    ensure_demo_institutions(session)
    person = insured(session, sex="2")
    clinic = HIS(client, COMMUNITY)
    mdtrt_id = clinic.register(person.psn_no, "2022-03-01")  # 2201 names no med_type; 2203 does
    info = {"mdtrtinfo": {"mdtrt_id": mdtrt_id, "psn_no": person.psn_no, "med_type": "51",
                          "begntime": "2022-03-01 08:30:00"}}
    answer = clinic.call("2203", info)
    assert error_code(answer) == "maternity_by_claim" and "定额补助" in answer["err_msg"]
    admission = {"mdtrtinfo": {"psn_no": person.psn_no, "insutype": "390", "begntime": "2022-03-01 10:00:00",
                               "mdtrt_cert_type": "02", "mdtrt_cert_no": CERTNOS[person.psn_no], "med_type": "52",
                               "ipt_no": "ZY-M1", "atddr_no": "D1", "adm_dept_codg": "A05",
                               "adm_dept_name": "妇产科", "dise_codg": "O80.000", "dise_name": "单胎顺产"}}
    assert error_code(clinic.call("2401", admission)) == "maternity_by_claim"
    check = clinic.ok("2001", {"data": {"psn_no": person.psn_no, "insutype": "390", "med_type": "52",
                                        "begntime": "2022-03-01 08:30:00"}})
    result = check["trtinfo"][0]
    assert result["trt_enjymnt_flag"] == "0" and "maternity_by_claim" in result["trt_chk_rslt"]
    labels = {r["value"]: r["label"] for r in clinic.ok("1901", {"data": {"type": "MED_TYPE"}})["list"]}
    assert labels["51"] == "生育门诊" and labels["52"] == "生育住院"
