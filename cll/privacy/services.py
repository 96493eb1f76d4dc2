"""Writes of the privacy app: the append-only, hash-chained audit ledger.

Every entry's ``hash`` is ``sha256(prev_hash + canonical JSON of its content)``, where
``prev_hash`` is the hash of the entry before it (64 zeros for the first). Editing, deleting or
re-numbering an entry therefore breaks the chain, which ``manage.py audit_verify`` detects with
the same ``audit_entry_hash`` function.
"""

from __future__ import annotations

import hashlib
import json
import re
import uuid
from collections.abc import Iterable, Mapping
from datetime import UTC
from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.db import connections, models, router, transaction
from django.utils import timezone

from cll.privacy import datamap
from cll.privacy.models import AuditEntry, AuditSeal

GENESIS_HASH = "0" * 64

# Key of the PostgreSQL advisory lock that serialises writers of the ledger ("cllaudit" in
# ASCII). Any constant works as long as every writer uses the same one.
_LEDGER_LOCK_KEY = 0x636C6C6175646974

# Deliberately simple: it catches the commonest leak (an e-mail address pasted into a detail or a
# route), not every kind of personal data. Entries carry ids by contract; this is the safety net.
_EMAIL_ADDRESS = re.compile(r"[^\s@]+@[^\s@]+\.[^\s@]+")

Person = AbstractBaseUser | AnonymousUser | uuid.UUID | None


def audit_entry_hash(entry: AuditEntry) -> str:
    """The hash an entry must carry, from its content and ``prev_hash``.

    The one implementation shared by ``audit_record`` (which writes it) and ``audit_verify``
    (which recomputes it), so both always agree on the canonical form: sorted keys, no spaces,
    UTC time in ISO 8601 with microseconds, UUIDs as lower-case hyphenated strings.
    """
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
    canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), allow_nan=False)
    return hashlib.sha256((entry.prev_hash + canonical).encode()).hexdigest()


def audit_record(
    *,
    actor: Person = None,
    role: str = "",
    subject: Person = None,
    action: str,
    target: models.Model | str = "",
    fields: Iterable[str] = (),
    route: str = "",
    detail: Mapping[str, Any] | None = None,
) -> AuditEntry:
    """Append one entry to the ledger, inside the caller's transaction.

    - ``actor``: the user who acted; None or an anonymous visitor records no actor;
    - ``role``: the staff role the actor acted in (``Role.PRIVACY_OFFICER``...);
    - ``subject``: the person concerned, as a user or a public id. When omitted and ``target``
      is a row, it is the person the data map says the row is about;
    - ``target``: the row concerned; a model instance is written "app_label.Model:<public_id or
      pk>";
    - ``fields``: names of the fields read or changed, never their values;
    - ``route``: the URL name or path of the view, without its query string;
    - ``detail``: ids, versions and counts only (str, int, bool, None, UUID, lists and dicts of
      them). Floats are refused because their JSON form is not stable across databases.

    Raises ValueError when a value looks like personal data (an e-mail address) or is too long
    for its column, and TypeError for a detail value of another type. The entry is written in
    the caller's transaction: if the caller rolls back, the evidence of the change goes too,
    and the change did not happen either. Writers queue for the head of the chain until their
    transaction ends, so keep transactions that audit short.
    """
    if not action:
        raise ValueError("An audit entry needs an action.")
    if subject is None and isinstance(target, models.Model):
        subject = datamap.subject_of(target)
    if "?" in route:
        raise ValueError("The route of an audit entry must not carry a query string.")
    entry = AuditEntry(
        actor=_public_id(actor),
        actor_role=role,
        subject=_public_id(subject),
        action=action,
        target=_target_text(target),
        fields=sorted(set(_field_names(fields))),
        route=route,
        detail=_clean_detail(detail or {}),
    )
    for name in ("action", "actor_role", "target", "route"):
        value = getattr(entry, name)
        _refuse_personal_data(value, name)
        limit = AuditEntry._meta.get_field(name).max_length
        if len(value) > limit:
            raise ValueError(f"The audit entry's {name} is longer than {limit} characters.")
    for name in entry.fields:
        _refuse_personal_data(name, "fields")

    using = router.db_for_write(AuditEntry)
    with transaction.atomic(using=using):
        _lock_ledger(using)
        head = AuditEntry.objects.using(using).order_by("-seq").values_list("seq", "hash").first()
        if head is None:
            # Every entry may have been removed by the evidence retention: go on from its seal.
            head = (
                AuditSeal.objects.using(using).order_by("-seq").values_list("seq", "hash").first()
            )
        # seq is set here rather than by the database sequence: a rolled-back insert would leave
        # a gap in the sequence, indistinguishable from a deleted entry. Two writers that read
        # the same head would also collide on the primary key instead of forking the chain.
        entry.seq, entry.prev_hash = (head[0] + 1, head[1]) if head else (1, GENESIS_HASH)
        # Stamped under the lock, so time never goes backwards along the chain.
        entry.at = timezone.now()
        entry.hash = audit_entry_hash(entry)
        entry.save(using=using, force_insert=True)
    return entry


def _lock_ledger(using: str) -> None:
    """Serialise writers from reading the head of the chain until their transaction ends."""
    connection = connections[using]
    if connection.vendor == "postgresql":
        # Released by PostgreSQL itself at commit or rollback, so it cannot leak. Under READ
        # COMMITTED (Django's default) the head read after it sees the previous writer's entry.
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_LEDGER_LOCK_KEY])
    # SQLite needs no lock of its own: the settings open every transaction with BEGIN IMMEDIATE
    # (transaction_mode="IMMEDIATE"), which takes the database's single write lock before the
    # head is read, so no other writer can append until this transaction ends.


def _uuid_text(value: uuid.UUID | str | None) -> str | None:
    return None if value is None else str(uuid.UUID(str(value)))


def _public_id(person: Person) -> uuid.UUID | None:
    if person is None or isinstance(person, AnonymousUser):
        return None
    if isinstance(person, uuid.UUID):
        return person
    public_id = getattr(person, "public_id", None)
    if not isinstance(public_id, uuid.UUID):
        raise TypeError(f"Expected a user with a public_id or a UUID, got {type(person)!r}.")
    return public_id


def _target_text(target: models.Model | str) -> str:
    if isinstance(target, str):
        return target
    # Public ids where the model has them: the ledger must not reveal integer primary keys
    # that URLs never show.
    key = getattr(target, "public_id", None) or target.pk
    if key is None:
        raise ValueError("An audit entry's target must be a saved row.")
    return f"{target._meta.label}:{key}"


def _field_names(fields: Iterable[str]) -> list[str]:
    names = list(fields)
    if isinstance(fields, str) or not all(isinstance(name, str) for name in names):
        raise TypeError("fields must be an iterable of field names.")
    return names


def _refuse_personal_data(value: str, where: str) -> None:
    if _EMAIL_ADDRESS.search(value):
        raise ValueError(
            f"The audit entry's {where} contains what looks like an e-mail address: "
            "entries carry ids, never personal data."
        )


def _clean_detail(value: Any, where: str = "detail") -> Any:
    """The detail as it will be stored and hashed (UUIDs as text), refusing personal data."""
    if value is None or isinstance(value, bool | int):
        return value
    if isinstance(value, str):
        _refuse_personal_data(value, where)
        return value
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, list | tuple):
        return [_clean_detail(item, f"{where}[{index}]") for index, item in enumerate(value)]
    if isinstance(value, Mapping):
        cleaned = {}
        for key, item in value.items():
            if not isinstance(key, str):
                raise TypeError(f"The keys of {where} must be strings, got {key!r}.")
            _refuse_personal_data(key, where)
            cleaned[key] = _clean_detail(item, f"{where}[{key!r}]")
        return cleaned
    raise TypeError(
        f"{where} holds a {type(value).__name__}: audit details carry ids, versions and counts "
        "only (str, int, bool, None, UUID, lists and dicts of them)."
    )


# -- Writing to people in their language --------------------------------------------------------


def person_language(user: Any) -> str:
    """The language to write to ``user`` in: theirs when the account knows it (a ``language``
    attribute holding one of ``settings.LANGUAGES``), else the site's default."""
    from django.conf import settings

    language = getattr(user, "language", "") or ""
    return (
        language
        if language in {code for code, _name in settings.LANGUAGES}
        else (settings.LANGUAGE_CODE)
    )
