"""SQLite's one-writer lock (yibao.db.WriterLock): held for a write transaction's whole life and let go only
after SQLite's COMMIT or ROLLBACK has run, so the next writer never finds SQLite itself still locked (its busy
handler would sleep 1, 2, 5, 10 … ms); an event loop can take it beforehand without blocking."""

from __future__ import annotations

import fcntl
import os
import threading
from pathlib import Path

import anyio
import pytest
from sqlalchemy import text

from yibao.db import make_engine, read_only, writer_lock


def free(path: Path) -> bool:
    """Could another process take the lock now?"""
    fd = os.open(path, os.O_RDWR | os.O_CREAT)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return True
    except BlockingIOError:
        return False
    finally:
        os.close(fd)


@pytest.fixture
def database(tmp_path: Path) -> tuple[str, Path]:
    path = tmp_path / "lock.sqlite3"
    return f"sqlite:///{path}", Path(f"{path}.writelock")


def test_held_from_begin_until_after_commit_or_rollback(database: tuple[str, Path]) -> None:
    url, lock = database
    engine = make_engine(url)
    seen: list[bool] = []
    original_commit = engine.dialect.do_commit

    def commit_watching(connection: object) -> None:
        seen.append(free(lock))  # while SQLite commits, the lock is still held
        original_commit(connection)

    engine.dialect.do_commit = commit_watching  # type: ignore[method-assign]
    with engine.connect() as connection:
        connection.execute(text("CREATE TABLE t (a INTEGER)"))
        assert not free(lock)
        connection.commit()
        assert free(lock)
        connection.execute(text("INSERT INTO t VALUES (1)"))
        assert not free(lock)
        connection.rollback()
        assert free(lock)
    with read_only(engine).connect() as reader:  # a reader never takes it
        reader.execute(text("SELECT count(*) FROM t"))
        assert free(lock)
    assert seen == [False]
    engine.dispose()


def test_threads_of_one_process_exclude_each_other(database: tuple[str, Path]) -> None:
    url, _ = database
    engine = make_engine(url)
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE n (v INTEGER)"))
        connection.execute(text("INSERT INTO n VALUES (0)"))

    def bump() -> None:
        for _ in range(25):
            with engine.begin() as connection:
                value = connection.execute(text("SELECT v FROM n")).scalar_one()
                connection.execute(text("UPDATE n SET v = :v"), {"v": value + 1})

    threads = [threading.Thread(target=bump) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    with engine.connect() as connection:
        assert connection.execute(text("SELECT v FROM n")).scalar_one() == 100  # no lost update
    engine.dispose()


def test_taken_beforehand_without_blocking_the_loop(database: tuple[str, Path]) -> None:
    url, lock = database
    engine = make_engine(url)
    writer = writer_lock(engine)
    assert writer is not None
    holder = make_engine(url)
    held = holder.connect()
    held.execute(text("CREATE TABLE t (a INTEGER)"))  # another writer holds the lock

    async def main() -> list[str]:
        events: list[str] = []

        async def write() -> None:
            await writer.acquire_for_this_thread()  # waits in a helper thread
            events.append("acquired")
            with engine.begin() as connection:  # the transaction uses the lock taken beforehand
                connection.execute(text("INSERT INTO t VALUES (1)"))
            events.append("written")

        async def meanwhile() -> None:
            events.append("loop still serving")
            await anyio.sleep(0.2)
            held.commit()  # the other writer finishes

        async with anyio.create_task_group() as group:
            group.start_soon(write)
            group.start_soon(meanwhile)
        return events

    assert anyio.run(main) == ["loop still serving", "acquired", "written"]
    assert free(lock)

    async def unused() -> None:
        await writer.acquire_for_this_thread()
        writer.forget_for_this_thread()  # a request that failed before its transaction lets it go

    anyio.run(unused)
    assert free(lock)
    held.close()
    holder.dispose()
    engine.dispose()
