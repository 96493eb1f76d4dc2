"""Helpers of the dsar tests: the outbox, links, ledger actions (personas: the root conftest)."""

from __future__ import annotations

import re

from cll.core.models import OutboxEmail
from cll.privacy.models import AuditEntry


def mails(kind: str, to: str | None = None) -> list[OutboxEmail]:
    """Queued e-mails of one kind ("verify", "received"...), oldest first."""
    rows = OutboxEmail.objects.filter(kind=f"emails/dsar_{kind}").order_by("created_at")
    return [row for row in rows if to is None or row.to_address == to]


def link_path(email: OutboxEmail) -> str:
    return re.search(r"https?://[^/\s]+(/\S+)", email.text_body).group(1)


def actions(prefix: str = "dsar.") -> list[str]:
    return list(
        AuditEntry.objects.filter(action__startswith=prefix)
        .order_by("seq")
        .values_list("action", flat=True)
    )
