"""Every bad input of issue 13 refused with its own code and a Chinese message, writing nothing (POLICY.md §10):
forged, altered, expired and replayed codes; codes of suspended or revoked credentials and of persons not
insured today; tokens of another institution or past expiry; unknown channels, bad channel signatures, name or
ID mismatches at activation; binding oneself or a stranger."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.credential.helpers import activate, activation, channel, decode, my_code, sign_in_resident, token_of
from tests.dbfixtures import sign_in
from tests.gateway.conftest import COMMUNITY, PEOPLES
from tests.gateway.his import HIS, error_code, insured
from yibao.credential.codes import issue_code
from yibao.credential.models import Binding, Credential, DecodedCode, EcToken
from yibao.credential.service import DecodeRequest, credential_of, decode_code
from yibao.kit.clock import now
from yibao.kit.gm import generate_keypair
from yibao.kit.idcard import make_id_number
from yibao.people.models import Person
from yibao.people.service import register_person

TODAY = now().date()
TABLES = (Credential, DecodedCode, EcToken, Binding)


def counts(session: Session) -> dict[str, int]:
    session.expire_all()
    return {t.__tablename__: int(session.scalar(select(func.count()).select_from(t)) or 0) for t in TABLES}


@pytest.fixture
def unchanged(session: Session) -> Iterator[Callable[[], None]]:
    """Call after the refusals: the credential tables hold what they held before them."""
    marks: list[dict[str, int]] = []

    def mark() -> None:
        marks.append(counts(session))

    yield mark
    if marks:
        assert counts(session) == marks[0]


@pytest.fixture
def active(client: TestClient, session: Session) -> Person:
    """A person insured this year with an active credential, signed in on the resident pages."""
    person = insured(session, year=TODAY.year)
    assert activate(client, channel(session), person)["code"] == 0
    sign_in_resident(client, session, person)
    return person


def refusal(answer: dict[str, Any]) -> tuple[int, str]:
    assert answer["code"] != 0 and answer["message"], answer
    return answer["code"], answer["error"]


# --- the dynamic code at the counter


def _tamper(text: str, part: int) -> str:
    pieces = text.split(".")
    piece = pieces[part]
    pieces[part] = piece[:10] + ("A" if piece[10] != "A" else "B") + piece[11:]
    return ".".join(pieces)


@pytest.mark.parametrize(("part", "expected"), [(3, (1202, "ec_forged_code")), (2, (1202, "ec_forged_code")),
                                                 (1, (1202, "ec_forged_code"))])
def test_a_forged_or_altered_code_is_refused(client: TestClient, his: Callable[[str], HIS], active: Person,
                                             unchanged: Callable[[], None], part: int,
                                             expected: tuple[int, str]) -> None:
    qr = my_code(client)
    unchanged()
    assert refusal(decode(client, his(COMMUNITY), _tamper(qr, part))) == expected


@pytest.mark.parametrize("text", ["", "hello", "YBEC1.x.y", "YBEC1.k.%%%.%%%", "A" * 2000, "YBEC1." + "." * 3])
def test_text_that_is_no_code_is_refused(client: TestClient, his: Callable[[str], HIS], active: Person,
                                         unchanged: Callable[[], None], text: str) -> None:
    unchanged()
    _, error = refusal(decode(client, his(COMMUNITY), text))
    assert error in ("ec_malformed_code", "ec_forged_code", "gateway_input")


def test_an_expired_code_is_refused(client: TestClient, his: Callable[[str], HIS], active: Person,
                                    unchanged: Callable[[], None]) -> None:
    app = client.app  # type: ignore[attr-defined]
    credential = credential_of(app.state.sessions(), active.psn_no)
    assert credential is not None
    old = issue_code(app.state.ec_keys, credential.ec_index_no, now() - dt.timedelta(seconds=61), app.state.ec_params)
    unchanged()
    assert refusal(decode(client, his(COMMUNITY), old.text)) == (1203, "ec_code_expired")


def test_a_decoded_code_never_decodes_again(client: TestClient, his: Callable[[str], HIS], active: Person) -> None:
    qr = my_code(client)
    token_of(client, his(COMMUNITY), qr)
    assert refusal(decode(client, his(PEOPLES), qr)) == (1204, "ec_code_replayed")  # a screenshot elsewhere
    assert refusal(decode(client, his(COMMUNITY), qr)) == (1204, "ec_code_replayed")


@pytest.mark.parametrize(("action", "expected"), [("suspend", (1102, "ec_credential_suspended")),
                                                   ("revoke", (1103, "ec_credential_revoked"))])
def test_the_code_of_a_suspended_or_revoked_credential_is_refused(
        client: TestClient, session: Session, his: Callable[[str], HIS], active: Person, action: str,
        expected: tuple[int, str]) -> None:
    qr = my_code(client)
    clerk = sign_in(client, session, "clerk")
    changed = client.post(f"/api/persons/{active.psn_no}/ecard/{action}", json={"reason": "参保人报告手机丢失"},
                          headers=clerk)
    assert changed.status_code == 200, changed.text
    assert refusal(decode(client, his(COMMUNITY), qr)) == expected
    shown = client.get("/api/me/ecard").json()
    assert (shown["code"], shown["error"]) == expected if action == "suspend" else shown["code"] == 1101


def test_suspension_needs_a_reason_and_staff_who_may_write(client: TestClient, session: Session,
                                                           active: Person) -> None:
    path = f"/api/persons/{active.psn_no}/ecard/suspend"
    assert client.post(path, json={"reason": "x"}, headers=sign_in(client, session, "readonly")).status_code == 403
    clerk = sign_in(client, session, "clerk")
    blank = client.post(path, json={"reason": "  "}, headers=clerk)
    assert blank.status_code == 422 and "reason" in blank.text
    assert client.post(f"/api/persons/{active.psn_no}/ecard/reinstate", json={"reason": "误操作"},
                       headers=clerk).json()["code"] == "ec_state_unchanged"


def test_the_code_of_a_person_not_insured_today_is_refused(client: TestClient, session: Session,
                                                           his: Callable[[str], HIS],
                                                           unchanged: Callable[[], None]) -> None:
    lapsed = insured(session, year=TODAY.year - 1)  # insured last year only
    activate(client, channel(session), lapsed)
    sign_in_resident(client, session, lapsed)
    qr = my_code(client)
    unchanged()
    assert refusal(decode(client, his(COMMUNITY), qr)) == (1206, "ec_not_insured")


def test_an_institution_decodes_only_as_itself_after_sign_in(client: TestClient, his: Callable[[str], HIS],
                                                             active: Person, unchanged: Callable[[], None]) -> None:
    qr = my_code(client)
    clinic = his(COMMUNITY)
    unchanged()
    assert refusal(decode(client, clinic, qr, org_id=PEOPLES)) == (1208, "ec_org_mismatch")
    clinic.sign_no = "20260101000000deadbeefdeadbeef"
    assert refusal(decode(client, clinic, qr))[1] == "unauthorized"


# --- the ecToken in the settlement transactions


def test_a_token_is_refused_at_another_institution(client: TestClient, his: Callable[[str], HIS],
                                                   active: Person) -> None:
    token = token_of(client, his(COMMUNITY), my_code(client))
    answer = his(PEOPLES).call("1101", {"data": {"mdtrt_cert_type": "01", "mdtrt_cert_no": token}})
    assert error_code(answer) == "ec_token_other_institution"
    answer = his(COMMUNITY).call("1101", {"data": {"mdtrt_cert_type": "01", "mdtrt_cert_no": token + "x"}})
    assert error_code(answer) == "ec_token_unknown"


def test_a_token_is_refused_after_expiry(client: TestClient, session: Session, his: Callable[[str], HIS],
                                         active: Person) -> None:
    app = client.app  # type: ignore[attr-defined]
    credential = credential_of(session, active.psn_no)
    assert credential is not None
    then = now() - dt.timedelta(hours=24, seconds=1)
    code = issue_code(app.state.ec_keys, credential.ec_index_no, then, app.state.ec_params)
    clinic = his(COMMUNITY)
    decoded = decode_code(session, app.state.ec_keys, app.state.ec_params, fixmedins_code=clinic.code, moment=then,
                          request=DecodeRequest(clinic.code, "01101", "T001", "甲", None, None, code.text))
    session.commit()
    answer = clinic.call("1101", {"data": {"mdtrt_cert_type": "01", "mdtrt_cert_no": decoded.ec_token}})
    assert error_code(answer) == "ec_token_expired"


def test_a_token_names_one_person_and_serves_one_visit(client: TestClient, session: Session,
                                                       his: Callable[[str], HIS], active: Person) -> None:
    other = insured(session, year=TODAY.year)
    clinic = his(COMMUNITY)
    token = token_of(client, clinic, my_code(client))
    data = {"psn_no": other.psn_no, "insutype": "390", "begntime": f"{TODAY} 08:30:00", "mdtrt_cert_type": "01",
            "mdtrt_cert_no": token, "ipt_otp_no": "MZ-EC-2"}
    assert error_code(clinic.call("2201", {"data": data})) == "ec_token_other_person"
    first = clinic.ok("2201", {"data": data | {"psn_no": active.psn_no}})["data"]["mdtrt_id"]
    assert first
    assert error_code(clinic.call("2201", {"data": data | {"psn_no": active.psn_no}})) == "ec_token_other_visit"


# --- activation through a channel


def test_an_unknown_or_disabled_channel_is_refused(client: TestClient, session: Session,
                                                   unchanged: Callable[[], None]) -> None:
    person = insured(session, year=TODAY.year)
    key = generate_keypair()
    unchanged()
    answer = client.post("/ec/api/activate", json=activation(key, person, code="nochannel")).json()
    assert refusal(answer) == (1001, "ec_unknown_channel")


def test_a_bad_channel_signature_is_refused(client: TestClient, session: Session,
                                            unchanged: Callable[[], None]) -> None:
    person = insured(session, year=TODAY.year)
    channel(session)
    wrong_key = generate_keypair()
    signed = activation(channel(session), person)
    unchanged()
    assert refusal(client.post("/ec/api/activate", json=activation(wrong_key, person)).json()) == (
        1002, "ec_bad_channel_signature")
    assert refusal(client.post("/ec/api/activate", json=signed | {"device_id": "another"}).json()) == (
        1002, "ec_bad_channel_signature")


@pytest.mark.parametrize(("changes", "expected"), [
    ({"name": "别人"}, (1006, "ec_name_mismatch")),
    ({"certno": make_id_number("110101", dt.date(1990, 3, 7), 7, "1")}, (1005, "ec_person_not_registered")),
    ({"face_verified": False}, (1004, "ec_face_check_missing")),
    ({"timestamp": "2020-01-01 00:00:00"}, (1003, "ec_stale_activation")),
    ({"timestamp": "yesterday"}, (1008, "ec_malformed_request")),
])
def test_activation_checks_who_and_when(client: TestClient, session: Session, unchanged: Callable[[], None],
                                        changes: dict[str, Any], expected: tuple[int, str]) -> None:
    person = insured(session, year=TODAY.year)
    key = channel(session)
    unchanged()
    assert refusal(client.post("/ec/api/activate", json=activation(key, person, **changes)).json()) == expected


@pytest.mark.parametrize("body", [b"", b"[]", b"not json", b'{"channel": 5}'])
def test_activation_that_is_not_a_message_is_refused(client: TestClient, body: bytes) -> None:
    answer = client.post("/ec/api/activate", content=body, headers={"content-type": "application/json"})
    assert answer.status_code == 200 and answer.json()["code"] == 1008


# --- family binding


def child_born(session: Session, birth: dt.date, serial: int, sex: str, name: str) -> Person:
    return register_person(session, certno=make_id_number("330283", birth, serial, sex), name=name, local=True,
                           town="yuelin")


def _household(session: Session, *people: Person, number: str) -> None:
    for person in people:
        person.household_no = number
    session.commit()


def test_binding_oneself_or_a_stranger_is_refused(client: TestClient, session: Session, active: Person,
                                                  unchanged: Callable[[], None]) -> None:
    child = child_born(session, dt.date(2015, 4, 4), 1, "1", "邬小孩")
    adult = insured(session, year=TODAY.year, birth="1985-01-01")
    session.commit()
    unchanged()

    def bind(person: Any, relationship: str, name: str | None = None) -> str:
        answer = client.post("/api/me/bindings", json={"certno": person.certno, "name": name or person.name,
                                                       "relationship": relationship})
        assert answer.status_code in (400, 403, 404, 409), answer.text
        code: str = answer.json()["code"]
        return code

    assert bind(active, "20") == "ec_bind_self"
    assert bind(child, "20") == "ec_bind_stranger"  # another household, no birth certificate seen
    assert bind(child, "20", name="别人") == "ec_name_mismatch"
    assert bind(adult, "50") == "ec_not_minor_or_elder"
    assert bind(child, "50") == "ec_relationship_unfit"
    assert bind(child, "99") == "ec_unknown_relationship"


def test_a_minor_of_the_household_is_bound_at_once_and_unbound(client: TestClient, session: Session,
                                                               active: Person) -> None:
    child = child_born(session, dt.date(2016, 4, 4), 2, "1", "邬小宝")
    _household(session, child, active, number="HH-1")
    bound = client.post("/api/me/bindings", json={"certno": child.certno, "name": child.name, "relationship": "20"})
    assert bound.json()["status"] == "active" and bound.json()["proof"] == "household"
    again = client.post("/api/me/bindings", json={"certno": child.certno, "name": child.name, "relationship": "20"})
    assert again.json()["code"] == "ec_already_bound"
    removed = client.post(f"/api/me/bindings/{bound.json()['binding_id']}/remove")
    assert removed.json()["status"] == "removed"


def test_the_window_binds_a_minor_on_a_birth_certificate(client: TestClient, session: Session,
                                                         active: Person) -> None:
    child = child_born(session, dt.date(2017, 4, 4), 3, "2", "邬小贝")
    session.commit()
    clerk = sign_in(client, session, "clerk")
    bound = client.post(f"/api/persons/{active.psn_no}/bindings", headers=clerk,
                        json={"certno": child.certno, "name": child.name, "relationship": "30",
                              "proof_no": "P330283170404"})
    assert bound.status_code == 200, bound.text
    assert (bound.json()["status"], bound.json()["proof"]) == ("active", "birth")
    seen = client.get(f"/api/persons/{active.psn_no}/ecard", headers=sign_in(client, session, "readonly")).json()
    assert [b["name"] for b in seen["bound"]] == [child.name]


def test_bindings_are_limited(client: TestClient, session: Session, active: Person) -> None:
    limit = client.app.state.ec_params.max_bindings  # type: ignore[attr-defined]
    codes = []
    for i in range(limit + 1):
        kid = register_person(session, certno=make_id_number("330283", dt.date(2015, 1, 1 + i), i, "1"),
                              name=f"邬孩{i}", local=True, town="yuelin")
        _household(session, kid, active, number="HH-9")
        codes.append(client.post("/api/me/bindings", json={"certno": kid.certno, "name": kid.name,
                                                          "relationship": "20"}).json().get("code"))
    assert codes == [None] * limit + ["ec_bind_limit"]


def test_a_relative_code_is_shown_only_to_who_bound_them(client: TestClient, session: Session, active: Person,
                                                         his: Callable[[str], HIS]) -> None:
    stranger = insured(session, year=TODAY.year, birth="1950-02-02", name="邬陌生")
    activate(client, channel(session), stranger)
    sign_in_resident(client, session, active)
    answer = client.get("/api/me/ecard", params={"for": stranger.psn_no}).json()
    assert (answer["code"], answer["error"]) == (1408, "ec_not_bound")
    assert client.get("/api/me/bindings/x").status_code in (404, 405)
    client.cookies.clear()
    assert client.get("/api/me/ecard").status_code == 401
