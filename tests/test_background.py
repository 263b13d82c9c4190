"""The background writes (kit/background.py): the server's interface log and access trail share one Backlog, so
their batches take turns on one thread (one connection under load, not two), each to its own sink."""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence

import pytest

from yibao.kit.background import Backlog, BatchWriter


def test_two_writers_sharing_a_backlog_write_from_one_thread_each_to_its_own_sink() -> None:
    backlog = Backlog(name="shared", interval=0.05)
    seen: dict[str, list[int]] = {"calls": [], "trail": []}
    threads: set[str] = set()

    def sink(kind: str):  # type: ignore[no-untyped-def]
        def write(rows: Sequence[int]) -> None:
            threads.add(threading.current_thread().name)
            seen[kind].extend(rows)
        return write

    calls = BatchWriter(sink("calls"), name="calls", backlog=backlog)
    trail = BatchWriter(sink("trail"), name="trail", backlog=backlog)
    for n in range(100):
        (calls if n % 2 else trail).note(n)
    calls.flush()
    assert seen["calls"] == list(range(1, 100, 2)) and seen["trail"] == list(range(0, 100, 2))
    assert threads == {"yibao-shared"}
    calls.close()
    trail.close()  # closing the shared backlog twice is closing it once
    assert not any(t.name == "yibao-shared" for t in threading.enumerate())


def test_a_failing_sink_loses_only_its_own_batch(caplog: pytest.LogCaptureFixture) -> None:
    backlog = Backlog(name="shared-failing", interval=0.05)
    kept: list[str] = []

    def broken(rows: Sequence[str]) -> None:
        raise RuntimeError("database gone")

    good = BatchWriter(kept.extend, name="good", backlog=backlog)
    bad = BatchWriter(broken, name="bad", backlog=backlog)
    with caplog.at_level(logging.ERROR, logger="yibao.background"):
        bad.note_all(["x", "y"])
        good.note_all(["a", "b"])
        good.flush()
    assert kept == ["a", "b"]
    assert "bad: 2 rows not written" in caplog.text
    backlog.close()


def test_without_background_rows_are_written_at_once_in_the_callers_thread() -> None:
    kept: list[int] = []
    writer = BatchWriter(kept.extend, name="now", background=False)
    writer.note(1)
    assert kept == [1] and writer.backlog is None
    writer.close()
