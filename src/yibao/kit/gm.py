"""The GM/T algorithms yibao uses (POLICY.md §10: "国密算法 SM2/SM3/SM4"), over gmssl (PyPI, pure Python).

Conventions, as the national e-credential SDK and the national interface's `cainfo` use them:
- **SM2 signature** (GM/T 0003.2 / GB/T 32918.2): e = SM3(Z_A ‖ M), Z_A = SM3(ENTL ‖ ID ‖ a ‖ b ‖ x_G ‖ y_G ‖
  x_A ‖ y_A) with the default user ID "1234567812345678" (GM/T 0009-2012 §10); the signature is r ‖ s, 32 bytes
  each, as 128 hex digits ("raw"); a DER `SEQUENCE {r, s}` is accepted on verification too.
- **SM2 keys**: the private key d as 64 hex digits, d ∈ [1, n-2]; the public key uncompressed, "04" ‖ x ‖ y
  (130 hex digits); a public key of 128 hex digits (no "04") is accepted.
- **SM2 encryption**, where a partner needs it: C1 ‖ C3 ‖ C2 (GM/T 0009; gmssl mode=1). yibao itself encrypts
  with SM4.
- **SM3** (GM/T 0004): 32-byte digests, as 64 lower-case hex digits.
- **SM4** (GM/T 0002) in CBC mode with PKCS#7 padding and a random 16-byte IV sent in front of the ciphertext.

Three things gmssl does that these wrappers do not let through: it draws the signature's random k from
`random` (not a cryptographic source; here k comes from `secrets`); it strips a public key's "04" prefix with
`lstrip`, which also eats a leading "0"/"4" of x (here the prefix is cut by length); it hard-codes the user ID
(here Z_A is computed with the ID given). Known-answer tests: tests/credential/test_gm.py (GB/T 32918.5
Annex A, GB/T 32905 Annex A, GB/T 32907 Annex A).
"""

from __future__ import annotations

import binascii
import hashlib
import secrets
from typing import NamedTuple

from Cryptodome.Util.asn1 import DerSequence
from gmssl import sm3, sm4  # type: ignore[import-untyped]
from gmssl.sm2 import CryptSM2, default_ecc_table  # type: ignore[import-untyped]

DEFAULT_USER_ID = b"1234567812345678"
_N = int(default_ecc_table["n"], 16)
_CURVE = (default_ecc_table["a"] + default_ecc_table["b"] + default_ecc_table["g"]).lower()


class KeyPair(NamedTuple):
    private: str  # 64 hex digits
    public: str  # "04" + x + y, 130 hex digits


_OPENSSL_SM3 = "sm3" in hashlib.algorithms_available  # ~100× faster than gmssl's pure-Python SM3


def sm3_digest(data: bytes) -> bytes:
    if _OPENSSL_SM3:
        return hashlib.new("sm3", data).digest()
    return bytes.fromhex(sm3.sm3_hash(list(data)))


def sm3_hex(data: bytes) -> str:
    return sm3_digest(data).hex()


def check_public_key(public: str) -> str:
    """x ‖ y (128 hex digits) of a public key given with or without its "04" prefix; ValueError otherwise."""
    key = public.strip().lower()
    if len(key) == 130 and key.startswith("04"):
        key = key[2:]
    if len(key) != 128:
        raise ValueError("SM2 公钥应为 04 开头的 130 位十六进制（或 128 位）")
    int(key, 16)
    return key


def _engine(private: str, public: str) -> CryptSM2:
    engine = CryptSM2(private_key=private, public_key="00" * 64)
    engine.public_key = check_public_key(public)  # set after construction: gmssl's own lstrip("04") would mangle x
    return engine


def public_key_of(private: str) -> str:
    d = int(private, 16)
    if not 1 <= d <= _N - 2:
        raise ValueError("SM2 私钥超出范围")
    point = _engine(private, "00" * 64)._kg(d, default_ecc_table["g"])
    return "04" + str(point)


def generate_keypair() -> KeyPair:
    private = f"{secrets.randbelow(_N - 2) + 1:064x}"
    return KeyPair(private, public_key_of(private))


def z_value(public: str, user_id: bytes = DEFAULT_USER_ID) -> bytes:
    """Z_A: the hash of the signer's identity and key that SM2 signatures cover (GB/T 32918.2 §5.5)."""
    entl = (len(user_id) * 8).to_bytes(2, "big")
    return sm3_digest(entl + user_id + bytes.fromhex(_CURVE + check_public_key(public)))


def _digest(public: str, message: bytes, user_id: bytes) -> bytes:
    return sm3_digest(z_value(public, user_id) + message)


def sm2_sign(key: KeyPair, message: bytes, *, user_id: bytes = DEFAULT_USER_ID, k: str | None = None) -> str:
    """The raw r ‖ s signature (128 hex digits) of `message` (k only for known-answer tests)."""
    engine = _engine(key.private, key.public)
    e = _digest(key.public, message, user_id)
    while True:
        signature = engine.sign(e, k or f"{secrets.randbelow(_N - 1) + 1:064x}")
        if signature is not None:
            return str(signature)
        if k is not None:
            raise ValueError("给定的随机数 k 不能产生有效签名")


def _r_s(signature: str) -> tuple[int, int] | None:
    text = signature.strip()
    try:
        raw = binascii.unhexlify(text)
    except (binascii.Error, ValueError):
        return None
    if len(raw) == 64:
        return int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big")
    if len(raw) > 8 and raw[0] == 0x30:  # DER SEQUENCE { INTEGER r, INTEGER s }
        try:
            sequence = DerSequence()
            sequence.decode(raw, strict=True)
            if len(sequence) == 2 and sequence.hasOnlyInts():
                r, s = sequence[0], sequence[1]
                return (r, s) if isinstance(r, int) and isinstance(s, int) else None
        except (ValueError, TypeError, IndexError):
            return None
    return None


def sm2_verify(public: str, message: bytes, signature: str, *, user_id: bytes = DEFAULT_USER_ID) -> bool:
    """Whether `signature` (raw r ‖ s hex, or DER hex) is `public`'s signature of `message`; never raises."""
    r_s = _r_s(signature)
    if r_s is None:
        return False
    r, s = r_s
    if not (1 <= r < _N and 1 <= s < _N):
        return False
    try:
        engine = _engine("00", public)
        return bool(engine.verify(f"{r:064x}{s:064x}", _digest(public, message, user_id)))
    except (ValueError, TypeError, IndexError):
        return False


def _sm4(key: bytes, mode: int) -> sm4.CryptSM4:
    if len(key) != 16:
        raise ValueError("SM4 密钥应为 16 字节")
    cipher = sm4.CryptSM4(padding_mode=None)  # blocks only: CBC and its padding are done here
    cipher.set_key(key, mode)
    return cipher


def _xor(a: bytes, b: bytes) -> bytes:
    return bytes(x ^ y for x, y in zip(a, b, strict=True))


def sm4_encrypt(key: bytes, plaintext: bytes) -> bytes:
    """IV ‖ SM4-CBC(key, IV, PKCS#7(plaintext)) with a fresh random IV."""
    cipher = _sm4(key, sm4.SM4_ENCRYPT)
    pad = 16 - len(plaintext) % 16
    padded = plaintext + bytes([pad]) * pad
    previous = iv = secrets.token_bytes(16)
    out = bytearray(iv)
    for at in range(0, len(padded), 16):
        previous = bytes(cipher.crypt_ecb(_xor(padded[at:at + 16], previous)))
        out += previous
    return bytes(out)


def sm4_decrypt(key: bytes, data: bytes) -> bytes:
    """The plaintext of sm4_encrypt's output; ValueError when it is not one (wrong key, cut or altered)."""
    if len(data) < 32 or len(data) % 16:
        raise ValueError("SM4 密文长度不对")
    blocks = bytes(_sm4(key, sm4.SM4_DECRYPT).crypt_ecb(data[16:]))
    padded = _xor(blocks, data[:-16])
    pad = padded[-1]
    if not 1 <= pad <= 16 or padded[-pad:] != bytes([pad]) * pad:
        raise ValueError("SM4 解密失败")
    return padded[:-pad]


def sm4_block(key: bytes, block: bytes) -> bytes:
    """One block of SM4 encryption (no chaining, no padding): for the standard's known answers."""
    return bytes(_sm4(key, sm4.SM4_ENCRYPT).crypt_ecb(block))
