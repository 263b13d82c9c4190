"""Personal numbers at rest: SM4-GCM encryption with a key ring, and keyed SM3 digests to find them (a blind index).

A sealed value is `sm4g1:<key id>:<base64url(nonce ‖ ciphertext ‖ tag)>`: SM4 (GB/T 32907) in GCM mode with a
random 96-bit nonce and a 128-bit tag, the key id and the column's purpose bound as associated data, so that a
value copied from one column to another does not open. A value without the prefix is plain text written before
encryption landed; it opens as itself until `reseal` (the migration, `yibao data-key rotate`) seals it.

A digest is HMAC-SM3 under the index key over the purpose and the normalised value: equal numbers have equal
digests, so a look-up by ID or card number is one indexed equality, and the digest alone tells nothing.

The keys live in `data-keys.json` in the data directory (mode 0600, created at first start). With
`YIBAO_DATA_KEY` (32 hex digits) set, the file itself is sealed under that key, so that a copy of the data
directory and the database without the environment opens nothing. Rotation adds a new current key; the old
ones stay to open what was sealed with them until every value has been resealed.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from yibao.kit.files import write_private

KEY_FILE = "data-keys.json"
PREFIX = "sm4g1:"
_NONCE, _TAG = 12, 16
OPENED_KEPT = 20_000  # opened values kept in memory per process (cleared when full)


class SealingError(Exception):
    """The keys cannot be had, or a sealed value does not open (a wrong key, an altered value)."""


def _gcm_seal(key: bytes, plain: bytes, associated: bytes) -> bytes:
    nonce = secrets.token_bytes(_NONCE)
    encryptor = Cipher(algorithms.SM4(key), modes.GCM(nonce)).encryptor()
    encryptor.authenticate_additional_data(associated)
    body = encryptor.update(plain) + encryptor.finalize()
    return nonce + body + encryptor.tag


def _gcm_open(key: bytes, sealed: bytes, associated: bytes) -> bytes:
    nonce, body, tag = sealed[:_NONCE], sealed[_NONCE:-_TAG], sealed[-_TAG:]
    decryptor = Cipher(algorithms.SM4(key), modes.GCM(nonce, tag)).decryptor()
    decryptor.authenticate_additional_data(associated)
    try:
        return decryptor.update(body) + decryptor.finalize()
    except InvalidTag:
        raise SealingError("加密数据无法解开：密钥不符或数据被改动") from None


def _hmac_sm3(key: bytes, message: bytes) -> bytes:
    if "sm3" in hashlib.algorithms_available:
        return hmac.new(key, message, "sm3").digest()
    from yibao.kit.gm import sm3_digest  # OpenSSL without SM3: the pure-Python one, as HMAC (RFC 2104)

    block = 64
    key = sm3_digest(key) if len(key) > block else key.ljust(block, b"\0")
    inner = sm3_digest(bytes(b ^ 0x36 for b in key) + message)
    return sm3_digest(bytes(b ^ 0x5C for b in key) + inner)


@dataclass(frozen=True, slots=True)
class DataKeys:
    """The key ring: the current key's id, every key still needed to open old values, and the index key."""

    current: str
    keys: dict[str, bytes]
    index: bytes
    created: dict[str, str] = field(default_factory=dict)
    # values opened lately (the hot path reads one person's row several times a transaction): sealed → plain
    _opened: dict[tuple[str, str], str] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def new(cls, moment: dt.datetime) -> DataKeys:
        kid = f"k{moment:%Y%m%d}{secrets.token_hex(3)}"
        return cls(kid, {kid: secrets.token_bytes(16)}, secrets.token_bytes(32), {kid: moment.isoformat()})

    def rotated(self, moment: dt.datetime) -> DataKeys:
        kid = f"k{moment:%Y%m%d}{secrets.token_hex(3)}"
        return DataKeys(kid, {**self.keys, kid: secrets.token_bytes(16)}, self.index,
                        {**self.created, kid: moment.isoformat()})

    def without(self, retired: set[str]) -> DataKeys:
        return DataKeys(self.current, {k: v for k, v in self.keys.items() if k not in retired or k == self.current},
                        self.index, {k: v for k, v in self.created.items() if k not in retired or k == self.current})

    def seal(self, purpose: str, text: str) -> str:
        body = _gcm_seal(self.keys[self.current], text.encode(), f"{purpose}|{self.current}".encode())
        return f"{PREFIX}{self.current}:{base64.urlsafe_b64encode(body).decode().rstrip('=')}"

    def open(self, purpose: str, stored: str) -> str:
        if not stored.startswith(PREFIX):
            return stored  # plain text from before sealing (until it is resealed)
        plain = self._opened.get((purpose, stored))
        if plain is None:
            if len(self._opened) >= OPENED_KEPT:
                self._opened.clear()
            plain = self._opened[(purpose, stored)] = self._open(purpose, stored)
        return plain

    def _open(self, purpose: str, stored: str) -> str:
        kid, _, body = stored[len(PREFIX):].partition(":")
        key = self.keys.get(kid)
        if key is None:
            raise SealingError(f"加密数据所用的密钥 {kid} 不在密钥文件中：请恢复该密钥文件（data-keys.json）")
        raw = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
        return _gcm_open(key, raw, f"{purpose}|{kid}".encode()).decode()

    def sealed_with_current(self, stored: str | None) -> bool:
        return stored is None or stored.startswith(f"{PREFIX}{self.current}:")

    def digest(self, purpose: str, text: str) -> str:
        return _hmac_sm3(self.index, f"{purpose}|{text}".encode()).hex()

    def to_json(self) -> dict[str, Any]:
        return {"version": 1, "current": self.current, "keys": {k: v.hex() for k, v in self.keys.items()},
                "index": self.index.hex(), "created": self.created}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> DataKeys:
        return cls(str(data["current"]), {k: bytes.fromhex(v) for k, v in data["keys"].items()},
                   bytes.fromhex(data["index"]), dict(data.get("created") or {}))


def _master(env_key: str | None) -> bytes | None:
    if not env_key:
        return None
    try:
        key = bytes.fromhex(env_key.strip())
    except ValueError:
        key = b""
    if len(key) != 16:
        raise SealingError("YIBAO_DATA_KEY 应为 32 位十六进制数（128 位 SM4 密钥），请改正后重试")
    return key


def _file_text(keys: DataKeys, master: bytes | None) -> str:
    plain = json.dumps(keys.to_json(), indent=1)
    if master is None:
        return plain
    return json.dumps({"version": 1, "wrapped": base64.b64encode(_gcm_seal(master, plain.encode(), b"keyfile"))
                       .decode()})


def load(directory: Path, *, env_key: str | None, moment: dt.datetime) -> DataKeys:
    """The key ring of the data directory, made at first start; a plain file is wrapped once YIBAO_DATA_KEY is set."""
    path, master = directory / KEY_FILE, _master(env_key)
    if not path.exists():
        write_private(path, _file_text(DataKeys.new(moment), master))  # another process may have won: read back
    data = json.loads(path.read_text(encoding="utf-8"))
    if "wrapped" in data:
        if master is None:
            raise SealingError(f"密钥文件 {path} 由 YIBAO_DATA_KEY 保护：请设置该环境变量后重试")
        data = json.loads(_gcm_open(master, base64.b64decode(data["wrapped"]), b"keyfile"))
        return DataKeys.from_json(data)
    keys = DataKeys.from_json(data)
    if master is not None:
        write_private(path, _file_text(keys, master), replace=True)
    return keys


def save(directory: Path, keys: DataKeys, *, env_key: str | None) -> None:
    """Write the key file; this process's ring takes it at once if it is this directory's."""
    write_private(directory / KEY_FILE, _file_text(keys, _master(env_key)), replace=True)
    if _RING and _RING[0].directory == directory:
        _RING[0].read()


# The process's key ring: the database types (db.Sealed) seal and open through it. A process serves one data
# directory: the first to ask (the app, a command, the settings' default) names it. The file is read again when
# it changes (a rotation by `yibao data-key rotate` in another process), checked at most once a second.


@dataclass
class _Ring:
    directory: Path
    env_key: str | None
    keys: DataKeys
    mtime: float
    checked: float

    def read(self) -> DataKeys:
        """The key file again (rotated by a command, in this process or another)."""
        self.mtime = _mtime(self.directory)
        self.keys = load(self.directory, env_key=self.env_key, moment=dt.datetime.now())
        return self.keys


_RING: list[_Ring] = []
_DEFAULT: list[Callable[[], tuple[Path, str | None]]] = []


def use(directory: Path, env_key: str | None) -> DataKeys:
    """The key ring of `directory` for this process, unless one is in use already (then that one)."""
    if not _RING:
        keys = load(directory, env_key=env_key, moment=dt.datetime.now())
        _RING[:] = [_Ring(directory, env_key, keys, _mtime(directory), time.monotonic())]
    return _RING[0].keys


def default_directory(where: Callable[[], tuple[Path, str | None]]) -> None:
    """Where the keys are when nothing named a directory first (the settings: YIBAO_DATA_DIR, YIBAO_DATA_KEY)."""
    _DEFAULT[:] = [where]


def _mtime(directory: Path) -> float:
    try:
        return (directory / KEY_FILE).stat().st_mtime
    except FileNotFoundError:
        return 0.0


def active() -> DataKeys:
    if not _RING:
        if not _DEFAULT:
            raise SealingError("数据密钥未加载")
        use(*_DEFAULT[0]())
    ring = _RING[0]
    moment = time.monotonic()
    if moment - ring.checked >= 1.0:
        ring.checked = moment
        if _mtime(ring.directory) != ring.mtime:
            ring.read()
    return ring.keys


def in_use() -> tuple[Path, str | None]:
    active()
    return _RING[0].directory, _RING[0].env_key
