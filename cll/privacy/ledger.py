"""The evidence ledger's chain: a sequencer after commit, keyed hashes, signed checkpoints.

Writing
    ``services.audit_record`` inserts the entry in the caller's transaction with no place in the
    chain (``seq``, ``prev_hash`` and ``hash`` NULL) and takes no lock: audited writes of the
    whole site run side by side, and a rollback takes the evidence with the change.

The sequencer
    ``ledger_chain`` places every committed entry that has no place yet, in the order written
    (``id``), each at the next ``seq`` after the head, in one short transaction holding the
    chain lock (a PostgreSQL advisory lock; on SQLite the write lock every transaction takes
    with BEGIN IMMEDIATE). It runs after every commit that wrote entries
    (``transaction.on_commit``): on PostgreSQL from a thread of the writing process, woken by
    the commit, so the writer does not wait for it; on SQLite (one writer at a time anyway) and
    in tests at the commit itself. It also runs from the periodic job and at the start of
    ``audit_verify``: an entry whose process died between its commit and its placement is
    placed by the next run. After a commit the lock is only *tried*: when another process holds
    it, that process looks for unplaced entries again once it has released it.

The hash
    ``hash = HMAC-SHA256(key, prev_hash + canonical JSON of the entry)`` where ``key`` is the
    entry's ``key_id`` in ``CLL_AUDIT_KEY`` (``settings.AUDIT_KEYRING``): the first key places
    new entries, older ones stay listed to verify what they placed. The key never reaches the
    database, so rights on the database alone cannot produce hashes that fit. Entries placed
    before the chain was keyed (``key_id`` empty) keep their plain SHA-256 and are verified as
    they are; they can only form the start of the chain, and each checkpoint records where they
    end (``legacy_end``).

Checkpoints
    ``checkpoint_write`` appends the head (seq, hash, time, ``legacy_end``) signed with Ed25519
    (``CLL_AUDIT_SIGNING_KEY``) to a monthly file of ``CLL_AUDIT_CHECKPOINT_DIR``, outside the
    database. ``audit_verify`` checks that the chain still holds the latest checkpoint's head
    with the same hash, so a ledger whose last entries were cut off, or rewritten by someone
    holding the HMAC key, is detected without a head noted by hand. Keep the directory on other
    storage than the database (and out of its backups' rotation), ideally append-only.
"""

from __future__ import annotations

import atexit
import base64
import binascii
import hashlib
import hmac
import json
import logging
import os
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from django.conf import settings
from django.db import close_old_connections, connections, router, transaction
from django.db.models import F
from django.utils import timezone

from cll.lib import signing
from cll.lib.keyring import Keyring
from cll.privacy.models import AuditEntry, AuditSeal

logger = logging.getLogger(__name__)

GENESIS_HASH = "0" * 64

# Key of the PostgreSQL advisory lock held by the sequencer ("cllaudit" in ASCII).
CHAIN_LOCK_KEY = 0x636C6C6175646974
# Entries placed per transaction of the sequencer.
CHAIN_BATCH = 1000
# After a commit, a writer helps place entries for at most this many rounds: under a steady
# stream of commits it would otherwise keep placing other writers' entries instead of answering
# its own request. What it leaves is placed by the next commit or the periodic job.
AFTER_COMMIT_ROUNDS = 3
CHECKPOINT_VERSION = 1


@dataclass(frozen=True)
class Place:
    """Where the sequencer put an entry."""

    seq: int
    prev_hash: str
    hash: str
    key_id: str
    # When the entry was written: tells it apart from another entry that had the same id.
    at: datetime


class UnknownKeyError(LookupError):
    """An entry names a key id that CLL_AUDIT_KEY does not hold."""


# -- The hash ----------------------------------------------------------------------------------


def _uuid_text(value: uuid.UUID | str | None) -> str | None:
    return None if value is None else str(uuid.UUID(str(value)))


def entry_content(entry: AuditEntry) -> str:
    """The canonical form of an entry's content: sorted keys, no spaces, UTC time in ISO 8601
    with microseconds, UUIDs as lower-case hyphenated strings; ``key`` only for keyed entries
    (the unkeyed entries of before kept exactly the form they were hashed in)."""
    content = {
        "seq": entry.seq,
        "at": entry.at.astimezone(UTC).isoformat(timespec="microseconds"),
        "actor": _uuid_text(entry.actor),
        "actor_role": entry.actor_role,
        "subject": _uuid_text(entry.subject),
        "action": entry.action,
        "target": entry.target,
        "fields": entry.fields,
        "route": entry.route,
        "detail": entry.detail,
    }
    if entry.key_id:
        content["key"] = entry.key_id
    return json.dumps(content, sort_keys=True, separators=(",", ":"), allow_nan=False)


def audit_entry_hash(entry: AuditEntry, *, keyring: Keyring | None = None) -> str:
    """The hash an entry must carry, from its ``prev_hash``, content and ``key_id``.

    The one implementation shared by the sequencer (which writes it) and ``audit_verify``
    (which recomputes it). Raises UnknownKeyError when the entry's key is not in the keyring.
    """
    message = ((entry.prev_hash or "") + entry_content(entry)).encode()
    if not entry.key_id:
        return hashlib.sha256(message).hexdigest()
    key = (keyring or settings.AUDIT_KEYRING).keys.get(entry.key_id)
    if key is None:
        raise UnknownKeyError(entry.key_id)
    return hmac.new(key, message, hashlib.sha256).hexdigest()


# -- Writing an entry --------------------------------------------------------------------------

# Written by entry_insert; seq, prev_hash and hash stay NULL until the sequencer places it.
_INSERTED = (
    "at",
    "actor",
    "actor_role",
    "subject",
    "action",
    "target",
    "fields",
    "route",
    "detail",
    "key_id",
)
_INSERT = (
    'INSERT INTO "privacy_auditentry" ("at", "actor", "actor_role", "subject", "action", '
    '"target", "fields", "route", "detail", "key_id") '
    "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"
)
# PostgreSQL: the values travel as one JSON document, unpacked by the server.
_INSERT_FROM_JSON = (
    'INSERT INTO "privacy_auditentry" ("at", "actor", "actor_role", "subject", "action", '
    '"target", "fields", "route", "detail", "key_id") '
    "SELECT r.at, r.actor, r.actor_role, r.subject, r.action, r.target, r.fields, r.route, "
    "r.detail, '' FROM jsonb_to_record(%s::jsonb) AS r(at timestamptz, actor uuid, "
    "actor_role varchar, subject uuid, action varchar, target varchar, fields jsonb, "
    'route varchar, detail jsonb) RETURNING "id"'
)
_COLUMNS = [field.attname for field in AuditEntry._meta.concrete_fields]


def entry_insert(values: dict, *, using: str) -> AuditEntry:
    """INSERT an entry without a place in the chain, in the current transaction; ``values``
    holds the content (``at``, ``actor``... ``detail``), already checked by ``audit_record``.

    One plain statement, not ``Model.save()``: every audited write of the site pays for it,
    and through the ORM the insert alone took more CPU than the business write it audits
    (bench/ledger.py). On PostgreSQL the values go as one JSON parameter: binding ten
    parameters one by one on the client cost more than the server takes to unpack them.
    """
    connection = connections[using]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            document = {
                **values,
                "at": values["at"].isoformat(),
                "actor": _uuid_text(values["actor"]),
                "subject": _uuid_text(values["subject"]),
            }
            cursor.execute(_INSERT_FROM_JSON, [json.dumps(document, allow_nan=False)])
            entry_id = cursor.fetchone()[0]
        else:
            params = [
                AuditEntry._meta.get_field(name).get_db_prep_save(values.get(name, ""), connection)
                for name in _INSERTED
            ]
            if connection.features.can_return_columns_from_insert:
                cursor.execute(_INSERT + ' RETURNING "id"', params)
                entry_id = cursor.fetchone()[0]
            else:
                cursor.execute(_INSERT, params)
                entry_id = connection.ops.last_insert_id(cursor, AuditEntry._meta.db_table, "id")
    row = {**values, "id": entry_id, "seq": None, "prev_hash": None, "hash": None, "key_id": ""}
    return AuditEntry.from_db(using, _COLUMNS, [row[name] for name in _COLUMNS])


# -- The sequencer -----------------------------------------------------------------------------

# What this thread's last run placed: the other entries of the same commit find their place
# here instead of running the sequencer again.
_last_run = threading.local()


def ledger_chain(
    *, using: str | None = None, wait: bool = True, rounds: int | None = None
) -> dict[int, Place]:
    """Place every committed entry that has no place yet; returns ``{id: place}`` of those this
    call placed (others may have been placed meanwhile by another process).

    ``wait=False`` only tries the lock and gives up when another process holds it (that process
    will look again after releasing it). Call it outside a transaction: inside one, the lock
    would be held until that transaction ends.
    """
    using = using or router.db_for_write(AuditEntry)
    placed: dict[int, Place] = {}
    done = 0
    while rounds is None or done < rounds:
        done += 1
        with transaction.atomic(using=using):
            if not _lock_chain(using, wait=wait):
                break
            placed.update(_place_pending(using))
        # Entries committed while the lock was held may have left their placement to this
        # holder (their try failed): look again now that it is released.
        if not _pending(using).exists():
            break
    return placed


def chain_after_commit(entry: AuditEntry, using: str) -> None:
    """Run by ``audit_record`` once its transaction committed.

    On PostgreSQL with ``settings.AUDIT_CHAIN_THREAD`` (the default outside tests) it only
    wakes this process's sequencer thread, which places the entries committed meanwhile in one
    short transaction: the writer does not wait for the chain, and a burst of commits costs one
    placement. Otherwise it places them now and fills in the instance's place: SQLite runs one
    writer at a time anyway, and a write from another thread of the process would end the
    snapshot of a connection that reads a stream of rows and then writes (the export's
    progress), which SQLite refuses ("database is locked").

    Never raises: the change it follows is committed, and an entry left without a place is
    placed by the next run (another commit, the periodic job, ``audit_verify``).
    """
    if settings.AUDIT_CHAIN_THREAD and connections[using].vendor == "postgresql":
        _sequencer.notify(entry.id, using)
        return
    place = getattr(_last_run, "placed", {}).get(entry.id)
    # The same entry, not one of a rolled-back test transaction that had the same id.
    if place is None or place.at != entry.at:
        try:
            _last_run.placed = ledger_chain(using=using, wait=False, rounds=AFTER_COMMIT_ROUNDS)
        except Exception:
            logger.exception(
                "The audit ledger could not chain entry %s after its commit; the periodic job "
                "will.",
                entry.id,
            )
            return
        place = _last_run.placed.get(entry.id)
    if place is not None and place.at == entry.at:
        entry.seq, entry.prev_hash, entry.hash, entry.key_id = (
            place.seq,
            place.prev_hash,
            place.hash,
            place.key_id,
        )


class _SequencerThread:
    """This process's sequencer thread: woken by commits that wrote entries, it waits
    ``COALESCE_SECONDS`` for more, then places them unless another process already did.

    Started on the first commit in each process (after a fork too); placing what is left
    when the process exits. Its own database connection, outside any request; it keeps placing
    while entries are waiting and the lock is free (nobody waits for it).
    """

    # Placement may lag by this much; meanwhile readers list the entry after the chain.
    COALESCE_SECONDS = 0.25

    def __init__(self) -> None:
        self._guard = threading.Lock()
        self._wake = threading.Event()
        self._waiting: dict[str, list[int]] = {}
        self._thread: threading.Thread | None = None
        self._pid = 0
        self._stopping = False

    def notify(self, entry_id: int, using: str) -> None:
        with self._guard:
            self._waiting.setdefault(using, []).append(entry_id)
            if self._pid != os.getpid() or self._thread is None or not self._thread.is_alive():
                self._start()
        self._wake.set()

    def _start(self) -> None:
        if self._pid != os.getpid():
            # A forked child inherits the parent's object, not its thread.
            self._pid = os.getpid()
            atexit.register(self.stop)
        self._stopping = False
        self._thread = threading.Thread(target=self._loop, name="cll-ledger-sequencer", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Place what is still waiting, then end the thread (at the process's exit)."""
        self._stopping = True
        self._wake.set()
        if self._thread is not None and self._thread.is_alive():
            self._thread.join(timeout=10)

    def _loop(self) -> None:
        while True:
            self._wake.wait()
            if not self._stopping:
                # Let a burst of commits gather into one placement.
                time.sleep(self.COALESCE_SECONDS)
            self._wake.clear()
            with self._guard:
                waiting, self._waiting = self._waiting, {}
            for using, ids in waiting.items():
                self._place(using, ids)
            if self._stopping:
                connections.close_all()
                return

    def _place(self, using: str, ids: list[int]) -> None:
        try:
            close_old_connections()
            # Often another process's sequencer has placed them already: one cheap read.
            if _pending(using).exists():
                ledger_chain(using=using, wait=False)
        except Exception:
            logger.exception(
                "The audit ledger could not chain %d entries after their commit; the periodic "
                "job will.",
                len(ids),
            )
            connections[using].close()


_sequencer = _SequencerThread()


def _pending(using: str):
    return AuditEntry.objects.using(using).filter(seq__isnull=True)


def _lock_chain(using: str, *, wait: bool) -> bool:
    """Take the chain lock until the current transaction ends; False when ``wait`` is off and
    another process holds it."""
    connection = connections[using]
    if connection.vendor != "postgresql":
        # SQLite: the transaction began with BEGIN IMMEDIATE (settings), which holds the
        # database's single write lock until it ends; nobody else can place entries meanwhile.
        return True
    function = "pg_advisory_xact_lock" if wait else "pg_try_advisory_xact_lock"
    with connection.cursor() as cursor:
        # Released by PostgreSQL itself at commit or rollback, so it cannot leak.
        cursor.execute(f"SELECT {function}(%s)", [CHAIN_LOCK_KEY])
        return wait or bool(cursor.fetchone()[0])


def _head(using: str) -> tuple[int, str]:
    """(seq, hash) of the last placed entry; the latest seal's when the retention removed every
    entry; (0, genesis) for an empty ledger."""
    head = (
        AuditEntry.objects.using(using)
        .filter(seq__isnull=False)
        .order_by(F("seq").desc())
        .values_list("seq", "hash")
        .first()
    )
    if head is None:
        head = AuditSeal.objects.using(using).order_by("-seq").values_list("seq", "hash").first()
    return head or (0, GENESIS_HASH)


def _place_pending(using: str) -> dict[int, Place]:
    """Under the chain lock: place the committed entries without a place, in the order written."""
    pending = list(_pending(using).order_by("id")[:CHAIN_BATCH])
    if not pending:
        return {}
    seq, prev_hash = _head(using)
    keyring = settings.AUDIT_KEYRING
    placed = {}
    for entry in pending:
        seq += 1
        entry.seq, entry.prev_hash, entry.key_id = seq, prev_hash, keyring.active_id
        entry.hash = prev_hash = audit_entry_hash(entry, keyring=keyring)
        placed[entry.id] = Place(entry.seq, entry.prev_hash, entry.hash, entry.key_id, entry.at)
    # The triggers allow this one UPDATE: the four columns from NULL/empty to set, nothing else.
    connection = connections[using]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # One statement for the whole batch: planned once, not once per entry.
            cursor.execute(
                "UPDATE privacy_auditentry AS e SET seq = v.seq, prev_hash = v.prev_hash, "
                "hash = v.hash, key_id = v.key_id FROM unnest(%s::bigint[], %s::bigint[], "
                "%s::varchar[], %s::varchar[], %s::varchar[]) AS v(id, seq, prev_hash, hash, "
                "key_id) WHERE e.id = v.id AND e.seq IS NULL",
                [list(column) for column in zip(*_columns(pending), strict=True)],
            )
        else:
            cursor.executemany(
                "UPDATE privacy_auditentry SET seq = %s, prev_hash = %s, hash = %s, key_id = %s "
                "WHERE id = %s AND seq IS NULL",
                [(*row[1:], row[0]) for row in _columns(pending)],
            )
    return placed


def _columns(entries: list[AuditEntry]) -> list[tuple[int, int, str, str, str]]:
    return [(e.id, e.seq, e.prev_hash, e.hash, e.key_id) for e in entries]


# -- Signed checkpoints ------------------------------------------------------------------------


@dataclass(frozen=True)
class Checkpoint:
    seq: int
    hash: str
    at: datetime
    # The last entry hashed without a key (0: none); every entry after it must be keyed.
    legacy_end: int
    # "<file>:<line>", to name it in messages.
    source: str


class CheckpointError(Exception):
    """A checkpoint file holds a line signed with our key whose signature does not verify."""


def checkpoint_dir() -> Path:
    return Path(settings.AUDIT_CHECKPOINT_DIR)


def _signed_part(fields: dict) -> bytes:
    unsigned = {name: value for name, value in fields.items() if name != "sig"}
    return json.dumps(unsigned, sort_keys=True, separators=(",", ":")).encode()


def checkpoint_write(
    *, seq: int, hash: str, legacy_end: int, now: datetime | None = None
) -> Checkpoint:
    """Append a signed checkpoint of the head ``seq``/``hash`` to this month's file.

    Sign only a head that was just verified (the periodic job and ``audit_verify
    --checkpoint`` do). The line is written with one ``write`` to a file opened for appending,
    then fsynced; a line torn by a crash is skipped by the reader.
    """
    key = settings.AUDIT_SIGNING_KEY
    now = (now or timezone.now()).astimezone(UTC)
    fields = {
        "v": CHECKPOINT_VERSION,
        "seq": seq,
        "hash": hash,
        "at": now.isoformat(timespec="seconds"),
        "legacy_end": legacy_end,
        "kid": signing.key_id(key),
    }
    fields["sig"] = base64.b64encode(key.sign(_signed_part(fields))).decode()
    line = json.dumps(fields, sort_keys=True, separators=(",", ":")) + "\n"
    directory = checkpoint_dir()
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"audit-checkpoints-{now:%Y-%m}.jsonl"
    created = not path.exists()
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
    try:
        if not created and os.fstat(fd).st_size and not _ends_with_newline(path):
            # The last write was torn by a crash: end that fragment so this line stands alone.
            line = "\n" + line
        os.write(fd, line.encode())
        os.fsync(fd)
    finally:
        os.close(fd)
    if created:
        _fsync_directory(directory)
    number = sum(1 for _ in path.open())
    return Checkpoint(seq, hash, now, legacy_end, f"{path.name}:{number}")


def _ends_with_newline(path: Path) -> bool:
    with path.open("rb") as handle:
        handle.seek(-1, os.SEEK_END)
        return handle.read(1) == b"\n"


def _fsync_directory(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def checkpoint_latest() -> Checkpoint | None:
    """The latest checkpoint signed with our key, or None when there is none.

    Lines that do not parse (a write torn by a crash) and lines signed with another key (before
    ``CLL_AUDIT_SIGNING_KEY`` was changed) are skipped: they prove nothing. A line that claims
    our key but whose signature fails raises CheckpointError: the file was tampered with.
    """
    key = settings.AUDIT_SIGNING_KEY
    our_kid = signing.key_id(key)
    public = key.public_key()
    directory = checkpoint_dir()
    if not directory.is_dir():
        return None
    for path in sorted(directory.glob("audit-checkpoints-*.jsonl"), reverse=True):
        lines = path.read_text(errors="replace").split("\n")
        for number in range(len(lines), 0, -1):
            fields = _parse(lines[number - 1])
            if fields is None or fields.get("kid") != our_kid:
                continue
            source = f"{path.name}:{number}"
            try:
                public.verify(base64.b64decode(fields["sig"], validate=True), _signed_part(fields))
            except (InvalidSignature, binascii.Error, ValueError) as exc:
                raise CheckpointError(
                    f"the checkpoint {source} does not verify with the signing key: the "
                    "checkpoint files were tampered with."
                ) from exc
            return Checkpoint(
                seq=fields["seq"],
                hash=fields["hash"],
                at=datetime.fromisoformat(fields["at"]),
                legacy_end=fields["legacy_end"],
                source=source,
            )
    return None


def _parse(line: str) -> dict | None:
    try:
        fields = json.loads(line)
    except ValueError:
        return None
    expected = {"v": int, "seq": int, "hash": str, "at": str, "legacy_end": int, "kid": str}
    if not isinstance(fields, dict) or not isinstance(fields.get("sig"), str):
        return None
    if any(not isinstance(fields.get(name), kind) for name, kind in expected.items()):
        return None
    try:
        datetime.fromisoformat(fields["at"])
    except ValueError:
        return None
    return fields
