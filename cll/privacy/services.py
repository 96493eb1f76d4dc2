"""Writes of the privacy app: the append-only evidence ledger, the breach register.

``audit_record`` writes an entry in the caller's transaction without a place in the chain;
after the commit the sequencer (``cll/privacy/ledger.py``) gives it its ``seq`` and its keyed
hash, which ``manage.py audit_verify`` recomputes with the same ``audit_entry_hash``.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable, Mapping
from email.utils import parseaddr
from functools import partial
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.db import models, router, transaction
from django.utils import timezone

from cll.privacy import datamap
from cll.privacy.ledger import GENESIS_HASH, audit_entry_hash, chain_after_commit, entry_insert
from cll.privacy.models import AuditEntry

__all__ = ["GENESIS_HASH", "audit_entry_hash", "audit_record"]

# Deliberately simple: it catches the commonest leak (an e-mail address pasted into a detail or a
# route), not every kind of personal data. Entries carry ids by contract; this is the safety net.
_EMAIL_ADDRESS = re.compile(r"[^\s@]+@[^\s@]+\.[^\s@]+")

Person = AbstractBaseUser | AnonymousUser | uuid.UUID | None

# The text columns an entry's values are checked against (personal data, length).
_MAX_LENGTHS = {
    name: AuditEntry._meta.get_field(name).max_length
    for name in ("action", "actor_role", "target", "route")
}


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
    and the change did not happen either. No lock is taken, so audited writes never wait for
    each other: the entry gets its place in the chain (``seq``, ``hash``) once the transaction
    has committed, from the sequencer, which also fills them in on the returned instance.
    """
    if not action:
        raise ValueError("An audit entry needs an action.")
    if subject is None and isinstance(target, models.Model):
        subject = datamap.subject_of(target)
    if "?" in route:
        raise ValueError("The route of an audit entry must not carry a query string.")
    values = {
        "actor": _public_id(actor),
        "actor_role": role,
        "subject": _public_id(subject),
        "action": action,
        "target": _target_text(target),
        "fields": sorted(set(_field_names(fields))),
        "route": route,
        "detail": _clean_detail(detail or {}),
    }
    for name, limit in _MAX_LENGTHS.items():
        _refuse_personal_data(values[name], name)
        if len(values[name]) > limit:
            raise ValueError(f"The audit entry's {name} is longer than {limit} characters.")
    for name in values["fields"]:
        _refuse_personal_data(name, "fields")

    using = router.db_for_write(AuditEntry)
    # When the action happened; the chain's order is the order of the commits.
    values["at"] = timezone.now()
    entry = entry_insert(values, using=using)
    # Outside a transaction this runs at once (the insert has committed).
    transaction.on_commit(partial(chain_after_commit, entry, using), using=using, robust=True)
    return entry


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


def staff_recipients(*, role: str) -> list[tuple[str, str]]:
    """(address, language) of the active staff holding ``role``, oldest account first; the
    general mailbox (the address we send from) when there is none, so a notice to a team is
    never lost."""
    staff = (
        get_user_model()
        .objects.filter(is_active=True, is_staff=True, groups__name=role)
        .distinct()
        .order_by("pk")
    )
    recipients = [(member.email, person_language(member)) for member in staff if member.email]
    return recipients or [(parseaddr(settings.DEFAULT_FROM_EMAIL)[1], settings.LANGUAGE_CODE)]


def person_language(user: Any) -> str:
    """The language to write to ``user`` in: theirs when the account knows it (a ``language``
    attribute holding one of ``settings.LANGUAGES``), else the site's default."""
    language = getattr(user, "language", "") or ""
    return (
        language
        if language in {code for code, _name in settings.LANGUAGES}
        else (settings.LANGUAGE_CODE)
    )
