"""A hospital system signs in the way deployments do (issue 18 items 1–2), on both databases.

The envelopes are shaped as public HIS client models shape them: binzhe12123/Medical
`SZSI_Smart/Model/SYB/SYBCommon.cs` (InCommon: infno, msgid, mdtrtarea_admvs, insuplc_admdvs, recer_sys_code,
dev_no, dev_safe_info, cainfo (字符型 1024), signtype ("建议使用SM2、SM3"), infver, opter_type, opter,
opter_name, inf_time, fixmedins_code, fixmedins_name, sign_no, input — unset strings serialised as null, as
Newtonsoft does), `QD9001.cs` (In9001 {opter_no, mac, ip} → Out9001 {sign_time, sign_no 字符型 30}) and
`QT9002.cs` (signOut {sign_no, opter_no} → signoutoutb {sign_time}). The four schemes of INTERFACE.md:
SM2-signed cainfo, x-tif gateway headers, apikey, and the plain secret only where enabled."""

from __future__ import annotations

import base64
import datetime as dt
import itertools
import time
from collections.abc import Iterator
from typing import Any

import pytest
import simplejson
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.gateway.conftest import COMMUNITY, PEOPLES
from tests.gateway.his import PATH, error_code, insured
from yibao.adapters.gateway.auth import Seen, signing_text, tif_signature
from yibao.demo import DEMO_HIS_SECRET, ensure_demo_institutions
from yibao.institutions.service import register_institution, set_gateway_access
from yibao.kit.clock import now
from yibao.kit.gm import KeyPair, generate_keypair, sm2_sign

_serial = itertools.count(1)
KEY: KeyPair = generate_keypair()
SIGNED_ONLY = "H33021300091"  # a clinic that signs its envelopes (sm2) and has no plain secret
GATEWAYED = "H33021300092"  # a clinic behind a provincial gateway (tif only)
SECRET = "clinic-secret-91"


@pytest.fixture
def clinics(session: Session) -> Iterator[None]:
    ensure_demo_institutions(session)
    register_institution(session, fixmedins_code=SIGNED_ONLY, name="签名接入诊所", kind="community", hosp_lv="11",
                         secret=SECRET, auth_schemes="sm2", public_key=KEY.public)
    register_institution(session, fixmedins_code=GATEWAYED, name="网关接入诊所", kind="community", hosp_lv="11",
                         secret=SECRET, auth_schemes="tif")
    session.commit()
    yield


def envelope(code: str, infno: str, data: dict[str, Any], *, sign_no: str | None = None,
             cainfo: str | None = None, signtype: str | None = None, sequence: str | None = None,
             inf_time: str | None = None) -> dict[str, Any]:
    """An InCommon as the C# model serialises it (nulls included)."""
    msgid = f"{code}{dt.datetime.now():%Y%m%d%H%M%S}{sequence or f'{next(_serial) % 10000:04d}'}"
    return {"infno": infno, "msgid": msgid, "mdtrtarea_admvs": "330213", "insuplc_admdvs": "330213",
            "recer_sys_code": "YBXT", "dev_no": None, "dev_safe_info": None, "cainfo": cainfo, "signtype": signtype,
            "infver": "V1.0", "opter_type": "1", "opter": "T001", "opter_name": "收费员",
            "inf_time": inf_time or now().strftime("%Y-%m-%d %H:%M:%S"), "fixmedins_code": code,
            "fixmedins_name": "诊所", "sign_no": sign_no, "input": data}


def post(client: TestClient, body: dict[str, Any], headers: dict[str, str] | None = None) -> dict[str, Any]:
    answer = client.post(PATH, content=simplejson.dumps(body), headers={"content-type": "application/json",
                                                                       **(headers or {})})
    assert answer.status_code == 200
    result: dict[str, Any] = simplejson.loads(answer.content, use_decimal=True)
    return result


SIGN_IN = {"signIn": {"opter_no": "T001", "mac": "00-16-3E-00-00-01", "ip": "10.1.1.5"}}


def signed(body: dict[str, Any], key: KeyPair = KEY, *, encoding: str = "hex") -> dict[str, Any]:
    text = signing_text(body["fixmedins_code"], body["infno"], body["msgid"], body["inf_time"])
    signature = sm2_sign(key, text)
    body["cainfo"] = signature if encoding == "hex" else base64.b64encode(bytes.fromhex(signature)).decode()
    body["signtype"] = "SM2"
    return body


def tif(code: str, *, token: str = SECRET, nonce: str | None = None, stamp: int | None = None) -> dict[str, str]:
    timestamp = str(stamp if stamp is not None else int(time.time()))
    nonce = nonce or f"n{next(_serial)}{time.monotonic_ns()}"
    return {"x-tif-paasid": code, "x-tif-timestamp": timestamp, "x-tif-nonce": nonce,
            "x-tif-signature": tif_signature(timestamp, token, nonce)}


# --- SM2-signed cainfo


def test_a_signed_sign_in_is_accepted_and_its_sign_no_serves_later_calls(client: TestClient, session: Session,
                                                                         clinics: None) -> None:
    answer = post(client, signed(envelope(SIGNED_ONLY, "9001", SIGN_IN)))
    assert answer["infcode"] == 0, answer["err_msg"]
    out = answer["output"]["signinoutb"]
    assert len(out["sign_no"]) <= 30 and dt.datetime.strptime(out["sign_time"], "%Y-%m-%d %H:%M:%S")
    person = insured(session)
    info = post(client, envelope(SIGNED_ONLY, "1101", {"data": {"mdtrt_cert_type": "02",
                                                                 "mdtrt_cert_no": person.certno}},
                                 sign_no=out["sign_no"]))
    assert info["infcode"] == 0 and info["output"]["baseinfo"]["psn_no"] == person.psn_no
    b64 = post(client, signed(envelope(SIGNED_ONLY, "9001", SIGN_IN), encoding="base64"))
    assert b64["infcode"] == 0, b64["err_msg"]


@pytest.mark.parametrize("tamper", ["key", "msgid", "stale", "secret", "empty", "signtype", "long"])
def test_a_sign_in_that_is_not_the_institutions_is_refused(client: TestClient, clinics: None, tamper: str) -> None:
    body = envelope(SIGNED_ONLY, "9001", SIGN_IN)
    if tamper == "key":
        signed(body, generate_keypair())
    elif tamper == "msgid":
        signed(body)
        body["msgid"] = body["msgid"][:-1] + ("1" if body["msgid"][-1] != "1" else "2")
    elif tamper == "stale":
        body["inf_time"] = (now() - dt.timedelta(minutes=10)).strftime("%Y-%m-%d %H:%M:%S")
        signed(body)
    elif tamper == "secret":
        body["cainfo"] = SECRET  # this clinic has no plain-secret mode
    elif tamper == "signtype":
        signed(body)
        body["signtype"] = "RSA"
    elif tamper == "long":
        body["cainfo"] = "0" * 1024  # as long as the spec allows: read, and refused as a bad signature
    answer = post(client, body)
    assert answer["infcode"] == -1 and error_code(answer) == "gateway_auth_failed", answer


def test_a_signed_sign_in_replayed_is_refused(client: TestClient, clinics: None) -> None:
    body = signed(envelope(SIGNED_ONLY, "9001", SIGN_IN))
    assert post(client, body)["infcode"] == 0
    again = post(client, body)
    assert again["infcode"] == -1 and "重放" in again["err_msg"]


# --- x-tif gateway headers, apikey, the plain secret


def test_gateway_headers_sign_in_and_then_ride_on_every_call(client: TestClient, session: Session,
                                                             clinics: None) -> None:
    answer = post(client, envelope(GATEWAYED, "9001", SIGN_IN), tif(GATEWAYED))
    assert answer["infcode"] == 0, answer["err_msg"]
    sign_no = answer["output"]["signinoutb"]["sign_no"]
    person = insured(session)
    query = {"data": {"mdtrt_cert_type": "02", "mdtrt_cert_no": person.certno}}
    assert post(client, envelope(GATEWAYED, "1101", query, sign_no=sign_no), tif(GATEWAYED))["infcode"] == 0
    bare = post(client, envelope(GATEWAYED, "1101", query, sign_no=sign_no))  # without the gateway's headers
    assert error_code(bare) == "gateway_auth_failed" and "网关请求头" in bare["err_msg"]


@pytest.mark.parametrize("tamper", ["token", "stale", "paasid", "nonce_reused", "not_a_number"])
def test_bad_gateway_headers_are_refused(client: TestClient, clinics: None, tamper: str) -> None:
    headers = tif(GATEWAYED)
    if tamper == "token":
        headers = tif(GATEWAYED, token="wrong")
    elif tamper == "stale":
        headers = tif(GATEWAYED, stamp=int(time.time()) - 400)
    elif tamper == "paasid":
        headers["x-tif-paasid"] = COMMUNITY
    elif tamper == "nonce_reused":
        assert post(client, envelope(GATEWAYED, "9001", SIGN_IN), headers)["infcode"] == 0
    elif tamper == "not_a_number":
        headers["x-tif-timestamp"] = "yesterday"
    answer = post(client, envelope(GATEWAYED, "9001", SIGN_IN), headers)
    assert answer["infcode"] == -1 and error_code(answer) == "gateway_auth_failed", answer


def test_apikey_and_the_demo_secret(client: TestClient, clinics: None) -> None:
    assert post(client, envelope(COMMUNITY, "9001", SIGN_IN), {"apikey": DEMO_HIS_SECRET})["infcode"] == 0
    wrong = post(client, envelope(COMMUNITY, "9001", SIGN_IN), {"apikey": "nope"})
    assert error_code(wrong) == "gateway_auth_failed"
    legacy = post(client, envelope(COMMUNITY, "9001", SIGN_IN, cainfo=DEMO_HIS_SECRET))  # the demo's legacy mode
    assert legacy["infcode"] == 0
    not_enabled = post(client, envelope(GATEWAYED, "9001", SIGN_IN, cainfo=SECRET))
    assert error_code(not_enabled) == "gateway_auth_failed"


def test_wrong_9001_secrets_are_throttled(client: TestClient, clinics: None, monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue 19 item 3: 30 wrong secrets were all answered; now, past the free attempts, the caller waits
    (even with the right secret), and a call from another address is not held up."""
    from yibao.access import throttle
    from yibao.access.throttle import LIMITS

    stopped = now()
    monkeypatch.setattr(throttle, "now", lambda: stopped)  # the clock stopped: no wait runs out mid-test

    free = next(limit.free for limit in LIMITS if limit.scope == "pair")
    answers = [post(client, envelope(COMMUNITY, "9001", SIGN_IN, cainfo=f"guess-{i}")) for i in range(free + 1)]
    assert [error_code(a) for a in answers[:free]] == ["gateway_auth_failed"] * free
    assert error_code(answers[-1]) == "too_many_attempts" and "秒后再试" in answers[-1]["err_msg"]
    waiting = post(client, envelope(COMMUNITY, "9001", SIGN_IN, cainfo=DEMO_HIS_SECRET))
    assert error_code(waiting) == "too_many_attempts"
    with TestClient(client.app, client=("10.1.2.3", 5000)) as other:
        assert post(other, envelope(COMMUNITY, "9001", SIGN_IN, cainfo=DEMO_HIS_SECRET))["infcode"] == 0
    assert post(client, envelope(COMMUNITY, "9001", SIGN_IN), {"apikey": DEMO_HIS_SECRET})["infcode"] == 0


def test_staff_switch_an_institution_to_signatures(client: TestClient, session: Session, clinics: None) -> None:
    set_gateway_access(session, PEOPLES, auth_schemes="sm2", public_key=KEY.public)
    session.commit()
    assert error_code(post(client, envelope(PEOPLES, "9001", SIGN_IN, cainfo=DEMO_HIS_SECRET))) == (
        "gateway_auth_failed")
    assert post(client, signed(envelope(PEOPLES, "9001", SIGN_IN)))["infcode"] == 0


# --- 9002 sign-out


def test_sign_out_ends_the_sign_no(client: TestClient, session: Session, clinics: None) -> None:
    sign_no = post(client, envelope(COMMUNITY, "9001", SIGN_IN), {"apikey": DEMO_HIS_SECRET}
                   )["output"]["signinoutb"]["sign_no"]
    other = post(client, envelope(PEOPLES, "9001", SIGN_IN), {"apikey": DEMO_HIS_SECRET})["output"]["signinoutb"]
    refused = post(client, envelope(COMMUNITY, "9002", {"signOut": {"sign_no": other["sign_no"], "opter_no": "T001"}},
                                    sign_no=sign_no))
    assert refused["infcode"] == -1 and "不是本机构" in refused["err_msg"]
    out = post(client, envelope(COMMUNITY, "9002", {"signOut": {"sign_no": sign_no, "opter_no": "T001"}},
                                sign_no=sign_no))
    assert out["infcode"] == 0 and "sign_time" in out["output"]["signoutoutb"]
    person = insured(session)
    after = post(client, envelope(COMMUNITY, "1101", {"data": {"mdtrt_cert_type": "02",
                                                               "mdtrt_cert_no": person.certno}}, sign_no=sign_no))
    assert after["infcode"] == -1 and "重新签到" in after["err_msg"]


# --- what the spec allows


def _signed_in(client: TestClient) -> str:
    sign_no: str = post(client, envelope(COMMUNITY, "9001", SIGN_IN), {"apikey": DEMO_HIS_SECRET}
                        )["output"]["signinoutb"]["sign_no"]
    return sign_no


@pytest.mark.parametrize(("sequence", "ok"), [("1", True), ("12", True), ("0001", True), ("00001", False),
                                               ("x1", False)])
def test_msgid_takes_a_sequence_of_one_to_four_digits(client: TestClient, session: Session, clinics: None,
                                                      sequence: str, ok: bool) -> None:
    person = insured(session)
    body = envelope(COMMUNITY, "1101", {"data": {"mdtrt_cert_type": "02", "mdtrt_cert_no": person.certno}},
                    sign_no=_signed_in(client), sequence=sequence)
    answer = post(client, body)
    assert (answer["infcode"] == 0) is ok, answer["err_msg"]
    if not ok:
        assert "27–30 位" in answer["err_msg"]


def test_provincial_variants_and_the_clients_date_times(client: TestClient, session: Session,
                                                        clinics: None) -> None:
    person = insured(session)
    sign_no = _signed_in(client)
    day = "2022-06-15"
    registered = post(client, envelope(COMMUNITY, "2201", {"data": {
        "psn_no": person.psn_no, "insutype": "390", "begntime": f"{day}T08:30:00.1234567", "mdtrt_cert_type": "02",
        "mdtrt_cert_no": person.certno}}, sign_no=sign_no))
    assert registered["infcode"] == 0, registered["err_msg"]
    mdtrt_id = registered["output"]["data"]["mdtrt_id"]
    info = post(client, envelope(COMMUNITY, "2203A", {"mdtrtinfo": {
        "mdtrt_id": mdtrt_id, "psn_no": person.psn_no, "med_type": "11", "begntime": f"{day}T08:30:00",
        "dise_codg": "J06.9", "dise_name": "上呼吸道感染"}}, sign_no=sign_no))
    assert info["infcode"] == 0, info["err_msg"]
    one = post(client, envelope(COMMUNITY, "2204", {"feedetail": {  # one line sent as an object, amounts as text
        "feedetl_sn": "1", "mdtrt_id": mdtrt_id, "psn_no": person.psn_no, "fee_ocur_time": f"{day}T09:00:00",
        "med_list_codg": "XJ01CAA040A001010101445", "cnt": "2", "pric": "18.50", "det_item_fee_sumamt": "37.00"}},
        sign_no=sign_no))
    assert one["infcode"] == 0, one["err_msg"]
    assert [r["det_item_fee_sumamt"] for r in one["output"]["result"]] == [37]


@pytest.mark.parametrize("via", ["x-tif", "signed 9001"])
def test_a_replay_to_another_worker_is_refused(client: TestClient, clinics: None, via: str) -> None:
    """Issue 18: the replay memory was each process's own, so the same x-tif nonce (or signed sign-in) sent to a
    second `yibao serve` worker was accepted. With the nonces in the database (gateway_nonces) a second worker —
    here a second memory, as another process has — refuses it. Both databases."""
    client.app.state.gateway_seen = Seen(shared=True)  # type: ignore[attr-defined]
    headers = tif(GATEWAYED) if via == "x-tif" else {}
    body = envelope(GATEWAYED, "9001", SIGN_IN) if via == "x-tif" else signed(envelope(SIGNED_ONLY, "9001", SIGN_IN))
    assert post(client, body, headers)["infcode"] == 0
    client.app.state.gateway_seen = Seen(shared=True)  # type: ignore[attr-defined]  # "another worker"
    again = post(client, body if via != "x-tif" else envelope(GATEWAYED, "9001", SIGN_IN), headers)
    assert again["infcode"] == -1 and "重放" in again["err_msg"], again
