"""Encryption at rest: per-person data keys, sealed values and model fields (the platform's).

The primitives (token format, key wrapping, blind indexes) are ``cll/lib/crypto.py``; this
module adds what needs the database: the data keys' table, their cache, and the fields.

Envelope encryption
-------------------
Every person (identified by their public id, ``subject``) has one random 256-bit *data key*. Each
encrypted value about them is sealed with AES-256-GCM under that key. The data key itself is
stored *wrapped* (AES-256-GCM again) by the active *master key* of ``settings.ENCRYPTION_KEYRING``
(``CLL_KEYRING``, see ``cll/lib/keyring.py``) in a ``core.DataKey`` row. Values of no one in
particular use the system key, whose subject is the nil UUID.

Why one key per person:

- Crypto-shredding. Erasure (``data_key_destroy``) overwrites one small row; every ciphertext about
  the person, in the live database, in replicas and in dumps taken afterwards, becomes noise
  without hunting each copy down.
- Nonce budget. GCM with random 96-bit nonces is safe for about 2**32 messages per key; one key
  per person keeps every key many orders of magnitude below that.
- Rotation is cheap. Replacing a master key re-wraps the data keys (``manage.py rotate_keys``,
  resumable, in batches); no stored value is decrypted or rewritten.

Backups: a backup holds the wrapped keys as they were when it was taken, and they open for as
long as the master key that wrapped them exists. Old backups are put beyond reach by rotating
the master keyring (``rotate_keys``, then removing the old master key from the environment), so
the rotation period must not exceed the backup retention period.

The wrapped key is ``0x01 | nonce (12) | AES-GCM(master, data key) (32 + 16 tag)``, with the data
key id, the subject and the master key id as associated data: a wrapped key copied onto another
row, or relabelled with another subject or master key id, fails to unwrap.

Value tokens
------------
A sealed value is stored as text::

    e1.<base64url, unpadded: 0x01 | data key id (16) | nonce (12) | ciphertext | tag (16)>

The first 17 bytes (version and key id) are the associated data, so the header cannot be
altered or swapped without the tag failing. The token names its own data key, so decryption needs
nothing but the token: a row can change subject (its next save re-seals it with the new key),
rotation never touches values, and an unreadable value says exactly which key it needs. The
nonce is random, so two encryptions of the same value differ and equal values cannot be spotted
in the database. The base64 text must be canonical: every character of a token is significant.

Known limits, accepted: the length of a value shows through (token length grows with plaintext
length); a token is bound to its key, not to its row or column, so someone able to write to the
database can copy one person's token into another of that person's cells; the database can
neither search nor sort sealed values. An empty string is stored as an empty string: its
ciphertext would reveal that it is empty by its length anyway, and it lets a migration add a
``blank=True`` column to existing rows.

Blind indexes
-------------
``blind_index(value, purpose=...)`` is HMAC-SHA256 over the normalised value (NFKC, casefolded,
stripped) with a key derived by HKDF from ``CLL_BLIND_INDEX_KEY`` and the purpose; it allows
exact-match lookups (``filter(email_bidx=blind_index(...))``) on values stored encrypted. Each
purpose has its own key, so the same e-mail address in two tables gives unrelated indexes and
the tables cannot be joined on them. The index key is separate from the master keyring because
its life is different: master keys rotate by re-wrapping, but changing the index key means
recomputing every index from plaintext; and holding it lets one confirm a guessed value (a
dictionary attack on e-mail addresses), never decrypt one, so losing one key does not give away
what the other protects.

The key cache
-------------
Unwrapped data keys are kept in process memory for at most ``DATA_KEY_CACHE_SECONDS``
(``CLL_DATA_KEY_CACHE_SECONDS``, 0 disables it), at most ``_CACHE_SIZE`` of them. Without it a
page listing fifty rows would make fifty extra queries. The price: keys sit in memory for that
long, and after an erasure *other* processes can still use the destroyed key until their entry
expires (the erasing process evicts its own at once). Keys created inside a transaction are only
cached once it commits, so a rolled-back key can never seal a value that outlives it.
"""

from __future__ import annotations

import datetime
import functools
import json
import secrets
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django import forms
from django.conf import settings
from django.core import checks
from django.core.exceptions import FieldDoesNotExist, FieldError
from django.db import IntegrityError, models, router, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cll.lib.crypto import (
    SYSTEM_SUBJECT,
    TOKEN_PREFIX,
    CryptoError,
    DecryptionError,
    KeyDestroyed,
    MasterKeyError,
    blind_index,
    normalise,
    open_token,
    parse_token,
    seal,
    token_key_id,
    unwrap_key,
    wrap_key,
)
from cll.lib.hooks import Hook
from cll.lib.keyring import KEY_BYTES

__all__ = [
    "SYSTEM_SUBJECT",
    "TOKEN_PREFIX",
    "CryptoError",
    "DecryptionError",
    "KeyDestroyed",
    "MasterKeyError",
    "blind_index",
    "normalise",
    "token_key_id",
]

_CACHE_SIZE = 1024
# Losing the insert race twice needs the winner's key destroyed in between; more is a bug.
_CREATE_ATTEMPTS = 3


# -- Data keys ----------------------------------------------------------------------------------


class DataKey(models.Model):
    """A person's data key, wrapped (encrypted) by a master key of the keyring.

    Every encrypted value about a person is sealed with their data key. Erasure destroys the
    wrapped key (crypto-shredding), so copies of their ciphertext in backups become unreadable.
    Defined here, beside the code that alone reads and writes it (cll/core/models.py exports
    it); the table keeps the name it had in the privacy app.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    # The person's public id (accounts.User.public_id); the nil UUID is the system's own key.
    subject = models.UUIDField()
    master_key_id = models.CharField(max_length=16)
    wrapped = models.BinaryField(max_length=128)
    created_at = models.DateTimeField(auto_now_add=True)
    destroyed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        app_label = "core"
        db_table = "privacy_datakey"
        verbose_name = _("data key")
        constraints = [
            # One live key per person; destroyed keys stay as evidence of the shredding.
            models.UniqueConstraint(
                fields=["subject"],
                condition=models.Q(destroyed_at__isnull=True),
                name="privacy_datakey_one_live_per_subject",
            )
        ]
        indexes = [
            # rotate_keys walks the keys still wrapped by an old master key.
            models.Index(fields=["master_key_id"], name="privacy_datakey_master_idx"),
        ]

    def __str__(self):
        return f"DataKey {self.id} ({self.master_key_id})"


def _now() -> float:
    # Indirection so that tests can move the cache's clock without touching the time module.
    return time.monotonic()


@dataclass
class _CacheEntry:
    subject: uuid.UUID
    key: bytes
    expires_at: float
    # The key's AES-GCM context, built once: building it costs about as much as a decryption.
    aead: AESGCM


class _KeyCache:
    """Unwrapped data keys by key id, with expiry and a size bound (LRU). Thread-safe."""

    def __init__(self, max_entries: int):
        self._max_entries = max_entries
        self._lock = threading.Lock()
        self._entries: OrderedDict[uuid.UUID, _CacheEntry] = OrderedDict()
        # The live key id of each subject whose live key is cached.
        self._live: dict[uuid.UUID, uuid.UUID] = {}
        # Keys inserted by a transaction that has not committed yet: never cached until it does.
        # An id stays here if its transaction rolls back (a few bytes each, until restart).
        self._pending: set[uuid.UUID] = set()

    def get(self, key_id: uuid.UUID) -> bytes | None:
        entry = self._entry(key_id)
        return None if entry is None else entry.key

    def aead(self, key_id: uuid.UUID) -> AESGCM | None:
        entry = self._entry(key_id)
        return None if entry is None else entry.aead

    def _entry(self, key_id: uuid.UUID) -> _CacheEntry | None:
        with self._lock:
            entry = self._entries.get(key_id)
            if entry is None:
                return None
            if entry.expires_at <= _now():
                self._drop(key_id)
                return None
            self._entries.move_to_end(key_id)
            return entry

    def live_for(self, subject: uuid.UUID) -> tuple[uuid.UUID, bytes] | None:
        with self._lock:
            key_id = self._live.get(subject)
        if key_id is None:
            return None
        key = self.get(key_id)
        return None if key is None else (key_id, key)

    def put(self, key_id: uuid.UUID, subject: uuid.UUID, key: bytes, *, live: bool) -> None:
        seconds = settings.DATA_KEY_CACHE_SECONDS
        if seconds <= 0:
            return
        with self._lock:
            if key_id in self._pending:
                return
            self._entries[key_id] = _CacheEntry(subject, key, _now() + seconds, AESGCM(key))
            self._entries.move_to_end(key_id)
            if live:
                self._live[subject] = key_id
            while len(self._entries) > self._max_entries:
                self._drop(next(iter(self._entries)))

    def mark_pending(self, key_id: uuid.UUID) -> None:
        with self._lock:
            self._pending.add(key_id)

    def discard_pending(self, key_id: uuid.UUID) -> None:
        with self._lock:
            self._pending.discard(key_id)

    def commit_pending(self, key_id: uuid.UUID, subject: uuid.UUID, key: bytes) -> None:
        with self._lock:
            self._pending.discard(key_id)
        self.put(key_id, subject, key, live=True)

    def evict_subject(self, subject: uuid.UUID) -> None:
        with self._lock:
            for key_id in [k for k, e in self._entries.items() if e.subject == subject]:
                self._drop(key_id)
            self._live.pop(subject, None)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._live.clear()
            self._pending.clear()

    def _drop(self, key_id: uuid.UUID) -> None:
        # Caller holds the lock.
        entry = self._entries.pop(key_id, None)
        if entry is not None and self._live.get(entry.subject) == key_id:
            del self._live[entry.subject]


_cache = _KeyCache(_CACHE_SIZE)


def data_key_cache_clear() -> None:
    """Forget every cached data key (tests; or after restoring the key table from a backup)."""
    _cache.clear()


def _check_subject(subject: uuid.UUID) -> None:
    if not isinstance(subject, uuid.UUID):
        raise TypeError(f"subject must be a UUID (a person's public id), got {type(subject)}.")


def _keys():
    # Keys are read where they are written: a lagging replica would miss a key just created.
    return DataKey.objects.db_manager(router.db_for_write(DataKey))


def _live_key_row(subject: uuid.UUID):
    return _keys().filter(subject=subject, destroyed_at__isnull=True).first()


def data_key_for(subject: uuid.UUID) -> tuple[uuid.UUID, bytes]:
    """The live data key of ``subject`` as ``(key id, key)``, created on first need.

    Safe under concurrency: the insert runs in a savepoint, and losing the race to the unique
    constraint (one live key per subject) means reading the winner's key instead.
    """
    _check_subject(subject)
    cached = _cache.live_for(subject)
    if cached is not None:
        return cached
    using = router.db_for_write(DataKey)
    for _attempt in range(_CREATE_ATTEMPTS):
        row = _live_key_row(subject)
        if row is not None:
            key = unwrap_key(
                key_id=row.id,
                subject=row.subject,
                master_key_id=row.master_key_id,
                wrapped=row.wrapped,
            )
            _cache.put(row.id, row.subject, key, live=True)
            return row.id, key
        key_id = uuid.uuid4()
        key = secrets.token_bytes(KEY_BYTES)
        master_key_id = settings.ENCRYPTION_KEYRING.active_id
        row = DataKey(
            id=key_id,
            subject=subject,
            master_key_id=master_key_id,
            wrapped=wrap_key(key, key_id=key_id, subject=subject, master_key_id=master_key_id),
        )
        _cache.mark_pending(key_id)
        try:
            with transaction.atomic(using=using):
                row.save(force_insert=True, using=using)
        except IntegrityError:
            # Another request created this person's key between our read and our insert.
            _cache.discard_pending(key_id)
            continue
        # Cached only if the enclosing transaction commits: a rolled-back key must never seal
        # values, which would then outlive it unreadable.
        transaction.on_commit(
            functools.partial(_cache.commit_pending, key_id, subject, key), using=using
        )
        return key_id, key
    raise CryptoError(f"Could not create or read the data key of {subject}.")


def data_keys_preload(*, subjects: Iterable[uuid.UUID]) -> int:
    """Read the live data keys of ``subjects`` into the cache with one query, before a batch of
    their rows is loaded (fields are decrypted as rows are read): a campaign's recipients cost
    one query instead of one each. Keys already cached are not read again; a subject without a
    key is skipped. Returns how many keys were read."""
    wanted = {subject for subject in subjects if _cache.live_for(subject) is None}
    if not wanted:
        return 0
    rows = _keys().filter(subject__in=wanted, destroyed_at__isnull=True)
    count = 0
    for row in rows:
        key = unwrap_key(
            key_id=row.id, subject=row.subject, master_key_id=row.master_key_id, wrapped=row.wrapped
        )
        _cache.put(row.id, row.subject, key, live=True)
        count += 1
    return count


def _data_key_by_id(key_id: uuid.UUID) -> bytes:
    cached = _cache.get(key_id)
    if cached is not None:
        return cached
    row = _keys().filter(pk=key_id).first()
    if row is None:
        raise DecryptionError(f"No data key {key_id} exists: the token cannot be decrypted.")
    if row.destroyed_at is not None:
        raise KeyDestroyed(
            f"Data key {key_id} was destroyed on {row.destroyed_at:%Y-%m-%d} (erasure): "
            "the value is gone for good."
        )
    key = unwrap_key(
        key_id=row.id, subject=row.subject, master_key_id=row.master_key_id, wrapped=row.wrapped
    )
    _cache.put(row.id, row.subject, key, live=True)
    return key


def data_key_destroy(*, subject: uuid.UUID) -> bool:
    """Crypto-shred ``subject``: overwrite their wrapped data key and mark it destroyed.

    Every value sealed with it becomes unreadable everywhere: ``decrypt`` raises
    ``KeyDestroyed`` and encrypted fields read as None. The row stays, as evidence of the
    shredding. Returns whether there was a live key to destroy.
    """
    _check_subject(subject)
    if subject == SYSTEM_SUBJECT:
        raise ValueError("The system data key is not a person's: it cannot be erased.")
    using = router.db_for_write(DataKey)
    with transaction.atomic(using=using):
        destroyed = (
            _keys()
            .filter(subject=subject, destroyed_at__isnull=True)
            .update(wrapped=b"", destroyed_at=timezone.now())
        )
        # Evicted again at commit: another thread may have re-read the key meanwhile.
        transaction.on_commit(functools.partial(_cache.evict_subject, subject), using=using)
    _cache.evict_subject(subject)
    return bool(destroyed)


# -- Rotation -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class RewrapBatch:
    rewrapped: int
    # (data key id, reason) of the keys that could not be unwrapped: they stay as they were.
    failed: tuple[tuple[uuid.UUID, str], ...]
    # The last key id examined; None when there was nothing left to examine.
    last_id: uuid.UUID | None


def _stale_keys():
    return (
        _keys()
        .filter(destroyed_at__isnull=True)
        .exclude(master_key_id=settings.ENCRYPTION_KEYRING.active_id)
    )


def data_keys_to_rewrap() -> dict[str, int]:
    """How many live data keys each non-active master key still wraps."""
    rows = _stale_keys().values("master_key_id").annotate(n=models.Count("id"))
    return {row["master_key_id"]: row["n"] for row in rows.order_by("master_key_id")}


def data_keys_rewrap_batch(*, after: uuid.UUID | None, batch_size: int) -> RewrapBatch:
    """Re-wrap, in one transaction, up to ``batch_size`` live keys not wrapped by the active key.

    Keys are taken in id order after ``after``. A re-wrapped key leaves the set of stale keys,
    so a run that stopped half-way resumes by simply starting again.
    """
    using = router.db_for_write(DataKey)
    active_id = settings.ENCRYPTION_KEYRING.active_id
    failed: list[tuple[uuid.UUID, str]] = []
    with transaction.atomic(using=using):
        stale = _stale_keys().order_by("id")
        if after is not None:
            stale = stale.filter(id__gt=after)
        rows = list(stale.select_for_update()[:batch_size])
        done = []
        for row in rows:
            try:
                key = unwrap_key(
                    key_id=row.id,
                    subject=row.subject,
                    master_key_id=row.master_key_id,
                    wrapped=row.wrapped,
                )
            except MasterKeyError as exc:
                failed.append((row.id, str(exc)))
                continue
            row.wrapped = wrap_key(key, key_id=row.id, subject=row.subject, master_key_id=active_id)
            row.master_key_id = active_id
            done.append(row)
        _keys().bulk_update(done, ["master_key_id", "wrapped"])
    return RewrapBatch(
        rewrapped=len(done), failed=tuple(failed), last_id=rows[-1].id if rows else None
    )


# -- Values -------------------------------------------------------------------------------------


def encrypt(value: str, *, subject: uuid.UUID) -> str:
    """Seal ``value`` with the data key of ``subject`` (SYSTEM_SUBJECT: no one in particular)."""
    if not isinstance(value, str):
        raise TypeError(f"encrypt() takes a str, got {type(value).__name__}.")
    key_id, key = data_key_for(subject)
    return seal(value, key_id=key_id, aead=_cache.aead(key_id) or AESGCM(key))


def decrypt(token: str) -> str:
    """Open a token made by ``encrypt``; raises ``DecryptionError`` (or ``KeyDestroyed``)."""
    parsed = parse_token(token)
    key_id = parsed[1]
    aead = _cache.aead(key_id) or AESGCM(_data_key_by_id(key_id))
    return open_token(token, key_id=key_id, aead=aead, parsed=parsed)


# -- Bytes (files) ------------------------------------------------------------------------------

# A sealed blob: 0x01 | data key id (16) | nonce (12) | ciphertext | tag (16).
_BLOB_VERSION = 1
_BLOB_HEADER_BYTES = 1 + 16
_BLOB_NONCE_BYTES = 12
_BLOB_TAG_BYTES = 16


def encrypt_bytes(data: bytes, *, subject: uuid.UUID, context: bytes = b"") -> bytes:
    """Seal ``data`` (a file's bytes) with the data key of ``subject``, as ``encrypt`` does text.

    The blob is ``0x01 | data key id (16) | nonce (12) | ciphertext | tag (16)``; its 17-byte
    header and ``context`` are the associated data. ``context`` binds the blob to where it is
    kept (an upload passes its storage name): a sealed file copied over another one's name fails
    to open instead of serving the wrong person's bytes. Erasing the subject
    (``data_key_destroy``) makes it unreadable, like their sealed values.
    """
    if not isinstance(data, bytes | bytearray | memoryview):
        raise TypeError(f"encrypt_bytes() takes bytes, got {type(data).__name__}.")
    key_id, key = data_key_for(subject)
    header = bytes([_BLOB_VERSION]) + key_id.bytes
    nonce = secrets.token_bytes(_BLOB_NONCE_BYTES)
    aead = _cache.aead(key_id) or AESGCM(key)
    return header + nonce + aead.encrypt(nonce, bytes(data), header + context)


def decrypt_bytes(blob: bytes, *, context: bytes = b"") -> bytes:
    """Open a blob made by ``encrypt_bytes`` with the same ``context``; raises
    ``DecryptionError`` when it is malformed or was altered or moved, ``KeyDestroyed`` when its
    person was erased."""
    blob = bytes(blob)
    if (
        len(blob) < _BLOB_HEADER_BYTES + _BLOB_NONCE_BYTES + _BLOB_TAG_BYTES
        or blob[0] != _BLOB_VERSION
    ):
        raise DecryptionError("Not a sealed blob of a known format.")
    header = blob[:_BLOB_HEADER_BYTES]
    key_id = uuid.UUID(bytes=blob[1:_BLOB_HEADER_BYTES])
    nonce = blob[_BLOB_HEADER_BYTES : _BLOB_HEADER_BYTES + _BLOB_NONCE_BYTES]
    aead = _cache.aead(key_id) or AESGCM(_data_key_by_id(key_id))
    try:
        return aead.decrypt(nonce, blob[_BLOB_HEADER_BYTES + _BLOB_NONCE_BYTES :], header + context)
    except InvalidTag:
        raise DecryptionError(
            f"The blob sealed with data key {key_id} failed authentication: it was altered, or "
            "it is not the one kept under this name."
        ) from None


# -- Model fields -------------------------------------------------------------------------------

# Whose data key seals a row's values: the person the data map says the row is about. The
# privacy kernel, which holds the data map, installs it at start-up (its AppConfig.ready()): the
# platform learns about it by registration, never by import. (instance) -> public id or None.
subject_resolver = Hook(
    missing="No subject resolver: the privacy app (cll.privacy) must be installed to save "
    "encrypted fields (it tells whose data key seals a row)."
)


@dataclass(frozen=True)
class _Sealed:
    """A token made by ``pre_save``: the only value an encrypted field lets reach the database."""

    token: str


@functools.cache
def _refused(name: str) -> type:
    class Refused:
        lookup_name = name

        def __init__(self, lhs, *args, **kwargs):
            target = getattr(lhs, "target", None) or getattr(lhs, "output_field", None)
            label = getattr(target, "name", "an encrypted field")
            raise FieldError(
                f"Cannot use {name!r} on {label!r}: it is encrypted, the database holds only "
                "ciphertext. Only __isnull works; for exact matches, add a BlindIndexField and "
                "filter on it with blind_index()."
            )

    return Refused


# Instance attribute holding, between the two pre_save calls of an insert, each field's token.
_PENDING_SEALS = "_cll_pending_seals"


class EncryptedFieldMixin:
    """Plaintext in memory, an ``e1.`` token in a text column.

    ``pre_save`` seals the value with the data key of ``subject_of(instance)`` (the system key
    when the row is about no one) and hands the token to the database without touching the
    instance, so the attribute stays plaintext after ``save()`` and each save seals afresh.
    ``from_db_value`` opens it. A value whose key was destroyed reads as None: the person was
    erased, and the erasure removes or anonymises such rows anyway; raising would instead break
    every page that lists them in the meantime. Any other failure (an altered token, a missing
    master key) raises.

    Only ``save()`` and ``bulk_create()`` call ``pre_save``; a plaintext value reaching the
    database by another path (``QuerySet.update()``, ``bulk_update()``, fixtures) is refused.
    """

    encrypted = True

    def get_internal_type(self) -> str:
        return "TextField"

    def to_text(self, value: Any) -> str:
        raise NotImplementedError

    def from_text(self, text: str) -> Any:
        raise NotImplementedError

    def pre_save(self, model_instance, add):
        value = super().pre_save(model_instance, add)
        if value is None or (value == "" and self.empty_strings_allowed):
            return value
        subject = subject_resolver(model_instance) or SYSTEM_SUBJECT
        if add:
            # An insert asks twice (Model._save_table looks for expressions, then the SQL
            # compiler takes the value): the second call gets the token of the first, taken
            # off the instance, so each value is sealed once per save, and afresh at the next.
            pending = model_instance.__dict__.setdefault(_PENDING_SEALS, {})
            sealed = pending.pop(self.attname, None)
            if sealed is not None and sealed[0] is value and sealed[1] == subject:
                if not pending:
                    del model_instance.__dict__[_PENDING_SEALS]
                return sealed[2]
            token = _Sealed(encrypt(self.to_text(value), subject=subject))
            pending[self.attname] = (value, subject, token)
            return token
        return _Sealed(encrypt(self.to_text(value), subject=subject))

    def get_prep_value(self, value):
        if isinstance(value, _Sealed):
            return value.token
        if value is None or (value == "" and self.empty_strings_allowed):
            return value
        raise FieldError(
            f"{self._label()} is encrypted and got a plain value to write. Only Model.save() and "
            "QuerySet.bulk_create() can seal it (they know whose key to use); QuerySet.update(), "
            "bulk_update() and fixtures cannot."
        )

    def get_db_prep_value(self, value, connection, prepared=False):
        return self.get_prep_value(value)

    def from_db_value(self, value, expression, connection):
        if value is None or value == "":
            return value if self.empty_strings_allowed else None
        try:
            return self.from_text(decrypt(value))
        except KeyDestroyed:
            return None

    def get_lookup(self, lookup_name):
        if lookup_name == "isnull":
            return super().get_lookup(lookup_name)
        return _refused(lookup_name)

    def get_transform(self, lookup_name):
        return _refused(lookup_name)

    def check(self, **kwargs):
        return [*super().check(**kwargs), *self._check_encryptable()]

    def _label(self) -> str:
        model = getattr(self, "model", None)
        return f"{model._meta.label}.{self.name}" if model else repr(self.name)

    def _check_encryptable(self):
        errors = []
        for attribute in ("primary_key", "unique", "db_index"):
            if getattr(self, attribute, False):
                errors.append(
                    checks.Error(
                        f"{self._label()} is encrypted and cannot be {attribute}: every "
                        "encryption of a value differs, so the database cannot compare them.",
                        hint="Index a BlindIndexField computed from it instead.",
                        obj=self,
                        id="crypto.E001",
                    )
                )
        return errors


class EncryptedTextField(EncryptedFieldMixin, models.TextField):
    description = "Text, encrypted at rest"

    def to_text(self, value: Any) -> str:
        return self.to_python(value)

    def from_text(self, text: str) -> str:
        return text


class EncryptedCharField(EncryptedFieldMixin, models.CharField):
    """A short text: ``max_length`` bounds the plaintext (forms, ``full_clean``), not the column.

    The column is ``text``, because a token is longer than its value.
    """

    description = "Short text, encrypted at rest"

    def to_text(self, value: Any) -> str:
        return self.to_python(value)

    def from_text(self, text: str) -> str:
        return text


class EncryptedDateField(EncryptedFieldMixin, models.DateField):
    """A ``datetime.date``, sealed as its ISO 8601 text."""

    description = "Date, encrypted at rest"

    def contribute_to_class(self, cls, name, **kwargs):
        # Skip DateField's get_next_by_<field>(): it needs an ordering the database cannot do.
        models.Field.contribute_to_class(self, cls, name, **kwargs)

    def to_text(self, value: Any) -> str:
        return self.to_python(value).isoformat()

    def from_text(self, text: str) -> datetime.date:
        return datetime.date.fromisoformat(text)


class EncryptedJSONField(EncryptedFieldMixin, models.Field):
    """A JSON document, sealed whole. Python None is SQL NULL: JSON null cannot be stored."""

    description = "JSON, encrypted at rest"
    empty_strings_allowed = False

    def __init__(self, *args, encoder=None, decoder=None, **kwargs):
        self.encoder = encoder
        self.decoder = decoder
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        if self.encoder is not None:
            kwargs["encoder"] = self.encoder
        if self.decoder is not None:
            kwargs["decoder"] = self.decoder
        return name, path, args, kwargs

    def to_text(self, value: Any) -> str:
        return json.dumps(value, cls=self.encoder, ensure_ascii=False, separators=(",", ":"))

    def from_text(self, text: str) -> Any:
        return json.loads(text, cls=self.decoder)

    def formfield(self, **kwargs):
        return super().formfield(
            **{
                "form_class": forms.JSONField,
                "encoder": self.encoder,
                "decoder": self.decoder,
                **kwargs,
            }
        )


class BlindIndexField(models.CharField):
    """The blind index of another field of the row, kept up to date on every ``save()``.

    ``BlindIndexField(source="email", purpose="accounts.profile.email")``; look rows up with
    ``filter(email_bidx=blind_index(value, purpose=...))``. Empty sources give NULL. Like any
    computed column, it is only refreshed by ``save()``: ``save(update_fields=[...])`` must name
    it together with its source.
    """

    description = "Blind index (keyed hash) of another field"

    def __init__(self, *args, source: str, purpose: str, **kwargs):
        self.source = source
        self.purpose = purpose
        kwargs["max_length"] = 64
        kwargs.setdefault("null", True)
        kwargs.setdefault("blank", True)
        kwargs.setdefault("editable", False)
        # Its only use is lookups; a unique index already serves them.
        kwargs.setdefault("db_index", not kwargs.get("unique", False))
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        kwargs["source"] = self.source
        kwargs["purpose"] = self.purpose
        del kwargs["max_length"]
        for attribute, default in (("null", True), ("blank", True), ("editable", False)):
            if getattr(self, attribute) == default:
                kwargs.pop(attribute, None)
            else:
                kwargs[attribute] = getattr(self, attribute)
        if self.db_index == (not self.unique):
            kwargs.pop("db_index", None)
        else:
            kwargs["db_index"] = self.db_index
        return name, path, args, kwargs

    def pre_save(self, model_instance, add):
        source = getattr(model_instance, self.source)
        value = None if source in (None, "") else blind_index(str(source), purpose=self.purpose)
        setattr(model_instance, self.attname, value)
        return value

    def check(self, **kwargs):
        errors = super().check(**kwargs)
        try:
            self.model._meta.get_field(self.source)
        except FieldDoesNotExist:
            errors.append(
                checks.Error(
                    f"{self.model._meta.label}.{self.name}: source {self.source!r} is not a field.",
                    obj=self,
                    id="crypto.E003",
                )
            )
        return errors
