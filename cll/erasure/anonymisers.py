"""Model-specific anonymisation for the erasure engine (see ``engine.anonymiser``).

The account row is never deleted: the audit ledger, orders and posts point at it. It stays as
an empty shell that identifies no one and can never sign in again.
"""

from __future__ import annotations

import re
import uuid

from django.utils import timezone

from cll.accounts.services import sessions_end_all
from cll.erasure.engine import anonymiser

# The address an erased account gets: random, in the reserved .invalid domain (RFC 2606).
ERASED_EMAIL = re.compile(r"erased-[0-9a-f]{32}@invalid")


def is_erased(user) -> bool:
    """Whether this account is the shell an erasure left behind."""
    return bool(ERASED_EMAIL.fullmatch(user.email or "")) and not user.has_usable_password()


@anonymiser("accounts.User")
def user_anonymise(user, names: tuple[str, ...]) -> None:
    """Sign the person out everywhere, then empty the account: a random unusable address, an
    unusable password, no roles, inactive, no dates.

    The public id stays: it is a random pseudonym, and the rows kept after erasure (the
    hash-chained ledger, the destroyed key's evidence, the erasure journal) name the person by
    it. Once the row holds nothing else, it leads to no one; it is how the journal replay and
    a second erasure recognise the shell.
    """
    sessions_end_all(user=user)
    user.email = f"erased-{uuid.uuid4().hex}@invalid"
    user.set_unusable_password()
    user.is_active = False
    user.is_staff = False
    user.is_superuser = False
    user.deactivated_at = None
    user.last_login = None
    user.date_joined = timezone.now()
    user.save()
    user.groups.clear()
    user.user_permissions.clear()


@anonymiser("core.DataKey")
def data_key_keep(key, names: tuple[str, ...]) -> bool:
    """Left to the engine's last step, ``data_key_destroy``: it empties the wrapped key and
    marks it destroyed; the row and its (pseudonymous) subject stay as evidence of the
    shredding, and replaying the journal after a restore finds the key by that subject."""
    return False
