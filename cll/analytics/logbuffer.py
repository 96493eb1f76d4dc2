"""The in-process buffer between the access-log middleware and the spool.

The middleware only appends a small tuple per request (``Event``); a background thread (the
writer) drains the buffer every ``ACCESS_LOG_FLUSH_SECONDS`` or as soon as
``ACCESS_LOG_FLUSH_EVENTS`` are waiting, and writes each batch as one file of the spool
(``spool.segment_write``: the batch's columns, built in C, and a file write). The writer never
touches the database: parsing, hashing and inserting happen in the task worker
(``spool.ingest``), so a web worker's request threads share the GIL with little more than the
serialisation. The buffer is
bounded: when it is full, or a spool file cannot be written, events are dropped and counted — a
response never waits for the log. What is left is spooled when the process exits. Tests run
without the thread and call ``flush()`` (spool, then ingest).
"""

from __future__ import annotations

import atexit
import logging
import os
import threading
from collections import deque

from django.conf import settings

from cll.analytics.events import Event
from cll.analytics.logstore import BLOCK_EVENTS
from cll.analytics.spool import backlog_check, ingest, segment_write

logger = logging.getLogger(__name__)


class AccessLogBuffer:
    def __init__(self, *, capacity: int, flush_events: int, flush_seconds: float, writer: bool):
        self.capacity = capacity
        self.flush_events = flush_events
        self.flush_seconds = flush_seconds
        self.writer_enabled = writer
        self.events: deque[Event] = deque()
        self.dropped = 0
        self.written = 0
        self._reported_dropped = 0
        self._wake = threading.Event()
        self._flush_lock = threading.Lock()
        # This process's writer thread (None in a forked child until its first event).
        self._thread: threading.Thread | None = None

    def add(self, event: Event) -> None:
        """Queue one event; never blocks, never raises. Full buffer: the event is dropped.

        On every request's path: attribute reads and an append, no system call (whether this
        process has its writer is ``_thread``, reset in a forked child, not ``os.getpid()``).
        """
        events = self.events
        if len(events) >= self.capacity:
            self.dropped += 1
            return
        events.append(event)
        if self._thread is None:
            if not self.writer_enabled:
                return
            self._start_writer()
        if len(events) >= self.flush_events and not self._wake.is_set():
            self._wake.set()

    def drain(self, limit: int | None = None) -> list[Event]:
        """Take up to ``limit`` events out of the buffer (deque.popleft is thread-safe)."""
        batch: list[Event] = []
        popleft = self.events.popleft
        count = len(self.events) if limit is None else min(limit, len(self.events))
        try:
            for _ in range(count):
                batch.append(popleft())
        except IndexError:
            pass
        return batch

    def spool(self) -> int:
        """Write everything buffered now to the spool, in batches; returns events spooled.

        A batch whose file cannot be written is lost (``segment_write`` logs why) rather than
        kept: the log must never grow without bound or take the site down with it.
        """
        spooled = 0
        with self._flush_lock:
            # A file becomes one block of the log: at most BLOCK_EVENTS events.
            while batch := self.drain(BLOCK_EVENTS):
                if segment_write(events=batch) is None:
                    self.dropped += len(batch)
                else:
                    spooled += len(batch)
            if self.dropped != self._reported_dropped:
                logger.warning(
                    "access log: %d events dropped so far (buffer full or spool not writable)",
                    self.dropped,
                )
                self._reported_dropped = self.dropped
        self.written += spooled
        return spooled

    def flush(self) -> int:
        """Spool what is buffered, then ingest the spool now; returns rows written (tests,
        and anything else that needs the log in the database at once)."""
        self.spool()
        return ingest()

    def clear(self) -> None:
        self.events.clear()
        self.dropped = self.written = self._reported_dropped = 0

    # -- The writer thread --------------------------------------------------------------------

    def _start_writer(self) -> None:
        with self._flush_lock:
            if self._thread is not None:
                return
            thread = threading.Thread(target=self._run, name="access-log-writer", daemon=True)
            thread.start()
            self._thread = thread

    def _run(self) -> None:
        while True:
            self._wake.wait(self.flush_seconds)
            self._wake.clear()
            try:
                self.spool()
                backlog_check()
            except Exception:
                logger.exception("access log: spooling failed")

    def _after_fork_in_child(self) -> None:
        # A forked worker must not write its parent's events again, and has no writer yet.
        self.events = deque()
        self._wake = threading.Event()
        self._flush_lock = threading.Lock()
        self._thread = None


buffer = AccessLogBuffer(
    capacity=settings.ACCESS_LOG_BUFFER_EVENTS,
    flush_events=settings.ACCESS_LOG_FLUSH_EVENTS,
    flush_seconds=settings.ACCESS_LOG_FLUSH_SECONDS,
    writer=settings.ACCESS_LOG_WRITER,
)
os.register_at_fork(after_in_child=buffer._after_fork_in_child)


def flush() -> int:
    """Spool the buffered events and ingest the spool now; returns rows written (tests)."""
    return buffer.flush()


@atexit.register
def _flush_at_exit() -> None:
    # Spool only: the database may already be gone at exit, and ingesting is the task
    # worker's job.
    if buffer.writer_enabled and buffer.events:
        try:
            buffer.spool()
        except Exception:
            logger.exception("access log: spooling at exit failed")
