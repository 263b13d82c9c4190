"""What an activation channel sends, and how yibao checks it came from that channel.

A channel (the national app, 浙里办, Alipay, WeChat, a bank app) does the real-name and real-person (face)
checks itself and sends yibao, as JSON:

    {"channel": "alipay", "request_id": "…", "timestamp": "2026-12-02 10:00:00", "certno": "…", "name": "…",
     "face_verified": true, "device_id": "…", "sign": "<SM2 signature, hex>"}

`sign` is the channel's SM2 signature (kit/gm.py: default user ID, raw r ‖ s or DER, hex) of the signing text:
every other field that is not null, sorted by name, as `name=value` joined by `&`, booleans as `true`/`false`,
in UTF-8 — e.g. `certno=…&channel=alipay&device_id=…&face_verified=true&name=…&request_id=…&timestamp=…`.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, NamedTuple

from sqlalchemy.orm import Session

from yibao.credential.errors import (
    BadChannelSignature,
    FaceCheckMissing,
    MalformedActivation,
    StaleActivation,
    UnknownChannel,
)
from yibao.credential.models import Channel
from yibao.credential.rules import CredentialParameters
from yibao.kit.gm import KeyPair, sm2_sign, sm2_verify

FIELDS = {"channel": 20, "request_id": 64, "timestamp": 19, "certno": 18, "name": 50, "device_id": 64}
REQUIRED = ("channel", "request_id", "timestamp", "certno", "name")
TIME_FORMAT = "%Y-%m-%d %H:%M:%S"


class Activation(NamedTuple):
    channel: str
    request_id: str
    certno: str
    name: str
    device_id: str | None


def signing_text(message: dict[str, Any]) -> bytes:
    def text(value: Any) -> str:
        return ("true" if value else "false") if isinstance(value, bool) else str(value)

    return "&".join(f"{key}={text(message[key])}" for key in sorted(message)
                    if key != "sign" and message[key] is not None).encode()


def sign_activation(key: KeyPair, message: dict[str, Any]) -> dict[str, Any]:
    """The message with its `sign` (what a channel does; yibao's demo channel and the tests use it)."""
    return {**message, "sign": sm2_sign(key, signing_text(message))}


def _fields(message: Any) -> dict[str, str | None]:
    if not isinstance(message, dict):
        raise MalformedActivation(problem="请求体应为 JSON 对象")
    fields: dict[str, str | None] = {}
    for name, limit in FIELDS.items():
        value = message.get(name)
        if value is None or value == "":
            if name in REQUIRED:
                raise MalformedActivation(problem=f"缺少 {name}", field=name)
            fields[name] = None
            continue
        if not isinstance(value, str) or len(value) > limit or "\x00" in value:
            raise MalformedActivation(problem=f"{name} 应为不超过 {limit} 个字符的字符串", field=name)
        fields[name] = value.strip()
    if not isinstance(message.get("sign"), str) or not message["sign"]:
        raise MalformedActivation(problem="缺少渠道签名 sign", field="sign")
    return fields


def verify_activation(session: Session, message: Any, moment: dt.datetime,
                      params: CredentialParameters) -> Activation:
    """The activation a channel signed, once its channel, signature, time and face check are verified."""
    fields = _fields(message)
    channel = session.get(Channel, fields["channel"])
    if channel is None or channel.status != "active":
        raise UnknownChannel(channel=fields["channel"])
    if not sm2_verify(channel.public_key, signing_text(message), str(message["sign"])):
        raise BadChannelSignature(channel=channel.code)
    try:
        sent = dt.datetime.strptime(str(fields["timestamp"]), TIME_FORMAT)
    except ValueError as exc:
        raise MalformedActivation(problem="timestamp 应为 yyyy-MM-dd HH:mm:ss", field="timestamp") from exc
    if abs((moment - sent).total_seconds()) > params.activation_skew_seconds:
        raise StaleActivation(timestamp=fields["timestamp"], seconds=params.activation_skew_seconds)
    if message.get("face_verified") is not True:
        raise FaceCheckMissing()
    return Activation(channel.code, str(fields["request_id"]), str(fields["certno"]).upper(), str(fields["name"]),
                      fields["device_id"])
