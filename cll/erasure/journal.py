"""The erasure journal: who was erased, kept outside the database so a restore cannot undo it.

A backup restored after an erasure brings the person back (and their data key, which the backup
holds wrapped). The journal is the memory that survives the restore: one JSON line per erased
person, holding only their former public id (a random pseudonym nothing in the live database
leads to any more) and the time. ``manage.py erasure_journal_replay`` erases every journaled
person found in the database again; run it after every restore, before opening the site.

Where: ``settings.ERASURE_JOURNAL`` (``CLL_ERASURE_JOURNAL``, default
``var/erasure-journal.jsonl``).
Keep it off the database's disk and out of the database backups' rotation (copy it to storage
of its own: it is small and append-only). Losing it means erasures since the restored backup
are lost; the periodic flush and the replay print how many lines it has, to compare.

Tamper evidence: each line carries ``mac`` = HMAC-SHA256 over its content and the previous
line's mac, with a key derived (HKDF) from ``CLL_BLIND_INDEX_KEY``. That key, unlike the master
keyring, is not rotated away, so old lines stay verifiable; it is never in the journal or the
database. A line altered or forged without the key fails its MAC and is not replayed (a forged
line could otherwise erase anyone); a deleted or reordered line breaks the chain, which replay
reports (the lines themselves are still genuine and are replayed). Truncation of the tail
cannot be seen from the file alone: that is why the journal also lives on separate storage.

Writing, and what happens when it fails: the erasure's transaction also writes a
``JournalPending`` row (outbox pattern). After the commit the line is appended and fsynced,
then the row deleted. If the append fails (disk full, permissions, the process dies between
commit and write), the row stays and ``erasure_journal_flush`` (every few minutes, and the
first step of every replay) appends it later; failures are logged as errors. The only window
left is a restore of a backup taken *before* the erasure while its line was still pending, i.e.
losing the database within minutes of an erasure and the flush failing all that time: the
error log says so. A line written twice (a flush interrupted after the append) is harmless:
replay is idempotent.

Refusing to serve a database that is behind: the database keeps the number of the last journal
line it holds (``JournalWatermark``, in the database so that a restore brings its old value
back). A flush moves it forward only from the line it was at, under the journal's lock; the
replay sets it to the journal's last genuine line. At every start of the web server the system
check ``erasure.E003`` compares it with the journal's last line (``journal_last_seq``: the
file's tail and one row, never the whole journal) and refuses to serve while the database is
behind, naming ``manage.py erasure_journal_replay``.
"""

from __future__ import annotations

import contextlib
import datetime
import fcntl
import functools
import hashlib
import hmac
import json
import logging
import os
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings

from cll.erasure.models import JournalPending, JournalWatermark
from cll.lib.keyring import decode_key

logger = logging.getLogger(__name__)

VERSION = 1
GENESIS = "0" * 64
# The last line is found in the file's tail; lines are ~200 bytes.
_TAIL_BYTES = 64 * 1024


@functools.lru_cache(maxsize=4)
def _key(root_text: str) -> bytes:
    info = b"cll.erasure-journal.1"
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(
        decode_key(root_text)
    )


def _mac(*, seq: int, at: str, subject: str, prev: str) -> str:
    message = f"{VERSION}|{seq}|{at}|{subject}|{prev}".encode("ascii")
    return hmac.new(_key(settings.BLIND_INDEX_KEY), message, hashlib.sha256).hexdigest()


def journal_path() -> Path:
    return Path(settings.ERASURE_JOURNAL)


@dataclass(frozen=True)
class JournalEntry:
    line: int
    seq: int
    at: str
    subject: uuid.UUID
    mac: str


@dataclass
class JournalReading:
    entries: list[JournalEntry] = field(default_factory=list)  # MAC verified
    problems: list[str] = field(default_factory=list)
    lines: int = 0

    @property
    def subjects(self) -> list[uuid.UUID]:
        return list(dict.fromkeys(entry.subject for entry in self.entries))


def _parse(text: str) -> dict | None:
    try:
        data = json.loads(text)
    except ValueError:
        return None
    keys = {"v", "seq", "at", "subject", "prev", "mac"}
    if not isinstance(data, dict) or set(data) != keys or data["v"] != VERSION:
        return None
    if not isinstance(data["seq"], int) or not all(
        isinstance(data[k], str) for k in ("at", "subject", "prev", "mac")
    ):
        return None
    return data


def journal_read(path: Path | None = None) -> JournalReading:
    """Every line of the journal, verified: genuine entries, and what is wrong with the rest."""
    path = path or journal_path()
    reading = JournalReading()
    if not path.exists():
        return reading
    prev_mac, prev_seq = GENESIS, 0
    with path.open("r", encoding="ascii", errors="replace") as file:
        content = file.read()
    lines = content.split("\n")
    torn = lines.pop()  # "" when the file ends with a newline
    if torn:
        reading.problems.append(
            f"line {len(lines) + 1}: incomplete (a write was interrupted); ignored"
        )
    for number, text in enumerate(lines, start=1):
        reading.lines += 1
        data = _parse(text)
        if data is None:
            reading.problems.append(f"line {number}: not a journal entry; ignored")
            continue
        expected = _mac(seq=data["seq"], at=data["at"], subject=data["subject"], prev=data["prev"])
        if not hmac.compare_digest(expected, data["mac"]):
            reading.problems.append(
                f"line {number}: its MAC does not match (altered, or written with another "
                "CLL_BLIND_INDEX_KEY); not replayed"
            )
            continue
        if data["prev"] != prev_mac or data["seq"] != prev_seq + 1:
            reading.problems.append(
                f"line {number}: the chain is broken before it (lines removed or reordered)"
            )
        try:
            subject = uuid.UUID(data["subject"])
        except ValueError:
            reading.problems.append(f"line {number}: malformed id; ignored")
            continue
        reading.entries.append(
            JournalEntry(
                line=number, seq=data["seq"], at=data["at"], subject=subject, mac=data["mac"]
            )
        )
        prev_mac, prev_seq = data["mac"], data["seq"]
    return reading


def _tail_chunk(fd: int) -> tuple[list[str], int]:
    """The journal's last ``_TAIL_BYTES`` split into lines, and the offset they start at (the
    first line is cut when it is not 0; the last is "" after a final newline, else torn)."""
    size = os.fstat(fd).st_size
    start = max(0, size - _TAIL_BYTES)
    return os.pread(fd, size - start, start).decode("ascii", errors="replace").split("\n"), start


def _tail(fd: int) -> tuple[str, int, bool]:
    """(mac, seq) of the last complete line, and whether the file ends mid-line."""
    lines, _start = _tail_chunk(fd)
    torn = lines[-1] != ""
    # The last element is "" (complete file) or the torn line: skipped either way.
    for text in reversed(lines[:-1]):
        data = _parse(text)
        if data is not None:
            return data["mac"], data["seq"], torn
    return GENESIS, 0, torn


def _genuine_seq(text: str) -> int | None:
    data = _parse(text)
    if data is None:
        return None
    expected = _mac(seq=data["seq"], at=data["at"], subject=data["subject"], prev=data["prev"])
    return data["seq"] if hmac.compare_digest(expected, data["mac"]) else None


def journal_last_seq(path: Path | None = None) -> int:
    """The ``seq`` of the journal's last genuine line (its MAC verifies); 0 without one.

    Cheap enough for every start: only the file's tail is read, unless no genuine line is in
    it (a damaged tail), when the whole journal is.
    """
    path = path or journal_path()
    try:
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        return 0
    try:
        lines, start = _tail_chunk(fd)
    finally:
        os.close(fd)
    if start > 0:
        lines = lines[1:]  # the first one is cut by the tail's start
    for text in reversed(lines):
        seq = _genuine_seq(text)
        if seq is not None:
            return seq
    if start == 0:
        return 0
    entries = journal_read(path).entries
    return entries[-1].seq if entries else 0


def journal_watermark() -> int:
    """The last journal line this database holds (``JournalWatermark``; no row: 0)."""
    return JournalWatermark.objects.filter(pk=1).values_list("seq", flat=True).first() or 0


def journal_watermark_set(seq: int) -> None:
    """This database holds every erasure of the journal up to line ``seq`` (after a replay)."""
    JournalWatermark.objects.update_or_create(pk=1, defaults={"seq": seq})


def _watermark_advance(before: int, after: int) -> None:
    # Only a database that held every line before these moves on: one restored from an older
    # backup stays behind until the replay, however many erasures it journals meanwhile.
    JournalWatermark.objects.get_or_create(pk=1)
    JournalWatermark.objects.filter(pk=1, seq=before).update(seq=after)


def journal_append(
    items: Iterable[tuple[uuid.UUID, datetime.datetime]],
    *,
    written: Callable[[int, int], None] | None = None,
) -> int:
    """Append one line per (former public id, erasure time); fsync before returning.

    ``written(before, after)``, if given, is called with the last ``seq`` before and after the
    append while the journal is still locked (so that calls happen in the journal's order).
    Raises OSError when the journal cannot be written (the caller keeps the pending rows).
    """
    items = list(items)
    if not items:
        return 0
    path = journal_path()
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    created = not path.exists()
    fd = os.open(path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        # One writer at a time, across processes: the chain needs the previous line.
        fcntl.flock(fd, fcntl.LOCK_EX)
        prev, seq, torn = _tail(fd)
        before = seq
        lines = ["\n"] if torn else []
        for subject, erased_at in items:
            seq += 1
            at = erased_at.astimezone(datetime.UTC).isoformat()
            mac = _mac(seq=seq, at=at, subject=str(subject), prev=prev)
            record = {"v": VERSION, "seq": seq, "at": at, "subject": str(subject), "prev": prev}
            lines.append(json.dumps({**record, "mac": mac}, separators=(",", ":")) + "\n")
            prev = mac
        os.write(fd, "".join(lines).encode("ascii"))
        os.fsync(fd)
        if written is not None:
            written(before, seq)
    finally:
        os.close(fd)
    if created:
        # The new directory entry must survive a crash too.
        with contextlib.suppress(OSError):
            dir_fd = os.open(path.parent, os.O_RDONLY)
            try:
                os.fsync(dir_fd)
            finally:
                os.close(dir_fd)
    return len(items)


def journal_flush() -> int:
    """Append the erasures still waiting in the database to the journal; returns how many.

    Never raises for a journal that cannot be written: logs an error and leaves the rows for
    the next flush (an erasure already committed must not look failed to the person).
    """
    pending = list(JournalPending.objects.order_by("erased_at", "pk"))
    if not pending:
        return 0
    try:
        journal_append(
            ((row.subject, row.erased_at) for row in pending), written=_watermark_advance
        )
    except OSError as exc:
        logger.error(
            "The erasure journal %s cannot be written (%s): %d erasure(s) wait in the database "
            "and are retried by erasure_journal_flush.",
            journal_path(),
            type(exc).__name__,
            len(pending),
        )
        return 0
    JournalPending.objects.filter(pk__in=[row.pk for row in pending]).delete()
    return len(pending)
