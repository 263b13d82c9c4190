"""How a hospital system proves who it is at the gateway (INTERFACE.md "How institutions authenticate"), each
scheme enabled per institution (`institutions.auth_schemes`):

- **sm2** — the envelope's `cainfo` (up to 1024 characters) is the institution's SM2 signature (kit/gm.py: user
  ID 1234567812345678, SM3 digest; raw r ‖ s or DER, as hex or base64) of the signing text
  `fixmedins_code|infno|msgid|inf_time`, verified with its registered public key; `signtype` SM2 or SM3 (or
  empty); `inf_time` within the clock-skew window, and the msgid not seen before in it.
- **tif** — a provincial gateway in front adds `x-tif-paasid` (the institution's code or its paas id),
  `x-tif-timestamp` (seconds), `x-tif-nonce` and `x-tif-signature` = hex SHA-256 of timestamp + token + nonce +
  timestamp, with the institution's token; within the window, each nonce once.
- **apikey** — an `apikey` header carrying the institution's token.
- **secret** — the plain interface secret in `cainfo` (the demo and earlier integrations): only where enabled.

9001 needs one of the institution's schemes. Later calls carry the sign-in's `sign_no`; gateway headers
(x-tif, apikey), when a call carries them, are verified on every call, and an institution whose only scheme is
tif or apikey must carry them on every call, as a gateway in front does.

Replay: nonces and signed msgids are remembered for the window in each worker process (ASSUMPTION: a replay to
another worker within the window is bounded by the window and, for writes, by the msgid's idempotency).
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import hmac
import threading
from collections.abc import MutableMapping
from typing import Any, NamedTuple, Protocol

from sqlalchemy import delete

from yibao.access.throttle import check_secret
from yibao.adapters.gateway.envelope import parse_time
from yibao.errors import Unauthorized
from yibao.institutions.models import InstitutionRecord
from yibao.kit.gm import sm2_verify
from yibao.settlement.models import GatewayNonce
from yibao.statements import Insert, orm_session

SKEW_SECONDS = 300  # ASSUMPTION: the clock-skew window of a signed call, either way (INTERFACE.md gives none)
SCHEME_LABELS = {"sm2": "数字签名（cainfo，SM2）", "tif": "网关请求头（x-tif-*）", "apikey": "apikey 请求头",
                 "secret": "接口密钥明文（cainfo，演示/旧接入）"}
HEADER_ONLY = {"tif", "apikey"}
SIGN_TYPES = ("", "SM2", "SM3", "SM2WITHSM3", "SM3WITHSM2")


class Headers(NamedTuple):
    """The authentication headers of one call (absent ones empty), and the caller's address (the throttle
    of 9001 secrets keys on it)."""

    tif_paasid: str = ""
    tif_timestamp: str = ""
    tif_nonce: str = ""
    tif_signature: str = ""
    apikey: str = ""
    client: str = ""


HEADER_NAMES = {b"x-tif-paasid": 0, b"x-tif-timestamp": 1, b"x-tif-nonce": 2, b"x-tif-signature": 3, b"apikey": 4}


def headers_of(scope: MutableMapping[str, Any]) -> Headers:
    """The authentication headers among an ASGI request's headers (names are lower case there)."""
    found = ["", "", "", "", "", ""]
    for name, value in scope["headers"]:
        index = HEADER_NAMES.get(name)
        if index is not None:
            found[index] = value.decode("latin-1").strip()[:200]
    client = scope.get("client")
    found[5] = str(client[0]) if client else ""
    return Headers(*found)


class Replays(Protocol):
    def first_time(self, who: str, nonce: str, moment: dt.datetime) -> bool: ...


class Seen:
    """x-tif nonces and signed 9001 msgids within the window, each accepted once. In this process's memory (one
    server process: SQLite's way), or `shared` in the database for every process (PostgreSQL's several workers):
    `on(unit)` is then the call's own transaction's view."""

    def __init__(self, *, shared: bool = False) -> None:
        self.shared = shared
        self._seen: dict[tuple[str, str], dt.datetime] = {}
        self._lock = threading.Lock()
        self._inserted = 0

    def on(self, db: Any) -> Replays:
        return _SharedSeen(self, db) if self.shared and db is not None else self

    def first_time(self, who: str, nonce: str, moment: dt.datetime) -> bool:
        window = dt.timedelta(seconds=SKEW_SECONDS)
        with self._lock:
            if len(self._seen) > 50_000:
                for key in [k for k, at in self._seen.items() if at + 2 * window < moment]:
                    del self._seen[key]
            if (who, nonce) in self._seen:
                return False
            self._seen[(who, nonce)] = moment
            return True


_NONCES = Insert(GatewayNonce, on_conflict_do_nothing=True)
_PRUNE_EVERY = 1000


class _SharedSeen:
    """A nonce is new if this transaction can insert it; a concurrent twin waits on the first one's row and then
    inserts nothing. A call that fails rolls its nonce back with it (it changed nothing, so it may come again)."""

    def __init__(self, seen: Seen, db: Any) -> None:
        self.seen, self.db = seen, db

    def first_time(self, who: str, nonce: str, moment: dt.datetime) -> bool:
        inserted = _NONCES.row(self.db, {"fixmedins_code": who, "nonce": nonce[:80], "seen_at": moment})
        self.seen._inserted += 1
        if self.seen._inserted % _PRUNE_EVERY == 0:  # the window is long past for these: forget them
            orm_session(self.db).execute(delete(GatewayNonce).where(
                GatewayNonce.seen_at < moment - dt.timedelta(seconds=2 * SKEW_SECONDS)))
        return inserted == 1


def schemes(institution: InstitutionRecord) -> set[str]:
    return {s.strip() for s in institution.auth_schemes.split(",") if s.strip()}


class WrongSecret(Unauthorized):
    """A 9001 whose cainfo is not the institution's secret (counted by the sign-in throttle)."""

    code = "gateway_auth_failed"


def _refuse(message: str, field: str) -> Unauthorized:
    return Unauthorized(message, code="gateway_auth_failed", field=field)


def _in_window(stamp: dt.datetime, moment: dt.datetime) -> bool:
    return abs((moment - stamp).total_seconds()) <= SKEW_SECONDS


def check_headers(institution: InstitutionRecord, headers: Headers, moment: dt.datetime, seen: Replays) -> str | None:
    """The header scheme this call proved itself with (None: it carries none); refused if one is wrong, or if
    the institution may use nothing else and the call carries none."""
    allowed = schemes(institution)
    if headers.tif_signature or headers.tif_timestamp or headers.tif_nonce:
        _check_tif(institution, headers, moment, seen, allowed)
        return "tif"
    if headers.apikey:
        if "apikey" not in allowed or not institution.gateway_token or not hmac.compare_digest(
                headers.apikey.encode(), institution.gateway_token.encode()):
            raise _refuse("apikey 不正确或本机构未启用 apikey 接入", "apikey")
        return "apikey"
    if allowed and allowed <= HEADER_ONLY:
        labels = "、".join(SCHEME_LABELS[s] for s in sorted(allowed))
        raise _refuse(f"本机构须经网关请求头接入（{labels}）", "x-tif-signature")
    return None


def _check_tif(institution: InstitutionRecord, headers: Headers, moment: dt.datetime, seen: Replays,
               allowed: set[str]) -> None:
    if "tif" not in allowed or not institution.gateway_token:
        raise _refuse("本机构未启用网关请求头（x-tif）接入", "x-tif-signature")
    if headers.tif_paasid not in (institution.fixmedins_code, institution.paas_id or institution.fixmedins_code):
        raise _refuse("x-tif-paasid 与机构编码不一致", "x-tif-paasid")
    try:
        stamp = dt.datetime.fromtimestamp(int(headers.tif_timestamp))
    except (ValueError, OverflowError, OSError):
        raise _refuse("x-tif-timestamp 应为秒级时间戳", "x-tif-timestamp") from None
    if not _in_window(stamp, moment):
        raise _refuse(f"x-tif-timestamp 与服务器时间相差超过 {SKEW_SECONDS} 秒，请校准时钟后重试", "x-tif-timestamp")
    if not headers.tif_nonce or len(headers.tif_nonce) > 64:
        raise _refuse("缺少 x-tif-nonce（每次请求不同的随机串）", "x-tif-nonce")
    expected = tif_signature(headers.tif_timestamp, institution.gateway_token, headers.tif_nonce)
    if not hmac.compare_digest(expected, headers.tif_signature.lower()):
        raise _refuse("x-tif-signature 验证失败", "x-tif-signature")
    if not seen.first_time(institution.fixmedins_code, "tif:" + headers.tif_nonce, moment):
        raise _refuse("x-tif-nonce 已使用过（重放的请求）", "x-tif-nonce")


def tif_signature(timestamp: str, token: str, nonce: str) -> str:
    return hashlib.sha256(f"{timestamp}{token}{nonce}{timestamp}".encode()).hexdigest()


def signing_text(fixmedins_code: str, infno: str, msgid: str, inf_time: str) -> bytes:
    return f"{fixmedins_code}|{infno}|{msgid}|{inf_time}".encode()


def _signature_hex(cainfo: str) -> str | None:
    text = cainfo.strip()
    try:
        bytes.fromhex(text)
        return text
    except ValueError:
        pass
    try:
        return base64.b64decode(text, validate=True).hex()
    except (binascii.Error, ValueError):
        return None


def check_sign_in(institution: InstitutionRecord, *, cainfo: str | None, signtype: str | None, msgid: str,
                  infno: str, inf_time: str | None, moment: dt.datetime, seen: Replays) -> str:
    """9001 without gateway headers: the scheme `cainfo` proves (sm2 signature, or the plain secret)."""
    allowed = schemes(institution)
    if not cainfo:
        raise _refuse("签到须有机构的数字签名（cainfo）或网关请求头（x-tif-*、apikey）", "cainfo")
    signature = _signature_hex(cainfo) if "sm2" in allowed and institution.public_key else None
    if signature is not None and len(signature) >= 128:
        if (signtype or "").upper() not in SIGN_TYPES:
            raise _refuse(f"签名类型 signtype {signtype!r} 不受理，请用 SM2", "signtype")
        stamp = _inf_time(inf_time)
        if stamp is None or not _in_window(stamp, moment):
            raise _refuse(f"inf_time 缺失或与服务器时间相差超过 {SKEW_SECONDS} 秒", "inf_time")
        text = signing_text(institution.fixmedins_code, infno, msgid, inf_time or "")
        if not sm2_verify(institution.public_key or "", text, signature):
            raise _refuse("cainfo 数字签名验证失败：请用本机构登记的 SM2 私钥签名", "cainfo")
        if not seen.first_time(institution.fixmedins_code, "msgid:" + msgid, moment):
            raise _refuse("该签到报文已使用过（重放的请求）", "msgid")
        return "sm2"
    if "secret" in allowed and check_secret(cainfo, institution.secret_hash):
        return "secret"
    message = "机构签到失败：cainfo 不是本机构的有效签名或接口密钥"
    if "secret" in allowed:  # a wrong secret is a guess: the door counts it (access/throttle)
        raise WrongSecret(message, field="cainfo")
    raise _refuse(message, "cainfo")


def _inf_time(text: str | None) -> dt.datetime | None:
    return parse_time(text.strip()) if text else None
