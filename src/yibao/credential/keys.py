"""yibao's own keys for the dynamic codes: an SM2 pair that signs them and an SM4 key that hides what they say.

They live in one file in the data directory (`ecard-keys.json`, mode 0600), created at first start. Rotation
(`yibao credential rotate-key`) adds a new current key and retires the old one: codes signed with a retired key
keep verifying until they expire, then the key is dropped at the next rotation. Every worker process reads the
same file and notices a rotation by its modification time."""

from __future__ import annotations

import datetime as dt
import json
import secrets
from dataclasses import dataclass, replace
from pathlib import Path

from yibao.kit.files import write_private
from yibao.kit.gm import KeyPair, generate_keypair

KEY_FILE = "ecard-keys.json"


@dataclass(frozen=True, slots=True)
class SigningKey:
    kid: str
    pair: KeyPair
    sm4: bytes
    created_at: dt.datetime
    retired_at: dt.datetime | None = None

    def to_json(self) -> dict[str, str | None]:
        return {"kid": self.kid, "private": self.pair.private, "public": self.pair.public, "sm4": self.sm4.hex(),
                "created_at": self.created_at.isoformat(),
                "retired_at": self.retired_at.isoformat() if self.retired_at else None}

    @classmethod
    def from_json(cls, row: dict[str, str | None]) -> SigningKey:
        def text(name: str) -> str:
            value = row[name]
            assert value is not None, name
            return value

        retired = row.get("retired_at")
        return cls(text("kid"), KeyPair(text("private"), text("public")), bytes.fromhex(text("sm4")),
                   dt.datetime.fromisoformat(text("created_at")),
                   dt.datetime.fromisoformat(retired) if retired else None)


def new_key(moment: dt.datetime) -> SigningKey:
    return SigningKey(f"k{moment:%Y%m%d%H%M%S}{secrets.token_hex(2)}", generate_keypair(), secrets.token_bytes(16),
                      moment)


def _write(path: Path, keys: list[SigningKey], *, replace: bool) -> None:
    write_private(path, json.dumps([key.to_json() for key in keys], indent=1), replace=replace)


class KeyRing:
    """The current key and the retired ones still trusted, from the key file (created on first use)."""

    def __init__(self, path: Path, moment: dt.datetime) -> None:
        self.path = path
        if not path.exists():
            _write(path, [new_key(moment)], replace=False)
        self._stamp = -1
        self._keys: dict[str, SigningKey] = {}
        self.refresh()

    @classmethod
    def in_directory(cls, data_dir: Path, moment: dt.datetime) -> KeyRing:
        return cls(data_dir / KEY_FILE, moment)

    def refresh(self) -> None:
        """Reload the file if another process rotated it."""
        stamp = self.path.stat().st_mtime_ns
        if stamp == self._stamp:
            return
        keys = [SigningKey.from_json(row) for row in json.loads(self.path.read_text())]
        self._keys = {key.kid: key for key in keys}
        self._current = next(key for key in reversed(keys) if key.retired_at is None)
        self._stamp = stamp

    @property
    def current(self) -> SigningKey:
        self.refresh()
        return self._current

    def trusted(self, kid: str, moment: dt.datetime, validity: dt.timedelta) -> SigningKey | None:
        """The key named `kid` if codes signed with it may still be valid at `moment`."""
        self.refresh()
        key = self._keys.get(kid)
        if key is None or (key.retired_at is not None and key.retired_at + validity < moment):
            return None
        return key

    def keys(self) -> list[SigningKey]:
        self.refresh()
        return list(self._keys.values())

    def rotate(self, moment: dt.datetime, validity: dt.timedelta) -> SigningKey:
        """A new current key; the old current one retires now; keys retired long enough ago are dropped."""
        self.refresh()
        kept = [key if key.retired_at else replace(key, retired_at=moment) for key in self._keys.values()
                if key.retired_at is None or key.retired_at + validity >= moment]
        fresh = new_key(moment)
        _write(self.path, [*kept, fresh], replace=True)
        self.refresh()
        return fresh
