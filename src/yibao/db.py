"""The database: engine, sessions, the declarative base and the one-transaction-per-request rule.

SQLite (embedded default, WAL) and PostgreSQL (psycopg 3). Service functions flush, never commit; the
edge (a request, a CLI command through `session_scope`) commits once or rolls back (ARCHITECTURE.md
convention 4).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path
from typing import Any, ClassVar

from sqlalchemy import MetaData, Numeric, create_engine, event, text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker

from yibao.kit.money import round_money

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map: ClassVar[dict[Any, Any]] = {Decimal: Numeric(16, 2)}


def make_engine(url: str, **kwargs: Any) -> Engine:
    """An engine; SQLite gets WAL, foreign keys, a busy timeout and real BEGINs (so SAVEPOINTs work).

    SQLite writers serialize: a write transaction takes an OS file lock beside the database before
    BEGIN IMMEDIATE, so concurrent writers (threads or processes) queue on the lock instead of polling
    SQLite's busy handler; read-only transactions (`read_only()`) begin DEFERRED and never wait for writers.
    """
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False}, **kwargs)
        lock_path = None if ":memory:" in url or url.endswith("sqlite://") else url.split("///", 1)[-1] + ".writelock"

        @event.listens_for(engine, "connect")
        def _sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
            dbapi_connection.isolation_level = None  # let SQLAlchemy emit BEGIN itself
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            if lock_path is not None:
                cursor.execute("PRAGMA journal_mode=WAL")
                cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(connection: Any) -> None:
            mode = connection.get_execution_options().get("sqlite_begin", "IMMEDIATE")
            if mode == "IMMEDIATE" and lock_path is not None:
                connection.info["writelock"] = _WriteLock(lock_path)
            connection.exec_driver_sql(f"BEGIN {mode}")

        @event.listens_for(engine, "commit")
        @event.listens_for(engine, "rollback")
        def _sqlite_end(connection: Any) -> None:
            lock = connection.info.pop("writelock", None)
            if lock is not None:
                lock.release()

        return engine
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    return create_engine(url, pool_pre_ping=True, **kwargs)


class _WriteLock:
    """An exclusive advisory lock on a file (fcntl.flock): blocks without polling, released on close."""

    def __init__(self, path: str) -> None:
        import fcntl

        self._file = open(path, "a+b")  # noqa: SIM115 — held until release()
        fcntl.flock(self._file.fileno(), fcntl.LOCK_EX)

    def release(self) -> None:
        self._file.close()


def read_only(engine: Engine) -> Engine:
    """The same database for read-only units of work (SQLite: BEGIN DEFERRED, no write lock taken)."""
    return engine.execution_options(sqlite_begin="DEFERRED")


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def session_scope(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One unit of work: commit once at the end, or roll back everything on any error."""
    session = factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def migrate(engine: Engine) -> None:
    """Bring the schema to the newest migration (Alembic), on this engine's database."""
    from alembic import command
    from alembic.config import Config

    here = Path(__file__).parent
    config = Config(str(here / "alembic.ini"))
    config.set_main_option("script_location", str(here / "migrations"))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


def sql_money(value: object) -> Decimal:
    """A SQL SUM as exact yuan: SQLite sums NUMERIC as floating point, so round to the fen."""
    return round_money(Decimal(str(value)))


def is_postgres(session_or_engine: Session | Engine) -> bool:
    bind = session_or_engine.get_bind() if isinstance(session_or_engine, Session) else session_or_engine
    return bind.dialect.name == "postgresql"


def ping(engine: Engine) -> None:
    with engine.connect() as connection:
        connection.execute(text("SELECT 1"))
