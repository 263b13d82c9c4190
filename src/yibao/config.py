"""Runtime configuration (ARCHITECTURE.md convention 11): one Settings, prefix YIBAO_. Never policy."""

from __future__ import annotations

from pathlib import Path

from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="YIBAO_", extra="ignore")

    data_dir: Path = Path("data")
    database_url: str | None = None  # default: SQLite file in data_dir (WAL)
    session_hours: int = 12  # how long a staff sign-in lasts
    insuplc_admdvs: str = "330213"  # 奉化区 division code (INTERFACE.md [U])

    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        self.data_dir.mkdir(parents=True, exist_ok=True)
        return f"sqlite:///{(self.data_dir / 'yibao.sqlite3').resolve()}"
