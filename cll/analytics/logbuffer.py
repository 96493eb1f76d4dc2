"""The in-process buffer between the access-log middleware and the database.

The middleware only appends a small tuple per request (``Event``); a background thread (the
writer) drains the buffer every ``ACCESS_LOG_FLUSH_SECONDS`` or as soon as
``ACCESS_LOG_FLUSH_EVENTS`` are waiting, and hands the batch to
``services.access_events_ingest`` (parsing, hashing and one bulk insert). The buffer is bounded:
when it is full, new events are dropped and counted — a response never waits for the log. What
is left is flushed when the process exits. Tests run without the thread and call ``flush()``.
"""

from __future__ import annotations

import atexit
import logging
import os
import threading
from collections import deque
from typing import NamedTuple

from django.conf import settings
from django.db import connection

logger = logging.getLogger(__name__)


class Event(NamedTuple):
    """What the middleware captures of one request: raw, bounded, nothing parsed yet."""

    time: float  # seconds since the epoch
    method: str
    path: str  # without the query string
    status: int
    ip: str
    user_agent: str
    accept_language: str
    referrer: str
    duration_ms: int
    # Whether the visitor allows the analytics clickstream (consent, and no DNT/GPC).
    clickstream: bool = False
    # The session key (hashed by the writer), only when ``clickstream`` and a session exists.
    session_key: str | None = None
    # The outbound destination of an exit redirect, only when ``clickstream``.
    exit_url: str = ""


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
        self._thread: threading.Thread | None = None
        self._thread_pid: int | None = None

    def add(self, event: Event) -> None:
        """Queue one event; never blocks, never raises. Full buffer: the event is dropped."""
        events = self.events
        if len(events) >= self.capacity:
            self.dropped += 1
            return
        events.append(event)
        if self.writer_enabled:
            if self._thread_pid != os.getpid():
                self._start_writer()
            if len(events) >= self.flush_events:
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

    def flush(self) -> int:
        """Write everything buffered now, in batches; returns how many events were written.

        A batch that fails to write is lost (and logged) rather than retried forever: the log
        must never grow without bound or take the site down with it.
        """
        from cll.analytics.services import access_events_ingest

        written = 0
        with self._flush_lock:
            while batch := self.drain(self.flush_events * 5):
                try:
                    written += access_events_ingest(events=batch)
                except Exception:
                    self.dropped += len(batch)
                    logger.exception("access log: a batch of %d events was lost", len(batch))
            if self.dropped != self._reported_dropped:
                logger.warning(
                    "access log: %d events dropped so far (buffer full or write failed)",
                    self.dropped,
                )
                self._reported_dropped = self.dropped
        self.written += written
        return written

    def clear(self) -> None:
        self.events.clear()
        self.dropped = self.written = self._reported_dropped = 0

    # -- The writer thread --------------------------------------------------------------------

    def _start_writer(self) -> None:
        with self._flush_lock:
            if self._thread_pid == os.getpid():
                return
            self._thread_pid = os.getpid()
            self._thread = threading.Thread(target=self._run, name="access-log-writer", daemon=True)
            self._thread.start()

    def _run(self) -> None:
        while True:
            self._wake.wait(self.flush_seconds)
            self._wake.clear()
            try:
                self.flush()
            except Exception:
                logger.exception("access log: flush failed")
            finally:
                # This thread's own connection: closed between flushes (a flush every few
                # seconds does not need a persistent one, and SQLite locks stay short).
                connection.close()

    def _after_fork_in_child(self) -> None:
        # A forked worker must not write its parent's events again, and has no writer yet.
        self.events = deque()
        self._wake = threading.Event()
        self._flush_lock = threading.Lock()
        self._thread = None
        self._thread_pid = None


buffer = AccessLogBuffer(
    capacity=settings.ACCESS_LOG_BUFFER_EVENTS,
    flush_events=settings.ACCESS_LOG_FLUSH_EVENTS,
    flush_seconds=settings.ACCESS_LOG_FLUSH_SECONDS,
    writer=settings.ACCESS_LOG_WRITER,
)
os.register_at_fork(after_in_child=buffer._after_fork_in_child)


def flush() -> int:
    """Write the buffered events now (tests, and the process's exit)."""
    return buffer.flush()


@atexit.register
def _flush_at_exit() -> None:
    if buffer.writer_enabled and buffer.events:
        try:
            buffer.flush()
        except Exception:
            logger.exception("access log: flush at exit failed")
