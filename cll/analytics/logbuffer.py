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
from collections.abc import Sequence
from typing import NamedTuple

from django.conf import settings

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


class Table(NamedTuple):
    """One text column of a batch, dictionary-encoded: each distinct value once (``values``),
    and per event the index of its value (``index``)."""

    values: list[str]
    index: list[int]

    @classmethod
    def of(cls, column: Sequence[str]) -> Table:
        positions = dict.fromkeys(column)
        for position, value in enumerate(positions):
            positions[value] = position
        # Both built in C; Python runs once per distinct value, not once per event.
        return cls(list(positions), list(map(positions.__getitem__, column)))

    def take(self, rows: Sequence[int]) -> Table:
        index = self.index
        return Table(self.values, [index[row] for row in rows])

    def slice(self, start: int, stop: int) -> Table:
        return Table(self.values, self.index[start:stop])


class Batch(NamedTuple):
    """A batch of events as columns: what the spool stores and the ingester consumes.

    The text columns are ``Table``s (real traffic repeats a few hundred paths and User-Agents:
    stored, parsed and checked once per batch); times are integer microseconds since the
    epoch; statuses are within 0..32767 and durations within 0..2**31-1 (clamped). A session
    key of None and the absence of an exit link are the empty string.
    """

    times: list[int]
    methods: Table
    paths: Table
    statuses: list[int]
    ips: Table
    user_agents: Table
    languages: Table
    referrers: Table
    durations: list[int]
    clickstream: list[bool]
    session_keys: Table
    exit_urls: Table

    @property
    def size(self) -> int:
        """The number of events."""
        return len(self.times)

    @classmethod
    def of(cls, events: Sequence[Event]) -> Batch:
        (
            times,
            methods,
            paths,
            statuses,
            ips,
            user_agents,
            languages,
            referrers,
            durations,
            clickstream,
            session_keys,
            exit_urls,
        ) = zip(*events, strict=True)
        return cls(
            list(map(round, map(_MICROSECONDS.__mul__, times))),
            Table.of(methods),
            Table.of(paths),
            _bounded(statuses, 0, 32767),
            Table.of(ips),
            Table.of(user_agents),
            Table.of(languages),
            Table.of(referrers),
            _bounded(durations, 0, 2**31 - 1),
            list(clickstream),
            Table.of([key or "" for key in session_keys]),
            Table.of(exit_urls),
        )

    def take(self, rows: Sequence[int]) -> Batch:
        """The events at ``rows`` (their tables are shared)."""
        return Batch(
            *(
                column.take(rows) if isinstance(column, Table) else [column[row] for row in rows]
                for column in self
            )
        )

    def slice(self, start: int, stop: int) -> Batch:
        return Batch(
            *(
                column.slice(start, stop) if isinstance(column, Table) else column[start:stop]
                for column in self
            )
        )


_MICROSECONDS = 1_000_000.0


def _bounded(values: Sequence[int], low: int, high: int) -> list[int]:
    """``values`` clamped to [low, high] (checked in C; rewritten only when needed)."""
    if min(values) >= low and max(values) <= high:
        return list(values)
    return [min(max(value, low), high) for value in values]


# The text columns of a batch (``Table``s); the others are integers (``clickstream``: booleans).
TABLE_FIELDS = frozenset(
    (
        "methods",
        "paths",
        "ips",
        "user_agents",
        "languages",
        "referrers",
        "session_keys",
        "exit_urls",
    )
)


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
        from cll.analytics.logstore import BLOCK_EVENTS
        from cll.analytics.spool import segment_write

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
        from cll.analytics.spool import ingest

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
        from cll.analytics.spool import backlog_check

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
