"""Rows written later, in batches, by a thread of their own: the caller never waits for the write (nor, on
SQLite, for the writer lock). The interface log and the access trail's views use it."""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable, Sequence
from typing import Generic, TypeVar

T = TypeVar("T")
log = logging.getLogger("yibao.background")


class _Marker:
    """Put in the queue by `flush`: set once every row before it has been written."""

    def __init__(self) -> None:
        self.done = threading.Event()


_STOP = object()


class BatchWriter(Generic[T]):
    """Queues rows and hands them to `sink` in batches (at most every `interval` seconds, or `batch` rows).
    With `background=False` every row is written at once, in the caller's thread (the tests' one
    transaction). A batch whose write fails is reported in the log with its size, never raised."""

    def __init__(self, sink: Callable[[Sequence[T]], None], *, name: str, interval: float = 0.5,
                 batch: int = 500, background: bool = True) -> None:
        self.sink, self.name, self.interval, self.batch = sink, name, interval, batch
        self._queue: queue.SimpleQueue[object] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        if background:
            self._thread = threading.Thread(target=self._run, name=f"yibao-{name}", daemon=True)
            self._thread.start()

    def note(self, row: T) -> None:
        self.note_all([row])

    def note_all(self, rows: Sequence[T]) -> None:
        if self._thread is None:
            if rows:
                self.sink(rows)
        else:
            for row in rows:
                self._queue.put(row)

    def _run(self) -> None:
        while True:
            rows: list[T] = []
            deadline = time.monotonic() + self.interval
            while len(rows) < self.batch:
                try:
                    item = self._queue.get(timeout=max(0.0, deadline - time.monotonic()))
                except queue.Empty:
                    break
                if item is _STOP:
                    self._write(rows)
                    return
                if isinstance(item, _Marker):
                    self._write(rows)
                    rows = []
                    item.done.set()
                    continue
                rows.append(item)  # type: ignore[arg-type]
            self._write(rows)

    def _write(self, rows: list[T]) -> None:
        if not rows:
            return
        try:
            self.sink(rows)
        except Exception:  # a lost batch must not stop the door that noted it; it is reported
            log.exception("%s: %d rows not written", self.name, len(rows))

    def flush(self, timeout: float = 5.0) -> None:
        """Wait until every row noted so far is written."""
        if self._thread is not None and self._thread.is_alive():
            marker = _Marker()
            self._queue.put(marker)
            marker.done.wait(timeout)

    def close(self) -> None:
        """Write what is queued and stop (the server's shutdown)."""
        if self._thread is not None:
            self._queue.put(_STOP)
            self._thread.join(timeout=5)
