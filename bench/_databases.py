"""Fresh databases for the benchmarks: a SQLite file in a folder, or a new PostgreSQL database."""

from __future__ import annotations

from pathlib import Path

import psycopg

SERVER = "postgresql://postgres@127.0.0.1:5432"


def fresh_database(backend: str, directory: Path, name: str) -> str:
    if backend == "sqlite":
        return f"sqlite:///{directory / (name + '.sqlite3')}"
    with psycopg.connect(f"{SERVER}/postgres", autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}"')
    return f"{SERVER}/{name}"
