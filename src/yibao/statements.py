"""The hot path's statements: SQLAlchemy Core constructs over the mapped tables, compiled once per dialect and run
on the DBAPI connection of the unit of work's own transaction (and savepoint), values bound and read through the
dialect's own type processors, exactly as the ORM binds and reads them. Reads return frozen records (NamedTuples
whose fields name the columns they read).

Why not the ORM or `Session.execute` here: the settlement gateway's busiest transactions spent most of their
time building statements, loading identities and flushing units of work rather than in the database. A
statement here is built and compiled once; a call binds its values and runs it.

A unit of work is a `Session` (everything else the request does joins the same transaction) or, for the
gateway's busiest SQLite transactions, a `DriverUnit`: a transaction on a DBAPI connection of its own, with no
ORM at all. An `Update` keyed by a table's primary key expires the ORM copy a Session may hold of that row.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any, Generic, TypeVar, cast

from sqlalchemy import (
    Column,
    ColumnElement,
    Table,
    and_,
    any_,
    bindparam,
    event,
    func,
    insert,
    literal_column,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session
from sqlalchemy.orm.util import identity_key
from sqlalchemy.sql import ClauseElement
from sqlalchemy.sql.compiler import SQLCompiler

from yibao.db import WriterLock
from yibao.kit.batches import chunks

R = TypeVar("R")
Processor = Callable[[Any], Any]


class DriverUnit:
    """A unit of work made only of this module's statements, on a DBAPI connection of its own (the gateway's
    busiest SQLite transactions: 1101, 2201, 2204/2301, 2206/2207, 2303/2304). It has no ORM, so it saves the
    Session's bookkeeping (about 70 µs a transaction).

    BEGIN IMMEDIATE takes the database's writer lock first (already taken beforehand by the event loop, as a
    Session's transaction would); the lock is let go after COMMIT or ROLLBACK has run."""

    def __init__(self, driver: Any, dialect: Dialect, *, write: bool, writer: WriterLock | None) -> None:
        self.driver, self.dialect, self._active = driver, dialect, False
        self._lock = writer.take() if write and writer is not None else None
        try:
            self._run("BEGIN IMMEDIATE" if write else "BEGIN DEFERRED")
        except BaseException:
            self._release()
            raise
        self._active = True

    def _run(self, sql: str) -> None:
        _execute(self.driver.cursor(), self.dialect, sql, ())

    def _release(self) -> None:
        if self._lock is not None:
            WriterLock.release(self._lock)
            self._lock = None

    def flush(self) -> None:
        """Nothing pending: every statement ran when it was called."""

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
            self.driver.rollback()  # a COMMIT that failed leaves nothing half-written
            raise
        finally:
            self._release()

    def close(self) -> None:
        self.rollback()


Db = Session | DriverUnit  # where a statement runs


def orm_session(db: Db) -> Session:
    """The Session of a unit of work that uses the ORM; a DriverUnit has none, and asking it for one is a bug."""
    if not isinstance(db, Session):
        raise TypeError("this transaction uses the ORM: run it in a Session, not a DriverUnit")
    return db


_DRIVER = "statements.driver_connection"


def driver_of(db: Db) -> tuple[Any, Dialect]:
    """The DBAPI connection of the unit of work's transaction and its dialect. For a Session: pending ORM changes
    flushed first, and kept in `session.info` until the transaction or savepoint ends (asking the session each
    time cost more than the statement)."""
    if isinstance(db, DriverUnit):
        return db.driver, db.dialect
    if db.new or db.dirty or db.deleted:
        db.flush()
    found: tuple[Any, Dialect] | None = db.info.get(_DRIVER)
    if found is None:
        connection = db.connection()
        found = db.info[_DRIVER] = (connection.connection.driver_connection, connection.dialect)
        if len(_LOST) > 1000:  # forget the connections that are gone
            for key in [key for key, method in _LOST.items() if method() is None]:
                del _LOST[key]
        _LOST[id(found[0])] = weakref.WeakMethod(connection.invalidate)
    return found


# the Session connection each driver connection belongs to: a statement that finds the connection lost
# invalidates it, so that the pool opens a new one instead of handing the dead one out again (there is no
# ping per checkout on PostgreSQL: it cost a round trip per transaction)
# (by id: sqlite3 connections take no weak references; an id is reused only after its connection is gone, and
# then its entry's method is dead)
_LOST: dict[int, weakref.WeakMethod[Callable[[], None]]] = {}


@event.listens_for(Session, "after_transaction_create")
@event.listens_for(Session, "after_transaction_end")
def _transaction_changed(session: Session, _transaction: Any) -> None:
    """A transaction or savepoint began or ended: ask the session again (which also emits a SAVEPOINT that a
    `begin_nested()` left pending)."""
    session.info.pop(_DRIVER, None)


def _execute(cur: Any, dialect: Dialect, sql: str, params: Any, *, many: bool = False) -> Any:
    """Run on the unit's connection; a driver error comes out as SQLAlchemy's (IntegrityError, …) so that
    callers handle it as they handle the ORM's."""
    try:
        if many:
            cur.executemany(sql, params)
        else:
            cur.execute(sql, params)
    except Exception as exc:
        if isinstance(exc, dialect.loaded_dbapi.Error):
            lost = dialect.is_disconnect(exc, cur.connection, cur)
            invalidate = _LOST.pop(id(cur.connection), None) if lost else None
            if invalidate is not None and (method := invalidate()) is not None:
                method()
            raise DBAPIError.instance(sql, params, exc, dialect.loaded_dbapi.Error, dialect=dialect,
                                      connection_invalidated=lost) from exc
        raise
    return cur


@contextmanager
def batch(db: Db) -> Iterator[None]:
    """The writes inside go to the database together (PostgreSQL: psycopg's pipeline mode, one round trip
    instead of one per statement; an error of any of them is raised at the end of the block). SQLite runs
    in-process, so there nothing changes."""
    driver, dialect = driver_of(db)
    if dialect.name != "postgresql":
        yield
        return
    try:
        with driver.pipeline():
            yield
    except dialect.loaded_dbapi.Error as exc:  # a statement of the batch failed (IntegrityError, …)
        raise DBAPIError.instance("(batch)", None, exc, dialect.loaded_dbapi.Error, dialect=dialect) from exc


class _Compiled:
    """A statement compiled for one dialect: its SQL, and how keyword values become DBAPI parameters (in the
    dialect's paramstyle, each through its type's bind processor). `call_names`: the keyword a call gives for a
    bound parameter, where it is not the parameter's own name."""

    __slots__ = ("binder", "in_order", "order", "sql")

    def __init__(self, statement: ClauseElement, dialect: Dialect, call_names: Mapping[str, str]) -> None:
        compiled = cast(SQLCompiler, statement.compile(dialect=dialect))
        self.sql = compiled.string
        by_name = {name: param for param, name in compiled.bind_names.items()}
        names = list(compiled.positiontup or ()) if compiled.positional else list(by_name)
        self.order = tuple(names)
        literals = {name: by_name[name].effective_value for name in names if not by_name[name].required}
        keys = [call_names.get(name, name) for name in names]
        processors = [by_name[name].type.dialect_impl(dialect).bind_processor(dialect) for name in names]
        processed = [(index, process) for index, process in enumerate(processors) if process is not None]

        def bind(given: Mapping[str, Any]) -> list[Any]:
            values = [given[key] for key in keys] if not literals else [
                literals[name] if name in literals else given[key] for name, key in zip(names, keys, strict=True)]
            for index, process in processed:
                if values[index] is not None:
                    values[index] = process(values[index])
            return values

        def bind_in_order(row: Sequence[Any]) -> list[Any]:
            values = list(row)
            for index, process in processed:
                if values[index] is not None:
                    values[index] = process(values[index])
            return values

        if compiled.positional:
            self.binder: Callable[[Mapping[str, Any]], Any] = bind
            self.in_order: Callable[[Sequence[Any]], Any] = bind_in_order
        else:
            self.binder = lambda given: dict(zip(names, bind(given), strict=True))
            self.in_order = lambda row: dict(zip(names, bind_in_order(row), strict=True))


class _Statement:
    """A Core statement, compiled lazily once per dialect."""

    def __init__(self, build: Callable[[Dialect], ClauseElement], call_names: Mapping[str, str] | None = None) -> None:
        self._build, self._call_names = build, call_names or {}
        self._compiled: dict[str, _Compiled] = {}

    def compiled(self, dialect: Dialect) -> _Compiled:
        found = self._compiled.get(dialect.name)
        if found is None:
            found = self._compiled[dialect.name] = _Compiled(self._build(dialect), dialect, self._call_names)
        return found

    def run(self, db: Db, values: Any, bind: Callable[[_Compiled, Any], Any] | None = None) -> Any:
        """The cursor after running with `values` (keywords; `bind` turns other values into parameters)."""
        driver, dialect = driver_of(db)
        compiled = self.compiled(dialect)
        params = compiled.binder(values) if bind is None else bind(compiled, values)
        return _execute(driver.cursor(), dialect, compiled.sql, params)

    def run_many(self, db: Db, rows: Iterable[Any], bind: Callable[[_Compiled, Any], Any] | None = None) -> int:
        """Run once per row (executemany); the rows changed."""
        driver, dialect = driver_of(db)
        compiled = self.compiled(dialect)
        params = [compiled.binder(row) if bind is None else bind(compiled, row) for row in rows]
        if not params:
            return 0
        return int(_execute(driver.cursor(), dialect, compiled.sql, params, many=True).rowcount)


def fixed(value: str) -> ColumnElement[Any]:
    """A constant of a statement (a status, a kind) written into its SQL rather than bound, as the partial indexes
    are (`status != 'cancelled'`): with a bound value SQLite's planner cannot use a partial index and scans."""
    return literal_column("'" + value.replace("'", "''") + "'")


def _table(model: Any) -> Table:
    table: Table = getattr(model, "__table__", model)
    return table


def columns_of(record: type[Any], table: Table) -> list[Column[Any]]:
    """The table's columns a record (a NamedTuple) reads, in its field order (a field that is no column fails
    here, at import)."""
    return [table.c[name] for name in record._fields]


class Read(Generic[R]):
    """SELECT the columns a frozen record names, from one mapped table, where `where` holds; `lock`: held until
    commit (PostgreSQL FOR UPDATE; SQLite's writer lock is taken at BEGIN). `among`: a column matched against a
    list of values given as `values=` (compiled once per list length)."""

    def __init__(self, record: type[R], model: Any, *where: ColumnElement[bool], order_by: Sequence[Any] = (),
                 lock: bool = False, among: Any = None) -> None:
        self.record = record
        table = _table(model)
        self._columns = columns_of(record, table)
        self._where, self._order_by, self._lock, self._among = where, order_by, lock, among
        self._statements: dict[int, _Statement] = {}
        self._plain: _Statement | None = None  # the statement when there is no `among` list
        self._results: dict[str, list[tuple[int, Processor]]] = {}

    def _statement(self, count: int) -> _Statement:
        found = self._statements.get(count)
        if found is None:
            def build(_dialect: Dialect) -> ClauseElement:
                clauses = list(self._where)
                if self._among is not None:
                    clauses.append(self._among.in_([bindparam(f"among_{i}") for i in range(count)]))
                query = select(*self._columns).order_by(*self._order_by)
                if clauses:  # a read of the whole table has none
                    query = query.where(and_(*clauses))
                return query.with_for_update() if self._lock else query

            found = self._statements[count] = _Statement(build)
            if self._among is None:
                self._plain = found
        return found

    def _run(self, db: Db, values: Sequence[Any], params: dict[str, Any]) -> tuple[Any, list[tuple[int, Processor]]]:
        """The cursor after running the query, and the result processors of the columns that have one."""
        if self._among is None:
            statement = self._plain or self._statement(0)
        else:
            statement = self._statement(len(values))
            params |= {f"among_{i}": value for i, value in enumerate(values)}
        driver, dialect = driver_of(db)
        compiled = statement.compiled(dialect)
        cur = _execute(driver.cursor(), dialect, compiled.sql, compiled.binder(params))
        processors = self._results.get(dialect.name)
        if processors is None:  # the dialect's result processors, chosen by the driver's column types
            processors = self._results[dialect.name] = [
                (index, processor) for index, (column, described) in enumerate(
                    zip(self._columns, cur.description, strict=True))
                if (processor := column.type.dialect_impl(dialect).result_processor(dialect, described[1]))]
        return cur, processors

    def _record(self, row: Sequence[Any], processors: list[tuple[int, Processor]]) -> R:
        if not processors:
            return self.record(*row)
        values = list(row)
        for index, process in processors:
            if values[index] is not None:
                values[index] = process(values[index])
        return self.record(*values)

    def all(self, db: Db, /, *, values: Sequence[Any] = (), **params: Any) -> list[R]:
        cur, processors = self._run(db, values, params)
        return [self._record(row, processors) for row in cur.fetchall()]

    def first(self, db: Db, /, **params: Any) -> R | None:
        """The first row (the key names at most one row, or the order says which comes first)."""
        cur, processors = self._run(db, (), params)
        row = cur.fetchone()
        return None if row is None else self._record(row, processors)


class Keys:
    """Any Core SELECT of one string column (keys, codes), compiled once per dialect: the values, as the driver
    gives them (no type processing: for strings only)."""

    def __init__(self, statement: ClauseElement) -> None:
        self._statement = _Statement(lambda _dialect: statement)

    def all(self, db: Db, /, **params: Any) -> list[str]:
        return [row[0] for row in self._statement.run(db, params).fetchall()]


class Totals:
    """SUM(`amount`) per value of `key` over the rows whose `key` is among the values given (compiled once per
    list length): {key: total}, keys without rows absent; the totals are the driver's (SQLite sums NUMERIC as
    floating point: round them with `db.sql_money`)."""

    def __init__(self, key: Any, amount: Any, *where: ColumnElement[bool]) -> None:
        self._key, self._amount, self._where = key, amount, where
        self._statements: dict[int, _Statement] = {}

    def _statement(self, count: int) -> _Statement:
        found = self._statements.get(count)
        if found is None:
            def build(_dialect: Dialect) -> ClauseElement:
                among = self._key.in_([bindparam(f"among_{i}") for i in range(count)])
                return (select(self._key, func.sum(self._amount)).where(and_(among, *self._where))
                        .group_by(self._key))

            found = self._statements[count] = _Statement(build)
        return found

    def of(self, db: Db, keys: Sequence[Any], /, **params: Any) -> dict[Any, Any]:
        if not keys:
            return {}
        statement = self._statement(len(keys))
        cur = statement.run(db, params | {f"among_{i}": key for i, key in enumerate(keys)})
        return {key: total for key, total in cur.fetchall()}


class Insert:
    """INSERT rows of one mapped table, given as mappings or records with every column (executemany for several);
    `on_conflict_do_nothing`: a row whose key exists already is skipped."""

    def __init__(self, model: Any, *, on_conflict_do_nothing: bool = False) -> None:
        table = _table(model)
        self.names = tuple(column.key for column in table.c)
        values: dict[str, Any] = {column.key: bindparam(column.key) for column in table.c}

        def build(dialect: Dialect) -> ClauseElement:
            if not on_conflict_do_nothing:
                return insert(table).values(values)
            dialect_insert = postgresql.insert if dialect.name == "postgresql" else sqlite.insert
            return dialect_insert(table).values(values).on_conflict_do_nothing()

        self._statement = _Statement(build)
        self._in_order: dict[type, bool] = {}

    def _params(self, compiled: _Compiled, row: Any) -> Any:
        """A row's parameters: a record of the whole table (a NamedTuple in column order) binds as it is."""
        kind = type(row)
        in_order = self._in_order.get(kind)
        if in_order is None:
            in_order = self._in_order[kind] = getattr(kind, "_fields", None) == self.names == compiled.order
        if in_order:
            return compiled.in_order(row)
        if not isinstance(row, Mapping):
            row = {name: getattr(row, name) for name in self.names}
        return compiled.binder(row)

    def row(self, db: Db, row: Any) -> int:
        return int(self._statement.run(db, row, self._params).rowcount)

    def rows(self, db: Db, rows: Iterable[Any]) -> int:
        return self._statement.run_many(db, rows, self._params)


class Update:
    """UPDATE the `changes` columns of one mapped table's rows whose `key` columns equal the given values, and
    where `where` holds besides. Called with the key values as `key_<name>=` and the new ones as `<name>=`. On a
    Session, when the key is the table's primary key, the ORM copy of the row the Session may hold is expired."""

    def __init__(self, model: Any, changes: Sequence[str], key: Sequence[str],
                 *where: ColumnElement[bool]) -> None:
        table = _table(model)
        self._model = model
        primary = tuple(column.key for column in table.primary_key.columns)
        self._expires = set(key) == set(primary) and hasattr(model, "__mapper__")
        self._primary = primary
        condition = and_(*(table.c[name] == bindparam(f"key_{name}") for name in key), *where)
        statement = update(table).where(condition).values({name: bindparam(f"set_{name}") for name in changes})
        self._statement = _Statement(lambda _dialect: statement, {f"set_{name}": name for name in changes})

    def run(self, db: Db, /, **values: Any) -> int:
        count = int(self._statement.run(db, values).rowcount)
        self._expire(db, (values,))
        return count

    def run_many(self, db: Db, rows: Sequence[Mapping[str, Any]]) -> int:
        count = self._statement.run_many(db, rows)
        self._expire(db, rows)
        return count

    def _expire(self, db: Db, rows: Iterable[Mapping[str, Any]]) -> None:
        """The ORM copies a Session holds of the rows just updated are out of date: expire them."""
        if not (self._expires and isinstance(db, Session)):
            return
        for row in rows:
            found = db.identity_map.get(identity_key(self._model, tuple(row[f"key_{n}"] for n in self._primary)))
            if found is not None:
                db.expire(found)


def _arrays(table: Table, names: Sequence[str]) -> Any:
    """SELECT unnest(:a), unnest(:b), … — PostgreSQL zips arrays of equal length into rows: one statement and one
    parameter per column for thousands of rows (psycopg parses a statement's placeholders one by one, so a
    multi-row VALUES is no faster than executemany there, and executemany is a statement per row)."""
    return select(*(func.unnest(bindparam(f"many_{name}", type_=ARRAY(table.c[name].type))).label(name)
                    for name in names))


def _by_column(rows: Sequence[Mapping[str, Any]], names: Sequence[str]) -> dict[str, list[Any]]:
    return {f"many_{name}": [row[name] for row in rows] for name in names}


def _connection(db: Db | Connection) -> Connection:
    return db if isinstance(db, Connection) else orm_session(db).connection()


def _on_postgres(connection: Connection) -> bool:
    """The bulk helpers below take PostgreSQL's own ways (COPY, arrays); elsewhere plain statements."""
    return connection.dialect.name == "postgresql"


def insert_many(db: Db | Connection, model: Any, rows: Sequence[Mapping[str, Any]]) -> None:
    """INSERT many rows of one table (each with the same keys): on PostgreSQL with COPY, elsewhere an
    executemany. Below the ORM: the caller trails a trailed table's rows."""
    if not rows:
        return
    table, names = _table(model), list(rows[0])
    connection = _connection(db)
    if not _on_postgres(connection):
        connection.execute(insert(table), list(rows))
        return
    _copy(connection, table, names, rows)


def _copy(connection: Connection, table: Table, names: Sequence[str], rows: Sequence[Mapping[str, Any]]) -> None:
    """PostgreSQL's COPY … FROM STDIN in the connection's transaction: each value through its column type's bind
    processing first (a sealed number is sealed, money stays exact), then psycopg writes the rows as one stream —
    no statement per row, no placeholders to parse."""
    dialect = connection.dialect
    processors = [table.c[name].type._cached_bind_processor(dialect) for name in names]
    quote = dialect.identifier_preparer.quote
    driver = connection.connection.driver_connection
    assert driver is not None
    with driver.cursor() as cursor, cursor.copy(
            f"COPY {quote(table.name)} ({', '.join(quote(name) for name in names)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row([value if process is None else process(value)
                            for process, value in zip(processors, (row[name] for name in names), strict=True)])


def update_many(db: Db | Connection, model: Any, rows: Sequence[Mapping[str, Any]], size: int = 5000) -> None:
    """UPDATE many rows of one table by primary key: each row names the key columns and the new values (the same
    columns in every row). On PostgreSQL one UPDATE … FROM arrays per `size` rows; elsewhere an executemany.
    Below the ORM: no hook sees it (the caller trails a trailed table's change) and a Session's copies of the
    rows are not refreshed (bulk callers hold none)."""
    if not rows:
        return
    table = _table(model)
    key = [column.key for column in table.primary_key.columns]
    changes = [name for name in rows[0] if name not in key]
    connection = _connection(db)
    if not _on_postgres(connection):
        statement = (update(table).where(and_(*(table.c[name] == bindparam(f"key_{name}") for name in key)))
                     .values({name: bindparam(f"set_{name}") for name in changes}))
        connection.execute(statement, [{**{f"key_{n}": row[n] for n in key}, **{f"set_{n}": row[n] for n in changes}}
                                       for row in rows])
        return
    given = _arrays(table, [*key, *changes]).subquery("given")
    statement = (update(table).where(and_(*(table.c[name] == given.c[name] for name in key)))
                 .values({name: given.c[name] for name in changes}))
    for start in range(0, len(rows), size):
        connection.execute(statement, _by_column(rows[start:start + size], [*key, *changes]))


def among(db: Db, column: Any, values: Sequence[Any]) -> Iterator[ColumnElement[bool]]:
    """`column IN values` in as few statements as the database takes: one `column = ANY(:array)` on PostgreSQL
    (one parameter however many values: nothing for psycopg to parse, one plan), chunks of 900 elsewhere
    (SQLite's parameter limit). Each clause yielded is one statement's condition."""
    if not values:
        return
    if _on_postgres(_connection(db)):
        yield column == any_(bindparam(None, list(values), type_=ARRAY(column.type)))
        return
    for part in chunks(values):
        yield column.in_(part)
