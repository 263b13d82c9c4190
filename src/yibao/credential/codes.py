"""The dynamic QR code's text (POLICY.md §10: 动态二维码). Pure: the key ring, the time and the facts come in.

    YBEC1.<kid>.<body>.<signature>

- `body`: base64url of IV ‖ SM4-CBC(the key's SM4 key, IV, JSON {"i": ecIndexNo, "t": issued yyyyMMddHHmmss,
  "v": validity in seconds, "n": nonce}): what the code says is not readable off a photograph of it;
- `signature`: base64url of the SM2 signature (raw r ‖ s, kit/gm.py) by the key `kid` of "YBEC1.<kid>.<body>".

A code is valid from its issue time for `v` seconds; its nonce is recorded when it is decoded, so a decoded code
(or a screenshot of it) never decodes again.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
import secrets
from typing import NamedTuple

from yibao.credential.errors import CodeExpired, ForgedCode, MalformedCode
from yibao.credential.keys import KeyRing
from yibao.credential.rules import CredentialParameters
from yibao.kit.gm import sm2_sign, sm2_verify, sm4_decrypt, sm4_encrypt

PREFIX = "YBEC1"
CLOCK_SKEW = dt.timedelta(seconds=5)  # a code "issued" this far in the future still reads (clocks differ)
MAX_CODE_LENGTH = 600


class IssuedCode(NamedTuple):
    text: str
    ec_index_no: str
    issued_at: dt.datetime
    expires_at: dt.datetime
    nonce: str


class CodeClaims(NamedTuple):
    ec_index_no: str
    issued_at: dt.datetime
    expires_at: dt.datetime
    nonce: str


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def issue_code(ring: KeyRing, ec_index_no: str, moment: dt.datetime, params: CredentialParameters) -> IssuedCode:
    key = ring.current
    nonce = secrets.token_hex(16)
    claims = {"i": ec_index_no, "t": f"{moment:%Y%m%d%H%M%S}", "v": params.code_seconds, "n": nonce}
    body = _b64(sm4_encrypt(key.sm4, json.dumps(claims, separators=(",", ":")).encode()))
    signed = f"{PREFIX}.{key.kid}.{body}"
    signature = _b64(bytes.fromhex(sm2_sign(key.pair, signed.encode())))
    return IssuedCode(f"{signed}.{signature}", ec_index_no, moment, moment + params.code_validity, nonce)


def read_code(ring: KeyRing, text: str, moment: dt.datetime, params: CredentialParameters) -> CodeClaims:
    """What a scanned code says, once its signature is verified and its time checked."""
    parts = text.strip().split(".")
    if len(text) > MAX_CODE_LENGTH or len(parts) != 4 or parts[0] != PREFIX:
        raise MalformedCode()
    _, kid, body, signature = parts
    key = ring.trusted(kid, moment, params.code_validity)
    if key is None:  # unknown or long-retired key: not a code yibao signed, or far too old
        raise ForgedCode()
    try:
        raw_signature = _unb64(signature).hex()
        sealed = _unb64(body)
    except (binascii.Error, ValueError) as exc:
        raise MalformedCode() from exc
    if not sm2_verify(key.pair.public, f"{PREFIX}.{kid}.{body}".encode(), raw_signature):
        raise ForgedCode()
    try:
        claims = json.loads(sm4_decrypt(key.sm4, sealed))
        issued = dt.datetime.strptime(claims["t"], "%Y%m%d%H%M%S")
        validity = dt.timedelta(seconds=int(claims["v"]))
        ec_index_no, nonce = str(claims["i"]), str(claims["n"])
    except (ValueError, KeyError, TypeError) as exc:  # signed by us yet unreadable: treat as forged
        raise ForgedCode() from exc
    expires = issued + validity
    if moment >= expires or issued > moment + CLOCK_SKEW:
        raise CodeExpired(seconds=params.code_seconds)
    return CodeClaims(ec_index_no, issued, expires, nonce)
