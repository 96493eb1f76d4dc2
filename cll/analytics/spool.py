"""The access-log spool: a directory of files between the web workers and the database.

Web workers never write the log to the database: each worker's writer thread
(``logbuffer``) serialises a drained batch of ``Event`` tuples into one file of the spool
directory (``ACCESS_LOG_SPOOL_DIR``), and the task worker (``tasks.access_log_ingest``, every
minute, or ``manage.py access_log_ingest --watch``) checks and stores them. A file is the batch
as columns (``logbuffer.Batch``) in the blocks' binary layout, uncompressed
(``logstore.encode``): each distinct text value once in a JSON header, then fixed-width integer
columns. The request threads then only share the GIL with building those columns (in C) and a
file write every few seconds, not with parsing, hashing and inserting.

Rules:

- A file appears atomically (written under a ``.tmp-`` name, then renamed): an ingester never
  reads half a batch. Files and directory are private to the service account (0600/0700):
  the events carry raw IP addresses and session keys.
- One ingester at a time (``flock`` on ``.ingest.lock``); files are ingested oldest first.
- A file's events and its ``LogSegment`` row are committed together, and the file is deleted
  after the commit: a crash in between leaves a file whose segment is known, skipped (and
  deleted) on the next pass, so no event is written twice.
- A database failure (down, locked) stops the pass and leaves the files: nothing is lost, the
  next pass retries.
- A file that cannot be read, parsed or validated is deleted and its events counted as lost
  (logged as an error): a damaged file must not block the spool, and nothing of it is written.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import itertools
import logging
import os
import re
import time
from collections.abc import Sequence
from pathlib import Path

from django.conf import settings
from django.db import DataError, IntegrityError, transaction
from django.utils import timezone

from cll.analytics import logstore
from cll.analytics.events import TABLE_FIELDS, Batch, Event, Table
from cll.analytics.logstore import BLOCK_EVENTS
from cll.analytics.models import LogSegment
from cll.analytics.services import access_batch_ingest
from cll.core import urlscrub

logger = logging.getLogger(__name__)

LOCK_NAME = ".ingest.lock"
TMP_PREFIX = ".tmp-"
# A temporary file this old was left by a writer that died mid-write.
TMP_MAX_AGE_SECONDS = 3600
# Ingested segment names are remembered this long (a file restored later than this, e.g. from
# a backup, would be ingested again).
SEGMENT_MEMORY = dt.timedelta(days=1)
# <time_ns:020d>-<pid>-<seq>.batch: names sort by creation time.
SEGMENT_NAME = re.compile(r"\d{20}-\d{1,10}-\d{1,20}\.batch")
# Events of the files deleted as damaged since this process started (also logged).
lost = 0

FORMAT_VERSION = 1

_sequence = itertools.count()
# Event timestamps a datetime can hold in any time zone (up to 9999-12-30 UTC).
_TIME_MAX = 253_402_128_000


def spool_dir() -> Path:
    return Path(settings.ACCESS_LOG_SPOOL_DIR)


def segment_write(*, events: Sequence[Event]) -> str | None:
    """Write ``events`` as one spool file; returns its name, or None when it could not be
    written (logged; the caller counts the events as dropped). Never raises for I/O errors:
    the writer thread must keep running whatever the disk does."""
    directory = spool_dir()
    name = f"{time.time_ns():020d}-{os.getpid()}-{next(_sequence)}.batch"
    temporary = directory / f"{TMP_PREFIX}{name}"
    try:
        data = _serialised(events)
        try:
            fd = _create(temporary)
        except FileNotFoundError:
            directory.mkdir(mode=0o700, parents=True, exist_ok=True)
            fd = _create(temporary)
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
        finally:
            os.close(fd)
        # No fsync: a power cut loses at most the last seconds of log, which the buffer in
        # memory would lose anyway; a file left empty or damaged by it is rejected (and
        # deleted) by the ingester. An fsync per batch would cost every worker a disk flush.
        os.replace(temporary, directory / name)
    except Exception:
        logger.exception("access log: a spool file of %d events could not be written", len(events))
        with contextlib.suppress(OSError):
            temporary.unlink(missing_ok=True)
        return None
    return name


# A spool file: the batch in the blocks' binary layout (logstore.encode, uncompressed): the
# tables in the JSON header, one fixed-width integer column per field of ``Batch``.
# Unsigned columns: what is left to check is an upper bound (one C-level ``max`` per column).
SPOOL_COLUMNS = (
    ("times", "Q"),
    ("methods", "H"),
    ("paths", "H"),
    ("statuses", "H"),
    ("ips", "H"),
    ("user_agents", "H"),
    ("languages", "H"),
    ("referrers", "H"),
    ("durations", "I"),
    ("clickstream", "B"),
    ("session_keys", "H"),
    ("exit_urls", "H"),
)
if tuple(name for name, _code in SPOOL_COLUMNS) != Batch._fields:  # pragma: no cover
    raise ImportError("SPOOL_COLUMNS must list Batch's fields in order")


def _serialised(events: Sequence[Event]) -> bytes:
    """The spool file of ``events`` (at most BLOCK_EVENTS): ``Batch.of`` and the arrays are
    built in C, JSON only holds each distinct text value once."""
    batch = Batch.of(events)
    tables = {name: getattr(batch, name).values for name in sorted(TABLE_FIELDS)}
    # Referrers may be pages of ours with a token in their path, or anybody's URL: reduced
    # before they touch the disk (paths were reduced by the middleware), once per value.
    own_hosts = urlscrub.own_hosts()
    tables["referrers"] = [
        urlscrub.referrer_without_secrets(value, own_hosts) if value else ""
        for value in tables["referrers"]
    ]
    return logstore.encode(
        {"rows": batch.size, "tables": tables},
        SPOOL_COLUMNS,
        [column.index if isinstance(column, Table) else column for column in batch],
    )


# A spool file older than this means no task worker ingests the spool: the web workers say so
# in their log (at most every BACKLOG_REPORT_SECONDS each), as the raw events pile up on disk.
BACKLOG_SECONDS = 600
BACKLOG_REPORT_SECONDS = 600
_backlog_reported = [0.0]


def backlog_seconds() -> float:
    """How long the oldest spool file has waited (0 without any): names start with the time
    they were written."""
    try:
        names = [
            name
            for name in os.listdir(spool_dir())
            if name.endswith(".batch") and not name.startswith(".")
        ]
    except FileNotFoundError:
        return 0.0
    if not names:
        return 0.0
    oldest = min(names)[:20]
    written = int(oldest) / 1e9 if oldest.isdigit() else time.time()
    return max(0.0, time.time() - written)


def backlog_check() -> float:
    """Log an error when the spool is not being ingested (called by the writer threads, about
    once per flush); returns the backlog in seconds."""
    backlog = backlog_seconds()
    now = time.monotonic()
    if backlog > BACKLOG_SECONDS and now - _backlog_reported[0] > BACKLOG_REPORT_SECONDS:
        _backlog_reported[0] = now
        logger.error(
            "access log: the spool's oldest file has waited %d minutes: is the task worker "
            "(access_log_ingest) running? Events stay on disk until it is.",
            backlog // 60,
        )
    return backlog


def _create(path: Path) -> int:
    # O_EXCL: a name is never reused; 0600 whatever the umask (which can only remove bits).
    return os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600)


def ingest(*, limit: int | None = None) -> int:
    """Ingest the spool files, oldest first (at most ``limit`` files); returns how many events
    (requests) were written to the log.

    Returns 0 at once when another ingester holds the lock. A database error other than bad
    data stops the pass and leaves the file for the next one (the database may be down: its
    events must not be lost for that).
    """
    directory = spool_dir()
    try:
        lock = os.open(
            directory / LOCK_NAME, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC | os.O_NOFOLLOW, 0o600
        )
    except FileNotFoundError:
        # No spool directory: no writer ever ran here, nothing to ingest.
        return 0
    try:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            # Another ingester is at work (the task worker and a --watch command, say).
            return 0
        written = 0
        stopped = False
        names = sorted(
            name
            for name in os.listdir(directory)
            if name.endswith(".batch") and not name.startswith(".")
        )
        for name in names if limit is None else names[:limit]:
            count = _ingest_file(directory, name)
            if count is None:
                stopped = True
                break
            written += count
        _forget_stale(directory, segments=not stopped)
        return written
    finally:
        # Closing the descriptor releases the lock.
        os.close(lock)


def _ingest_file(directory: Path, name: str) -> int | None:
    """One file: events written (0 when damaged, unreadable or seen before), None to stop the
    pass (the database failed)."""
    global lost
    path = directory / name
    try:
        raw = _read(path)
    except FileNotFoundError:
        return 0
    except OSError:
        # Kept (not lost) for someone to look at: written by another account, a disk error...
        logger.exception("access log: spool file %s could not be read (skipped)", name)
        return 0
    batch = _parsed(name, raw)
    if batch is None:
        _unlink(path)
        return 0
    written = 0
    try:
        with transaction.atomic():
            # Present: ingested before a crash that left the file behind.
            if not LogSegment.objects.filter(name=name).exists():
                LogSegment.objects.create(name=name)
                written = access_batch_ingest(batch=batch)
    except (DataError, IntegrityError, ValueError, OverflowError):
        # Well-formed but refused by the parser or the database: retrying cannot help.
        lost += batch.size
        logger.exception("access log: spool file %s refused, %d events lost", name, batch.size)
    except Exception:
        # The database may be down: the file waits for the next pass, nothing is lost.
        logger.exception("access log: spool file %s not ingested (left for the next pass)", name)
        return None
    _unlink(path)
    return written


def _read(path: Path) -> bytes:
    fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC | os.O_NOFOLLOW)
    with os.fdopen(fd, "rb") as file:
        return file.read()


def _parsed(name: str, raw: bytes) -> Batch | None:
    """The file's batch when it is well-formed; else None (logged, events counted lost)."""
    global lost
    try:
        return _validated(name, raw)
    except ValueError as exc:  # logstore.DamagedBlock included
        count = _declared_rows(raw)
        lost += count
        logger.error(
            "access log: damaged spool file %s deleted, %d events lost (%s)",
            name,
            count,
            str(exc)[:200],
        )
        return None


def _declared_rows(raw: bytes) -> int:
    """How many events a damaged file says it holds (0 when it cannot say)."""
    try:
        rows = logstore.decode(raw)[0]["rows"]
    except (ValueError, KeyError, TypeError):
        return 0
    return rows if type(rows) is int and 0 <= rows <= BLOCK_EVENTS else 0


_SPOOL_NAMES = [name for name, _code in SPOOL_COLUMNS]
_SPOOL_TYPES = "".join(code for _name, code in SPOOL_COLUMNS)
# Event times a datetime can hold in any time zone (up to 9999-12-30 UTC), in microseconds.
_TIME_MAX_US = _TIME_MAX * 1_000_000


def _validated(name: str, raw: bytes) -> Batch:
    """The batch of a spool file, or ValueError.

    The columns are unsigned fixed-width integers by construction (``array``); what is left
    to check is in C too: each index column points into its table, times, statuses,
    durations and the clickstream flags are in range, and the tables hold text.
    """
    if not SEGMENT_NAME.fullmatch(name):
        raise ValueError("not a spool file name")
    header, columns = logstore.decode(raw)
    if header.get("columns") != _SPOOL_NAMES or header.get("types") != _SPOOL_TYPES:
        raise ValueError("not a spool batch")
    count, tables = header["rows"], header.get("tables")
    if type(count) is not int or not 0 < count <= BLOCK_EVENTS:
        raise ValueError("not 1 to BLOCK_EVENTS events")
    if type(tables) is not dict or tables.keys() != TABLE_FIELDS:
        raise ValueError("not the batch's tables")

    def within(column: str, high: int) -> None:
        if max(columns[column]) > high:  # unsigned columns: no lower bound to check
            raise ValueError(f"{column}: out of range")

    within("times", _TIME_MAX_US - 1)
    within("statuses", 32767)
    within("durations", 2**31 - 1)
    within("clickstream", 1)
    batch = []
    for field in Batch._fields:
        if field in TABLE_FIELDS:
            values = tables[field]
            if type(values) is not list or not set(map(type, values)) <= {str}:
                raise ValueError(f"{field}: not a table of text")
            within(field, len(values) - 1)
            batch.append(Table(values, columns[field]))
        else:
            batch.append(columns[field])
    return Batch(*batch)


def _unlink(path: Path) -> None:
    try:
        path.unlink(missing_ok=True)
    except OSError:
        logger.exception("access log: spool file %s could not be deleted", path.name)


def _forget_stale(directory: Path, *, segments: bool) -> None:
    """Delete temporary files whose writer died, and (``segments``: the database answers)
    segment names older than a day."""
    oldest = time.time() - TMP_MAX_AGE_SECONDS
    with os.scandir(directory) as entries:
        for entry in entries:
            if not entry.name.startswith(TMP_PREFIX):
                continue
            with contextlib.suppress(FileNotFoundError):
                if entry.stat(follow_symlinks=False).st_mtime < oldest:
                    _unlink(Path(entry.path))
    if segments:
        LogSegment.objects.filter(ingested_at__lt=timezone.now() - SEGMENT_MEMORY).delete()
