"""Single-use links sent by e-mail: a random token in the URL, only its hash in the database.

Every e-mailed link that proves something (a mailbox for a privacy request, a parent's consent,
a change of mind about an erasure) works the same way:

- ``link_token_new(lifetime=...)`` makes a token of 256 random bits (URL-safe text) and returns
  it with the SHA-256 hash to store and the moment it expires;
- the token goes into the e-mail and nowhere else: not the database (a copy of it, or of a
  backup, must not open the links), not the logs (cll/core/urlscrub.py keeps them out);
- ``link_token_hash(token)`` finds the row again from the link; ``link_token_live`` filters a
  queryset to the row a token opens while it is unexpired;
- using a link consumes it: the service clears the stored hash or deletes the row, inside the
  transaction that acts on it, after ``select_for_update`` — a link works once.

A plain hash (not a keyed one) is enough: the token has 256 bits of entropy, so its hash cannot be
reversed by guessing.
"""

from __future__ import annotations

import datetime
import hashlib
import secrets
from dataclasses import dataclass

from django.db.models import QuerySet
from django.utils import timezone

TOKEN_BYTES = 32


@dataclass(frozen=True)
class LinkToken:
    token: str  # for the e-mail only
    hash: str  # for the database
    expires_at: datetime.datetime | None


def link_token_hash(token: str) -> str:
    """The stored form of ``token`` (64 hex characters)."""
    return hashlib.sha256(token.encode()).hexdigest()


def link_token_new(*, lifetime: datetime.timedelta | None) -> LinkToken:
    """A new link token, valid for ``lifetime`` from now (None: until the row goes)."""
    token = secrets.token_urlsafe(TOKEN_BYTES)
    expires_at = None if lifetime is None else timezone.now() + lifetime
    return LinkToken(token=token, hash=link_token_hash(token), expires_at=expires_at)


def link_token_live(
    queryset: QuerySet, token: str, *, hash_field: str = "token_hash", expires_field: str
) -> QuerySet:
    """``queryset`` narrowed to the row ``token`` opens, if it has not expired."""
    return queryset.filter(
        **{hash_field: link_token_hash(token), f"{expires_field}__gt": timezone.now()}
    )
