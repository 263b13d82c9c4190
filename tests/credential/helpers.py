"""The e-credential as the tests drive it: a partner channel with its own SM2 key, a resident signed in on the
pages, an institution decoding at the counter (POLICY.md §10)."""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.gateway.his import HIS
from yibao.credential.channels import TIME_FORMAT, sign_activation
from yibao.credential.service import register_channel
from yibao.kit.clock import now
from yibao.kit.gm import KeyPair, generate_keypair
from yibao.people.models import Person
from yibao.people.service import open_resident_account

PASSWORD = "my-secret-9"
_serial = itertools.count(1)
CHANNEL_KEYS: dict[str, KeyPair] = {}


def channel(session: Session, code: str = "alipay", name: str = "支付宝") -> KeyPair:
    """A registered partner channel and its private key (generated once per test session)."""
    key = CHANNEL_KEYS.setdefault(code, generate_keypair())
    register_channel(session, code=code, name=name, public_key=key.public)
    session.commit()
    return key


def activation(key: KeyPair, person: Person, *, code: str = "alipay", name: str | None = None,
               moment: dt.datetime | None = None, **changes: Any) -> dict[str, Any]:
    message = {"channel": code, "request_id": f"REQ{next(_serial):06d}{id(key) % 1000}",
               "timestamp": (moment or now()).strftime(TIME_FORMAT), "certno": person.certno,
               "name": name or person.name, "face_verified": True, "device_id": "iPhone-15"} | changes
    return sign_activation(key, message)


def activate(client: TestClient, key: KeyPair, person: Person, **changes: Any) -> dict[str, Any]:
    answer = client.post("/ec/api/activate", json=activation(key, person, **changes))
    assert answer.status_code == 200
    body: dict[str, Any] = answer.json()
    return body


def sign_in_resident(client: TestClient, session: Session, person: Person) -> None:
    open_resident_account(session, psn_no=person.psn_no, password=PASSWORD, actor="t")
    session.commit()
    client.cookies.clear()
    assert client.post("/me/login", data={"certno": person.certno, "password": PASSWORD},
                       follow_redirects=False).status_code == 303


def my_code(client: TestClient, relative: str | None = None) -> str:
    answer = client.get("/api/me/ecard", params={"for": relative} if relative else None)
    assert answer.status_code == 200, answer.text
    text: str = answer.json()["qrcode"]
    return text


def decode(client: TestClient, his: HIS, qr: str, *, business_type: str = "01101",
           org_id: str | None = None) -> dict[str, Any]:
    body = {"data": {"orgId": org_id or his.code, "businessType": business_type, "operatorId": "T001",
                     "operatorName": "收费员甲", "officeId": "A01", "officeName": "内科", "qrCode": qr}}
    answer = his.client.post("/ec/api/query", json=body,
                             headers={"fixmedins_code": his.code, "sign_no": his.sign_no or ""})
    assert answer.status_code == 200
    result: dict[str, Any] = answer.json()
    return result


def token_of(client: TestClient, his: HIS, qr: str) -> str:
    answer = decode(client, his, qr)
    assert answer["code"] == 0, answer
    token: str = answer["data"]["ecToken"]
    return token
