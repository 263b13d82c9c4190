"""The database: engine, sessions, the declarative base and the one-transaction-per-request rule.

SQLite (embedded default, WAL) and PostgreSQL (psycopg 3). Service functions flush, never commit; the
edge (a request, a CLI command through `session_scope`) commits once or rolls back (ARCHITECTURE.md
convention 4).
"""

from __future__ import annotations

import fcntl
import os
import threading
import weakref
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from decimal import Decimal
from functools import partial
from pathlib import Path
from typing import Any, ClassVar, NamedTuple, Protocol, TypeVar

import anyio
from sqlalchemy import MetaData, Numeric, String, Text, create_engine, event, select, text, tuple_
from sqlalchemy import column as sa_column
from sqlalchemy import table as sa_table
from sqlalchemy.engine import Connection, Dialect, Engine
from sqlalchemy.orm import DeclarativeBase, Mapper, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

from yibao.config import Settings
from yibao.kit import sealing
from yibao.kit.files import private_dir
from yibao.kit.money import round_money
from yibao.kit.text import refuse_overlong

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


# ---------------------------------------------------------------------------------------------------
# Personal numbers at rest (issue 19 item 6): sealed columns and their digests (kit/sealing.py)

def _settings_keys() -> tuple[Path, str | None]:
    settings = Settings()
    return private_dir(settings.data_dir), settings.data_key


sealing.default_directory(_settings_keys)  # unless the app or a command named its data directory first


def normalised(purpose: str, value: str) -> str:
    """A number as it is looked up: ID and card numbers in capitals without spaces, phone numbers as digits."""
    text = "".join(value.split())
    return "".join(ch for ch in text if ch.isdigit()) if purpose == "phone" else text.upper()


def digest_of(purpose: str, value: str) -> str:
    """The blind index of a number: look-ups compare `<column>_digest` with it, never the sealed column."""
    return sealing.active().digest(purpose, normalised(purpose, value))


class Sealed(TypeDecorator[str]):
    """A personal number stored sealed with SM4 (kit/sealing.py) and read back as plain text. Its `length` is
    the plain text's (the text check of kit/text and the doors' limits use it); the column is wider. Sealing is
    randomised, so the column cannot be compared in SQL: a look-up goes through its digest column."""

    impl = String
    cache_ok = True

    class comparator_factory(String.Comparator[str]):
        def operate(self, op: Any, *other: Any, **kwargs: Any) -> Any:
            if getattr(op, "__name__", "") not in ("is_", "is_not", "isnot"):
                raise TypeError("a sealed column cannot be compared in SQL: compare its digest (db.digest_of)")
            return super().operate(op, *other, **kwargs)

    def __init__(self, purpose: str, length: int) -> None:
        super().__init__(24 + (28 + 4 * length + 2) // 3 * 4)  # base64 of nonce, UTF-8 text and tag, the prefix
        self.purpose, self.length = purpose, length

    @property
    def python_type(self) -> type[str]:
        return str

    def process_bind_param(self, value: str | None, dialect: Dialect) -> str | None:
        return None if value is None else sealing.active().seal(self.purpose, value)

    def process_result_value(self, value: str | None, dialect: Dialect) -> str | None:
        return None if value is None else sealing.active().open(self.purpose, value)


class SealedText(Sealed):
    """A sealed text without a length limit (a stored gateway answer, which names the person's ID number)."""

    impl = Text
    cache_ok = True

    def __init__(self, purpose: str) -> None:
        TypeDecorator.__init__(self)
        self.purpose, self.length = purpose, None  # type: ignore[assignment]


def digests_of(purposes: Mapping[str, str], digests: Mapping[str, str], values: Mapping[str, Any]
               ) -> dict[str, str | None]:
    """The digest columns of a row (`digests`: sealed column → its digest column; `purposes`: sealed column →
    purpose) from the plain values it has for them."""
    return {digest: None if values[column] is None else digest_of(purposes[column], values[column])
            for column, digest in digests.items() if column in values}


def _purposes(model: Any) -> dict[str, str]:
    return {column: model.__table__.c[column].type.purpose for column in model.__digests__}


def _set_digests(_mapper: Mapper[Any], _connection: Any, target: Any) -> None:
    """Before a row is written: each `<column>_digest` follows its sealed column (models declare
    `__digests__ = {"certno": "certno_digest"}`)."""
    model = type(target)
    values = {column: getattr(target, column) for column in model.__digests__}
    for digest, value in digests_of(_purposes(model), model.__digests__, values).items():
        setattr(target, digest, value)


def make_engine(url: str, *, synchronous: str = "FULL", **kwargs: Any) -> Engine:
    """An engine; SQLite gets WAL, foreign keys, a busy timeout and real BEGINs (so SAVEPOINTs work), and
    `synchronous` FULL unless told NORMAL (Settings.sqlite_synchronous says what each costs).

    SQLite writers serialize: a write transaction takes an OS file lock beside the database before
    BEGIN IMMEDIATE, so concurrent writers (threads or processes) queue on the lock instead of polling
    SQLite's busy handler; read-only transactions (`read_only()`) begin DEFERRED and never wait for writers.
    """
    kwargs.setdefault("hide_parameters", True)  # no bound value (an ID number …) in an error's text or a log
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
                cursor.execute(f"PRAGMA synchronous={'NORMAL' if synchronous == 'NORMAL' else 'FULL'}")
                cursor.execute("PRAGMA mmap_size=268435456")  # reads map the file instead of copying pages
            cursor.close()

        writer = WriterLock(lock_path) if lock_path is not None else None
        _WRITER_LOCKS[engine] = writer
        held: dict[int, int] = {}  # pooled connection id → the lock file its write transaction holds

        @event.listens_for(engine, "begin")
        def _sqlite_begin(connection: Any) -> None:
            mode = connection.get_execution_options().get("sqlite_begin", "IMMEDIATE")
            if mode == "IMMEDIATE" and writer is not None:
                held[id(connection.connection)] = writer.take()
            connection.exec_driver_sql(f"BEGIN {mode}")

        # The lock is let go only once SQLite's COMMIT or ROLLBACK has run (SQLAlchemy's commit and rollback
        # events fire before it): a writer let in earlier would find SQLite still locked and fall into its
        # busy handler, which sleeps 1, 2, 5, 10 … ms between tries.
        def _then_release(finish: Any) -> Any:
            def run(pooled_connection: Any) -> None:
                try:
                    finish(pooled_connection)
                finally:
                    fd = held.pop(id(pooled_connection), None)
                    if fd is not None:
                        WriterLock.release(fd)

            return run

        dialect: Any = engine.dialect
        dialect.do_commit = _then_release(dialect.do_commit)
        dialect.do_rollback = _then_release(dialect.do_rollback)
        return engine
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    # no ping per checkout (a round trip per transaction); a connection found lost is invalidated where it is
    # found (SQLAlchemy for its own statements, yibao.statements for its) and the gateway retries once
    return create_engine(url, **kwargs)


_WRITER_LOCKS: weakref.WeakKeyDictionary[Engine, WriterLock | None] = weakref.WeakKeyDictionary()


def writer_lock(engine: Engine) -> WriterLock | None:
    """The SQLite database's one-writer lock (None on PostgreSQL or an in-memory database)."""
    return _WRITER_LOCKS.get(engine)


class _LockFile:
    """One thread's open file on the lock path: flock() locks belong to an open file, so each thread needs its
    own for the threads of one process to exclude each other. Closed when its thread ends."""

    def __init__(self, path: str) -> None:
        self.fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)

    def __del__(self) -> None:
        os.close(self.fd)


class WriterLock:
    """The one-writer-at-a-time lock of a SQLite database, shared by every thread and process using it: an
    exclusive flock() on a file beside the database (blocks without polling; the kernel lets it go if the
    process dies).

    A write transaction takes it at BEGIN (blocking its thread until the writer before it has committed). An
    event loop that must not block can get it beforehand with `acquire_for_this_thread()`: without waiting
    when it is free, else by waiting in a helper thread while the loop serves other requests; the next write
    transaction begun in this thread then uses it.
    """

    def __init__(self, path: str) -> None:
        self.path = path
        self._files = threading.local()
        self._ready: set[int] = set()  # threads whose lock was taken beforehand

    def _fd(self) -> int:
        file = getattr(self._files, "file", None)
        if file is None:
            file = self._files.file = _LockFile(self.path)
        return int(file.fd)

    def take(self) -> int:
        """Lock for this thread's write transaction; the file descriptor to `release`."""
        fd = self._fd()
        me = threading.get_ident()
        if me in self._ready:
            self._ready.discard(me)
        else:
            fcntl.flock(fd, fcntl.LOCK_EX)
        return fd

    @staticmethod
    def release(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_UN)

    async def acquire_for_this_thread(self) -> None:
        """Callers in one event loop must take turns (an anyio.Lock around this and their transaction)."""
        fd, me = self._fd(), threading.get_ident()
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            self._ready.add(me)
        except BlockingIOError:
            def wait() -> None:  # marked by the helper thread itself, so a cancelled wait cannot lose it
                fcntl.flock(fd, fcntl.LOCK_EX)
                self._ready.add(me)

            await anyio.to_thread.run_sync(wait)

    def forget_for_this_thread(self) -> None:
        """Let go of a lock taken beforehand that no transaction used (e.g. the request failed early)."""
        me = threading.get_ident()
        if me in self._ready:
            self._ready.discard(me)
            self.release(self._fd())


class LoopConnection:
    """One connection kept open for the transactions an event loop runs inline, one after another (SQLite):
    each unit of work is a Session bound to it, so no pool checkout, checkin and reset per call, and SQLite's
    page cache stays warm. Not for threads: one loop, one transaction at a time."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.connection: Connection | None = None

    def sessions(self, write: bool) -> Callable[[], Session]:
        connection = self.connection
        if connection is None or connection.closed or connection.invalidated:
            connection = self.connection = self.engine.connect()
        connection.execution_options(sqlite_begin="IMMEDIATE" if write else "DEFERRED")
        return partial(Session, bind=connection, expire_on_commit=False)

    def driver(self) -> tuple[Any, Any]:
        """The DBAPI connection underneath and its dialect, for a unit of work without a Session
        (statements.DriverUnit); SQLAlchemy's connection is then idle, not in a transaction."""
        connection = self.connection
        if connection is None or connection.closed or connection.invalidated:
            connection = self.connection = self.engine.connect()
        return connection.connection.driver_connection, connection.dialect

    def close(self) -> None:
        if self.connection is not None:
            self.connection.close()
            self.connection = None


@event.listens_for(Session, "before_flush")
def _text_fits_its_column(session: Session, _context: Any, _instances: Any) -> None:
    """Every ORM write of every door: text longer than its column, or with a NUL, is a field error before
    anything is sent (PostgreSQL would refuse it with a DataError; SQLite would store it). kit/text."""
    refuse_overlong(list(session.new) + list(session.dirty))


class SealedColumns(NamedTuple):
    """What `reseal` needs of a table: its key, its sealed columns with their purposes, and their digests."""

    table: str
    key: tuple[str, ...]
    sealed: dict[str, str]  # column → purpose
    digests: dict[str, str]  # sealed column → its digest column


def sealed_tables() -> list[SealedColumns]:
    """Every mapped table with a sealed column (`yibao data-key rotate` reseals them all)."""
    found = []
    for mapper in sorted(Base.registry.mappers, key=lambda m: str(m.class_.__tablename__)):
        table: Any = mapper.local_table
        sealed = {c.name: c.type.purpose for c in table.columns if isinstance(c.type, Sealed)}
        if sealed:
            found.append(SealedColumns(str(table.name), tuple(c.name for c in mapper.primary_key), sealed,
                                       dict(getattr(mapper.class_, "__digests__", {}))))
    return found


def reseal(connection: Connection, spec: SealedColumns, *, batch: int = 500) -> int:
    """Seal with the current key every value of the table not yet sealed with it (plain text from before
    sealing, or an older key), and set its digest; returns the rows changed. Each row is updated only if its
    values are still the ones read (a concurrent change wins and is already sealed with the current key)."""
    keys = sealing.active()
    names = [*spec.key, *spec.sealed, *spec.digests.values()]
    table = sa_table(spec.table, *(sa_column(name, String) for name in dict.fromkeys(names)))
    key_cols = [table.c[name] for name in spec.key]
    changed, after = 0, None
    while True:
        query = select(table).order_by(*key_cols).limit(batch)
        if after is not None:
            query = query.where(tuple_(*key_cols) > tuple_(*after))
        rows = connection.execute(query).mappings().all()
        if not rows:
            return changed
        for row in rows:
            values = {column: row[column] for column in spec.sealed}
            if all(keys.sealed_with_current(value) for value in values.values()) and all(
                    row[digest] is not None or values[column] is None for column, digest in spec.digests.items()):
                continue
            plain = {column: None if value is None else keys.open(spec.sealed[column], value)
                     for column, value in values.items()}
            update_to: dict[str, str | None] = {
                column: None if text_ is None else keys.seal(spec.sealed[column], text_)
                for column, text_ in plain.items()}
            update_to |= digests_of(spec.sealed, spec.digests, plain)
            still = [table.c[column].is_not_distinct_from(value) for column, value in values.items()]
            done = connection.execute(table.update().where(*(c == row[c.name] for c in key_cols), *still)
                                      .values(update_to))
            changed += done.rowcount
        after = [rows[-1][name] for name in spec.key]


@event.listens_for(Session, "do_orm_execute")
def _bulk_rows_get_digests(state: Any) -> None:
    """`session.execute(insert(Model), rows)` (the bulk imports) skips the mapper's events: its rows get their
    digests here."""
    model: Any = state.bind_mapper.class_ if state.is_insert and state.bind_mapper is not None else None
    digests = getattr(model, "__digests__", None)
    if not digests:
        return
    rows = state.parameters if isinstance(state.parameters, list) else [state.parameters or {}]
    purposes = _purposes(model)
    for row in rows:
        row.update(digests_of(purposes, digests, row))


@event.listens_for(Base, "mapper_configured", propagate=True)
def _digests_follow(mapper: Mapper[Any], cls: Any) -> None:
    if getattr(cls, "__digests__", None):
        event.listen(cls, "before_insert", _set_digests)
        event.listen(cls, "before_update", _set_digests)


def read_only(engine: Engine) -> Engine:
    """The same database for read-only units of work (SQLite: BEGIN DEFERRED, no write lock taken)."""
    return engine.execution_options(sqlite_begin="DEFERRED")


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


class UnitOfWork(Protocol):
    """What `session_scope` needs of a unit of work (a Session, or statements.DriverUnit)."""

    def commit(self) -> None: ...

    def rollback(self) -> None: ...

    def close(self) -> None: ...


U = TypeVar("U", bound=UnitOfWork)


@contextmanager
def session_scope(factory: Callable[[], U]) -> Iterator[U]:
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


@contextmanager
def tuned_for_batch(session: Session) -> Iterator[None]:
    """A batch job's database settings while it runs. PostgreSQL, for the rest of the transaction: no JIT
    (compiling each query costs more than the few large scans of a batch save), memory enough to hash a year's
    settlements without spilling to disk, and parallel workers for the scans of millions of rows (with that
    memory the planner would otherwise keep a year's fee lines on one core: 22 s against 8 s for 10 million
    here). SQLite: nothing (a 256 MB page cache was measured and did not help: 5 M lines 54 s without, 60 s
    with)."""
    if is_postgres(session):
        for setting in ("jit = off", "work_mem = '256MB'", "parallel_setup_cost = 10", "parallel_tuple_cost = 0.001"):
            session.execute(text(f"SET LOCAL {setting}"))
    yield


def is_postgres(session_or_engine: Session | Engine) -> bool:
    bind = session_or_engine.get_bind() if isinstance(session_or_engine, Session) else session_or_engine
    return bind.dialect.name == "postgresql"


def ping(engine: Engine) -> None:
    with engine.connect() as connection:
        connection.execute(text("SELECT 1"))
