"""Runtime configuration (ARCHITECTURE.md convention 11): one Settings, prefix YIBAO_. Never policy."""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any, Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from yibao.kit import sealing
from yibao.kit.files import private_dir, private_file, private_text
from yibao.kit.sealing import DataKeys


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="YIBAO_", extra="ignore")

    data_dir: Path = Path("data")
    database_url: str | None = None  # default: SQLite file in data_dir (WAL)
    session_hours: int = 12  # how long a staff sign-in lasts
    insuplc_admdvs: str = "330213"  # 奉化区 division code (INTERFACE.md [U])
    # threads running gateway transactions per worker process; default: 0 on SQLite (its writes queue on one
    # lock anyway, so each runs in the event loop itself, short and uninterrupted), 16 on PostgreSQL
    gateway_threads: int | None = Field(default=None, ge=0)
    # PostgreSQL connections each worker process keeps open; default: the gateway's threads and 8 more for the
    # pages and the API. Fewer than the threads that use them at once and the pool opens and closes a
    # connection (a new server process) for almost every transaction.
    db_pool_size: int | None = Field(default=None, ge=1)
    # the e-credential's demonstration channel (credential/demo_channel.py): residents activate on the resident
    # page with a confirmation step instead of a partner app's face check. Turn it off in production.
    ec_demo_channel: bool = True
    secret_key: str | None = None  # keys the pages' CSRF tokens; default: data_dir/secret.key
    # served over HTTPS (directly or behind a TLS-terminating proxy): cookies are marked Secure and HSTS is
    # sent. A request that itself arrives as https gets both whatever this says.
    https: bool = False
    # SQLite's durability (issue 19 item 8): FULL syncs the write-ahead log at every commit, so a power loss
    # cannot take back an acknowledged settlement; NORMAL (faster, see bench/settle.py) may lose the last
    # commits on power loss (not on a crash of the process). PostgreSQL is always synchronous.
    sqlite_synchronous: Literal["FULL", "NORMAL"] = "FULL"
    # personal numbers are sealed with SM4 under the keys in data_dir/data-keys.json (kit/sealing.py); with this
    # set (32 hex digits, e.g. from the host's secret store) that file is itself sealed under it
    data_key: str | None = None

    def on_sqlite(self) -> bool:
        return self.resolved_database_url().startswith("sqlite")

    def resolved_gateway_threads(self) -> int:
        if self.gateway_threads is not None:
            return self.gateway_threads
        return 0 if self.on_sqlite() else 16

    def engine_options(self) -> dict[str, Any]:
        """Options for make_engine: SQLite's durability; PostgreSQL's connection pool."""
        if self.on_sqlite():
            return {"synchronous": self.sqlite_synchronous}
        size = self.db_pool_size if self.db_pool_size is not None else self.resolved_gateway_threads() + 8
        return {"pool_size": size, "max_overflow": 8}

    def resolved_secret_key(self) -> bytes:
        """YIBAO_SECRET_KEY, else a random key kept in data_dir/secret.key (created once, mode 600), so that
        every worker process and every restart signs cookies alike."""
        if self.secret_key:
            return self.secret_key.encode()
        return private_text(self.data_dir / "secret.key", secrets.token_hex(32)).strip().encode()

    def data_keys(self) -> DataKeys:
        """The key ring that seals personal numbers (made at first start in the data directory), for this process."""
        return sealing.use(private_dir(self.data_dir), self.data_key)

    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        database = private_file(self.data_dir / "yibao.sqlite3")  # 0600 in a 0700 directory
        return f"sqlite:///{database.resolve()}"
