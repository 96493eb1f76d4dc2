"""What the access log carries between the middleware, the spool and the ingester: one
request (``Event``) and a batch of them as columns (``Batch`` of ``Table``s). Data types only,
so that the buffer (``logbuffer``), the spool and the ingester can all use them without
importing each other."""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple


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
