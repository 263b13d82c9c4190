"""The e-credential end to end over HTTP on both databases (POLICY.md §10; issue 13): a channel activates, the
resident's page gives the dynamic code, the counter decodes it (ec.query), and the ecToken settles as
mdtrt_cert_type 01 through 1101 → 2201 → 2204 → 2207, with a receipt; a grandmother's code shown by her bound
grandson is settled the same way."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.credential.helpers import activate, channel, decode, my_code, sign_in_resident, token_of
from tests.gateway.conftest import COMMUNITY, PEOPLES
from tests.gateway.his import HIS, insured
from yibao.credential.models import Credential, DecodedCode, EcToken
from yibao.kit.clock import now
from yibao.people.cards import issue_card
from yibao.people.models import Person
from yibao.settlement.models import Visit

TODAY = now().date()


def register_by_token(clinic: HIS, person: Person, token: str) -> str:
    data = {"psn_no": person.psn_no, "insutype": "390", "begntime": f"{TODAY} 08:30:00", "mdtrt_cert_type": "01",
            "mdtrt_cert_no": token, "ipt_otp_no": "MZ-EC-1", "atddr_no": "D1", "dr_name": "王医生",
            "dept_code": "A01", "dept_name": "内科", "caty": "A03"}
    return str(clinic.ok("2201", {"data": data})["data"]["mdtrt_id"])


def settle_by_token(clinic: HIS, person: Person, mdtrt_id: str, token: str) -> dict[str, object]:
    clinic.fees("2204", person.psn_no, mdtrt_id, str(TODAY), [("001101000010000", "1", "10")])
    data = clinic.settle_data(person.psn_no, mdtrt_id, Decimal("10.00"), "11")
    data["data"] |= {"mdtrt_cert_type": "01", "mdtrt_cert_no": token}
    presettled = clinic.ok("2206", data)
    assert presettled["setlinfo"]["medfee_sumamt"] == Decimal("10.00")
    return clinic.ok("2207", data)


def test_activation_code_decode_and_settlement_by_e_credential(
        client: TestClient, session: Session, his: Callable[[str], HIS]) -> None:
    person = insured(session, year=TODAY.year)
    key = channel(session)
    activated = activate(client, key, person)
    assert activated["code"] == 0, activated
    ec_index_no = activated["data"]["ecIndexNo"]
    assert person.certno not in ec_index_no and len(ec_index_no) == 32

    sign_in_resident(client, session, person)
    shown = client.get("/api/me/ecard").json()
    assert shown["ec_index_no"] == ec_index_no
    expires = dt.datetime.fromisoformat(shown["expires_at"])
    assert dt.timedelta(seconds=50) <= expires - now() <= dt.timedelta(seconds=61)
    assert person.certno not in shown["qrcode"] and ec_index_no not in shown["qrcode"]  # SM4 hides what it says

    clinic = his(COMMUNITY)
    decoded = decode(client, clinic, shown["qrcode"])
    assert decoded["code"] == 0, decoded
    assert {k: decoded["data"][k] for k in ("idNo", "idType", "userName", "ecIndexNo", "insuOrg", "gender")} == {
        "idNo": person.certno, "idType": "01", "userName": person.name, "ecIndexNo": ec_index_no,
        "insuOrg": "330213", "gender": person.sex}
    token = decoded["data"]["ecToken"]
    stored = session.scalars(select(EcToken).where(EcToken.psn_no == person.psn_no)).one()
    assert stored.token_hash != token and len(stored.token_hash) == 64  # only its SM3 hash is kept

    info = clinic.ok("1101", {"data": {"mdtrt_cert_type": "01", "mdtrt_cert_no": token}})
    assert info["baseinfo"]["psn_no"] == person.psn_no
    mdtrt_id = register_by_token(clinic, person, token)
    settled = settle_by_token(clinic, person, mdtrt_id, token)
    assert settled["setlinfo"]["mdtrt_cert_type"] == "01"  # type: ignore[index]
    visit = session.get(Visit, (person.psn_no, mdtrt_id))
    session.refresh(visit)
    assert visit is not None and (visit.mdtrt_cert_type, visit.mdtrt_cert_no) == ("01", ec_index_no)

    setl_id = settled["setlinfo"]["setl_id"]  # type: ignore[index]
    receipt = client.get(f"/me/settlements/{setl_id}")
    assert receipt.status_code == 200 and "医保电子凭证" in receipt.text


def test_the_social_security_card_keeps_working_beside_it(client: TestClient, session: Session,
                                                          his: Callable[[str], HIS]) -> None:
    person = insured(session, year=TODAY.year)
    activate(client, channel(session), person)
    issue_card(session, psn_no=person.psn_no, card_no="A12345678", card_sn="330200D15600000500A1B2C3D4E5F6A7",
               issued_on=TODAY, actor="t")
    session.commit()
    info = his(COMMUNITY).ok("1101", {"data": {"mdtrt_cert_type": "03", "mdtrt_cert_no": "A12345678",
                                               "card_sn": "330200D15600000500A1B2C3D4E5F6A7"}})
    assert info["baseinfo"]["psn_no"] == person.psn_no


def test_reactivation_on_a_new_phone_replaces_the_old_credential(client: TestClient, session: Session,
                                                                 his: Callable[[str], HIS]) -> None:
    person = insured(session, year=TODAY.year)
    key = channel(session)
    first = activate(client, key, person)["data"]["ecIndexNo"]
    sign_in_resident(client, session, person)
    old_code = my_code(client)
    second = activate(client, key, person, device_id="Huawei-P70")["data"]["ecIndexNo"]
    assert first != second
    statuses = dict(session.execute(select(Credential.ec_index_no, Credential.status)
                                    .where(Credential.psn_no == person.psn_no)).all())
    assert statuses == {first: "replaced", second: "active"}
    answer = decode(client, his(COMMUNITY), old_code)
    assert (answer["code"], answer["error"]) == (1103, "ec_credential_revoked")
    assert token_of(client, his(COMMUNITY), my_code(client))


def test_the_same_activation_sent_twice_gives_the_same_credential(client: TestClient, session: Session) -> None:
    from tests.credential.helpers import activation

    person = insured(session, year=TODAY.year)
    message = activation(channel(session), person)
    first = client.post("/ec/api/activate", json=message).json()
    second = client.post("/ec/api/activate", json=message).json()
    assert first["data"]["ecIndexNo"] == second["data"]["ecIndexNo"]
    assert session.scalar(select(func.count()).select_from(Credential)
                          .where(Credential.psn_no == person.psn_no)) == 1


def test_a_grandmothers_code_shown_by_her_bound_grandson_is_settled(
        client: TestClient, session: Session, his: Callable[[str], HIS]) -> None:
    grandmother = insured(session, year=TODAY.year, birth="1948-03-08", name="邬奶奶")
    grandson = insured(session, year=TODAY.year, birth="1990-05-05", name="邬孙子")
    key = channel(session)
    activate(client, key, grandmother)
    sign_in_resident(client, session, grandson)
    asked = client.post("/api/me/bindings", json={"certno": grandmother.certno, "name": grandmother.name,
                                                  "relationship": "60"})
    assert asked.status_code == 200 and asked.json()["status"] == "pending", asked.text
    assert client.get("/api/me/ecard", params={"for": grandmother.psn_no}).json()["error"] == "ec_not_bound"

    sign_in_resident(client, session, grandmother)  # she confirms on her own page
    pending = client.get("/api/me/bindings").json()["bound_by"]
    assert [p["psn_no"] for p in pending] == [grandson.psn_no]
    confirmed = client.post(f"/api/me/bindings/{pending[0]['binding_id']}/confirm")
    assert confirmed.json()["status"] == "active", confirmed.text

    sign_in_resident(client, session, grandson)
    qr = my_code(client, grandmother.psn_no)
    hospital = his(PEOPLES)
    token = token_of(client, hospital, qr)
    info = hospital.ok("1101", {"data": {"mdtrt_cert_type": "01", "mdtrt_cert_no": token}})
    assert info["baseinfo"]["psn_no"] == grandmother.psn_no
    mdtrt_id = register_by_token(hospital, grandmother, token)
    settled = settle_by_token(hospital, grandmother, mdtrt_id, token)
    assert settled["setlinfo"]["psn_no"] == grandmother.psn_no  # type: ignore[index]


def test_decoded_codes_and_tokens_are_written_only_on_success(client: TestClient, session: Session,
                                                              his: Callable[[str], HIS]) -> None:
    person = insured(session, year=TODAY.year)
    activate(client, channel(session), person)
    sign_in_resident(client, session, person)
    clinic = his(COMMUNITY)
    before = session.scalar(select(func.count()).select_from(DecodedCode))
    assert decode(client, clinic, my_code(client), business_type="99999")["error"] == "ec_unknown_business_type"
    assert session.scalar(select(func.count()).select_from(DecodedCode)) == before


def test_an_inpatient_stay_admitted_and_settled_by_e_credential(
        client: TestClient, session: Session, his: Callable[[str], HIS]) -> None:
    """2401 by the token of the admission's scan; 2303/2304 at discharge by a fresh scan's token."""
    person = insured(session, year=TODAY.year)
    activate(client, channel(session), person)
    sign_in_resident(client, session, person)
    hospital = his(PEOPLES)
    admitted = token_of(client, hospital, my_code(client))
    begin = now() - dt.timedelta(days=3)
    info = {"psn_no": person.psn_no, "insutype": "390", "begntime": f"{begin:%Y-%m-%d} 10:00:00",
            "mdtrt_cert_type": "01", "mdtrt_cert_no": admitted, "med_type": "21", "ipt_no": "ZY-EC-1",
            "atddr_no": "D1", "adm_dept_codg": "A03", "adm_dept_name": "内科", "dise_codg": "I10",
            "dise_name": "高血压"}
    mdtrt_id = hospital.ok("2401", {"mdtrtinfo": info})["data"]["mdtrt_id"]
    hospital.fees("2301", person.psn_no, mdtrt_id, f"{begin:%Y-%m-%d}", [("XJ01CAA040A001010101445", "1", "3000")])
    hospital.ok("2402", {"dscginfo": {"mdtrt_id": mdtrt_id, "psn_no": person.psn_no,
                                      "endtime": f"{TODAY} 09:00:00", "dscg_way": "1"}})
    at_discharge = token_of(client, hospital, my_code(client))
    data = hospital.settle_data(person.psn_no, mdtrt_id, Decimal("3000"), "21")
    data["data"] |= {"mdtrt_cert_type": "01", "mdtrt_cert_no": at_discharge}
    assert hospital.ok("2303", data)["setlinfo"]["medfee_sumamt"] == Decimal("3000.00")
    settled = hospital.ok("2304", data)["setlinfo"]
    assert settled["mdtrt_cert_type"] == "01" and settled["hifp_pay"] > 0
    other = his(COMMUNITY)  # the admission's token at another institution: refused
    answer = other.call("1101", {"data": {"mdtrt_cert_type": "01", "mdtrt_cert_no": admitted}})
    assert "ec_token_other_institution" in answer["err_msg"]
