"""Hot-path statements straight on the DBAPI connection of a session's transaction.

The settlement gateway's four busiest transactions (1101, 2201, 2204, 2207) spent about 70 % of their time
building ORM statements, loading identities and flushing units of work, not in the database. Here a statement
is written once as SQL with `?` placeholders over the ORM tables' own columns, prepared once per dialect
(`%s` for psycopg, `FOR UPDATE` kept on PostgreSQL only) and run on the session's own connection, so it joins the
same transaction (and savepoint) as everything else the request does. Values go in and come out exactly as the
ORM stores and reads them: on SQLite money is bound as the ORM binds it and read back through the column's own
result processor (to Decimal at the column's scale); dates and times use the ORM's text format.

Rows come back as named tuples with the ORM attribute names, so code that reads a `Visit` or a `Person` reads
one of these alike. Writes here bypass the ORM identity map: `forget()` expires an ORM copy a session may hold.
"""

from __future__ import annotations

import datetime as dt
from collections import namedtuple
from collections.abc import Callable, Iterable, Mapping, Sequence
from decimal import Decimal
from types import MappingProxyType
from typing import Any

from sqlalchemy import Column, Table, event
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session
from sqlalchemy.orm.util import identity_key

from yibao.db import WriterLock

Processor = Callable[[Any], Any] | None


_DRIVER = "rawsql.driver_connection"


def _driver(session: Session) -> tuple[Any, Dialect]:
    """The DBAPI connection of the session's transaction and its dialect (pending ORM changes flushed first);
    kept in `session.info` until the transaction ends (asking the session each time cost more than the
    statement)."""
    if session.new or session.dirty or session.deleted:
        session.flush()
    found = session.info.get(_DRIVER)
    if found is None:
        connection = session.connection()
        found = session.info[_DRIVER] = (connection.connection.driver_connection, connection.dialect)
    return found  # type: ignore[no-any-return]


def cursor(session: Session) -> Any:
    """A DBAPI cursor inside the session's transaction."""
    return _driver(session)[0].cursor()


@event.listens_for(Session, "after_transaction_create")
@event.listens_for(Session, "after_transaction_end")
def _transaction_changed(session: Session, _transaction: Any) -> None:
    """A transaction or savepoint began or ended: ask the session again (which also emits a SAVEPOINT that a
    `begin_nested()` left pending)."""
    session.info.pop(_DRIVER, None)


def _execute(cur: Any, dialect: Dialect, sql: str, params: Any, *, many: bool = False) -> Any:
    """Run on the session's connection; a driver error comes out as SQLAlchemy's (IntegrityError, …) so that
    callers handle it as they handle the ORM's."""
    try:
        if many:
            cur.executemany(sql, params)
        else:
            cur.execute(sql, params)
    except Exception as exc:
        if isinstance(exc, dialect.loaded_dbapi.Error):
            raise DBAPIError.instance(sql, params, exc, dialect.loaded_dbapi.Error, dialect=dialect) from exc
        raise
    return cur


# parameters as the ORM binds them on SQLite: DATETIME and DATE as text, NUMERIC as a number
_SQLITE_BIND: dict[type, Callable[[Any], Any]] = {
    dt.datetime: lambda value: value.isoformat(" ", "microseconds"),
    dt.date: dt.date.isoformat,
    Decimal: float,
}


class _Prepared:
    __slots__ = ("bind", "processors", "sql")

    def __init__(self, sql: str, processors: list[tuple[int, Callable[[Any], Any]]],
                 bind: Callable[[Sequence[Any]], Sequence[Any]]) -> None:
        self.sql, self.processors, self.bind = sql, processors, bind


def _sqlite_bind(params: Sequence[Any]) -> Sequence[Any]:
    convert = _SQLITE_BIND.get
    return [value if (to := convert(type(value))) is None else to(value) for value in params]


def _as_is(params: Sequence[Any]) -> Sequence[Any]:
    return params


class Statement:
    """One SQL statement with `?` placeholders; `{many}` expands to as many placeholders as a call needs."""

    def __init__(self, sql: str, columns: Sequence[Column[Any]] = (), *, lock: bool = False) -> None:
        self.text, self.columns, self.lock = sql, tuple(columns), lock
        self.record = namedtuple("Record", [c.key for c in self.columns]) if self.columns else None  # type: ignore[misc]
        self._prepared: dict[tuple[str, int], _Prepared] = {}

    def _prepare(self, dialect: Dialect, many: int) -> _Prepared:
        key = (dialect.name, many)
        prepared = self._prepared.get(key)
        if prepared is None:
            sql = self.text.replace("{many}", ", ".join("?" * many)) if many else self.text
            processors: list[tuple[int, Callable[[Any], Any]]] = []
            if dialect.name == "postgresql":
                sql = sql.replace("?", "%s") + (" FOR UPDATE" if self.lock else "")
                bind = _as_is
            else:
                bind = _sqlite_bind
                for index, column in enumerate(self.columns):
                    processor = column.type.dialect_impl(dialect).result_processor(dialect, None)
                    if processor is not None:
                        processors.append((index, processor))
            prepared = self._prepared[key] = _Prepared(sql, processors, bind)
        return prepared

    def execute(self, session: Session, params: Any, *, many: int = 0, rows: bool = False) -> Any:
        """The cursor after running the statement with `params` (with `rows`: once per row of params)."""
        driver, dialect = _driver(session)
        prepared = self._prepare(dialect, many)
        if rows:
            return _execute(driver.cursor(), dialect, prepared.sql, [prepared.bind(row) for row in params], many=True)
        return _execute(driver.cursor(), dialect, prepared.sql, prepared.bind(params))

    def run(self, session: Session, *params: Any, many: int = 0) -> int:
        """Execute; the number of rows it changed."""
        return int(self.execute(session, params, many=many).rowcount)

    def all(self, session: Session, *params: Any, many: int = 0) -> list[Any]:
        driver, dialect = _driver(session)
        prepared = self._prepare(dialect, many)
        rows = _execute(driver.cursor(), dialect, prepared.sql, prepared.bind(params)).fetchall()
        assert self.record is not None, "a query needs its columns"
        make = self.record._make
        if not prepared.processors:
            return [make(row) for row in rows]
        out = []
        for row in rows:
            values = list(row)
            for index, processor in prepared.processors:
                values[index] = processor(values[index])
            out.append(make(values))
        return out

    def first(self, session: Session, *params: Any, many: int = 0) -> Any | None:
        rows = self.all(session, *params, many=many)
        return rows[0] if rows else None


def select(table: Table | Any, columns: str | None = None, where: str = "", *, order: str = "",
           lock: bool = False) -> Statement:
    """SELECT the named columns (all when None) of one table; `lock`: FOR UPDATE on PostgreSQL."""
    table = getattr(table, "__table__", table)
    chosen = [table.c[name] for name in columns.split()] if columns else list(table.c)
    sql = f"SELECT {', '.join(c.name for c in chosen)} FROM {table.name}"
    if where:
        sql += f" WHERE {where}"
    if order:
        sql += f" ORDER BY {order}"
    return Statement(sql, chosen, lock=lock)


class Insert:
    """INSERT rows of one table, given as tuples in the table's column order (executemany)."""

    def __init__(self, table: Table | Any, *, on_conflict_do_nothing: bool = False) -> None:
        self.table: Table = getattr(table, "__table__", table)
        self.names = tuple(c.key for c in self.table.c)
        self.record = namedtuple(self.table.name.title().replace("_", ""), self.names)  # type: ignore[misc]
        tail = " ON CONFLICT DO NOTHING" if on_conflict_do_nothing else ""
        self.statement = Statement(f"INSERT INTO {self.table.name} ({', '.join(c.name for c in self.table.c)}) "
                                   f"VALUES ({', '.join('?' * len(self.names))}){tail}")

    def rows(self, session: Session, rows: Iterable[Sequence[Any]]) -> int:
        return int(self.statement.execute(session, rows, rows=True).rowcount)

    def row(self, session: Session, row: Sequence[Any]) -> int:
        return int(self.statement.execute(session, row).rowcount)

    def make(self, **values: Any) -> Any:
        """A record of this table from keyword values (every column named)."""
        return self.record(**values)


def forget(session: Session, model: Any, *key: Any) -> None:
    """Expire the session's ORM copy of a row that a statement here changed (if it holds one)."""
    found = session.identity_map.get(identity_key(model, key))
    if found is not None:
        session.expire(found)


class RawUnit:
    """A unit of work made only of this module's statements, on a DBAPI connection of its own: it stands where
    a Session would for the gateway's busiest transactions on SQLite (1101, 2201, 2204, 2206, 2207), which
    touch the ORM nowhere, and saves the Session's bookkeeping (about 70 µs a transaction). Anything that asks
    it for ORM work fails at once, naming what it asked for.

    BEGIN IMMEDIATE takes the database's writer lock first (already taken beforehand by the event loop, as a
    Session's transaction would); the lock is let go after COMMIT or ROLLBACK has run."""

    new = dirty = deleted = ()
    identity_map: Mapping[Any, Any] = MappingProxyType({})  # holds no ORM objects (forget() finds none)

    def __init__(self, driver: Any, dialect: Dialect, *, write: bool, writer: WriterLock | None) -> None:
        self.info: dict[str, Any] = {_DRIVER: (driver, dialect)}
        self._driver, self._dialect, self._active = driver, dialect, False
        self._lock = writer.take() if write and writer is not None else None
        try:
            self._run("BEGIN IMMEDIATE" if write else "BEGIN DEFERRED")
        except BaseException:
            self._release()
            raise
        self._active = True

    def _run(self, sql: str) -> None:
        _execute(self._driver.cursor(), self._dialect, sql, ())

    def _release(self) -> None:
        if self._lock is not None:
            WriterLock.release(self._lock)
            self._lock = None

    def flush(self) -> None:
        """Nothing pending: every statement here ran when it was called."""

    def commit(self) -> None:
        self._end("COMMIT")

    def rollback(self) -> None:
        self._end("ROLLBACK")

    def _end(self, sql: str) -> None:
        if not self._active:
            return
        self._active = False
        try:
            self._run(sql)
        except BaseException:
            self._driver.rollback()  # a COMMIT that failed leaves nothing half-written
            raise
        finally:
            self._release()

    def close(self) -> None:
        self.rollback()

    def __getattr__(self, name: str) -> Any:
        raise TypeError(f"RawUnit.{name}: this transaction uses the ORM; run it in a Session")
