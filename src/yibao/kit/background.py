"""Rows written later, in batches, by a thread of their own: the caller never waits for the write (nor, on
SQLite, for the writer lock). The interface log and the access trail's views use it.

One `Backlog` (a queue and one thread) can serve several `BatchWriter`s: the server's interface log and trail
share one, so their writes take turns on one connection instead of holding two at once under load. Each
writer's rows still go to its own sink, in the order noted, and a failing sink loses only its own batch."""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any, Generic, TypeVar

T = TypeVar("T")
Sink = Callable[[Sequence[Any]], None]
log = logging.getLogger("yibao.background")


class _Marker:
    """Put in the queue by `flush`: set once every row before it has been written."""

    def __init__(self) -> None:
        self.done = threading.Event()


_STOP = object()


class Backlog:
    """A queue of (sink, row) and the one thread that empties it: rows are handed to their sinks in batches (at
    most every `interval` seconds, or `batch` rows), each sink's rows in the order they were noted."""

    def __init__(self, *, name: str, interval: float = 0.5, batch: int = 500) -> None:
        self.name, self.interval, self.batch = name, interval, batch
        self._queue: queue.SimpleQueue[object] = queue.SimpleQueue()
        self._names: dict[int, str] = {}
        self._thread = threading.Thread(target=self._run, name=f"yibao-{name}", daemon=True)
        self._thread.start()

    def put(self, sink: Sink, rows: Sequence[Any], name: str) -> None:
        self._names.setdefault(id(sink), name)
        for row in rows:
            self._queue.put((sink, row))

    def _run(self) -> None:
        while True:
            pending: list[tuple[Sink, Any]] = []
            deadline = time.monotonic() + self.interval
            while len(pending) < self.batch:
                try:
                    item = self._queue.get(timeout=max(0.0, deadline - time.monotonic()))
                except queue.Empty:
                    break
                if item is _STOP:
                    self._write(pending)
                    return
                if isinstance(item, _Marker):
                    self._write(pending)
                    pending = []
                    item.done.set()
                    continue
                pending.append(item)  # type: ignore[arg-type]
            self._write(pending)

    def _write(self, pending: list[tuple[Sink, Any]]) -> None:
        by_sink: dict[int, tuple[Sink, list[Any]]] = {}
        for sink, row in pending:
            by_sink.setdefault(id(sink), (sink, []))[1].append(row)
        for key, (sink, rows) in by_sink.items():
            try:
                sink(rows)
            except Exception:  # a lost batch must not stop the door that noted it; it is reported
                log.exception("%s: %d rows not written", self._names.get(key, self.name), len(rows))

    def flush(self, timeout: float = 5.0) -> None:
        """Wait until every row noted so far is written."""
        if self._thread.is_alive():
            marker = _Marker()
            self._queue.put(marker)
            marker.done.wait(timeout)

    def close(self) -> None:
        """Write what is queued and stop (the server's shutdown). Closing twice is closing once."""
        if self._thread.is_alive():
            self._queue.put(_STOP)
            self._thread.join(timeout=5)


class BatchWriter(Generic[T]):
    """Notes rows for `sink`, written later by a `Backlog` (its own unless one is given to share). With
    `background=False` every row is written at once, in the caller's thread (the tests' one transaction).
    A batch whose write fails is reported in the log with its size, never raised."""

    def __init__(self, sink: Callable[[Sequence[T]], None], *, name: str, interval: float = 0.5,
                 batch: int = 500, background: bool = True, backlog: Backlog | None = None) -> None:
        self.sink, self.name = sink, name
        self.backlog = backlog if backlog is not None or not background else \
            Backlog(name=name, interval=interval, batch=batch)

    def note(self, row: T) -> None:
        self.note_all([row])

    def note_all(self, rows: Sequence[T]) -> None:
        if self.backlog is None:
            if rows:
                self.sink(rows)
        else:
            self.backlog.put(self.sink, rows, self.name)

    def flush(self, timeout: float = 5.0) -> None:
        """Wait until every row noted so far is written."""
        if self.backlog is not None:
            self.backlog.flush(timeout)

    def close(self) -> None:
        """Write what is queued and stop the backlog's thread (shared or not)."""
        if self.backlog is not None:
            self.backlog.close()
