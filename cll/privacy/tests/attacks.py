"""Someone with rights on the database, for the tests that prove the ledger catches them."""

from __future__ import annotations

from django.db import connection

from cll.privacy.ledger import audit_entry_hash
from cll.privacy.models import AuditEntry


class Attacker:
    """Someone with rights on the database but not the keys (unless given them): lifts the
    append-only triggers inside the test's transaction (rolled back after it) and rewrites."""

    def __init__(self) -> None:
        with connection.cursor() as cursor:
            if connection.vendor == "sqlite":
                cursor.execute("DROP TRIGGER privacy_auditentry_no_update")
                cursor.execute("DROP TRIGGER privacy_auditentry_no_delete")
            else:
                cursor.execute("ALTER TABLE privacy_auditentry DISABLE TRIGGER USER")

    def sql(self, statement: str, params: list) -> None:
        with connection.cursor() as cursor:
            cursor.execute(statement, params)

    def rewrite(self, from_seq: int, *, keyring=None, key_id: str | None = None, **changes):
        """Change entry ``from_seq`` and re-hash it and every entry after it, so that each
        links to the one before: with ``keyring`` (a key the attacker has or guesses) under
        ``key_id``, or unkeyed (the old SHA-256) when ``key_id`` is empty."""
        entries = list(AuditEntry.objects.filter(seq__gte=from_seq).order_by("seq"))
        prev_hash = entries[0].prev_hash
        for entry in entries:
            if entry.seq == from_seq:
                for name, value in changes.items():
                    setattr(entry, name, value)
            entry.prev_hash = prev_hash
            entry.key_id = entry.key_id if key_id is None else key_id
            entry.hash = prev_hash = audit_entry_hash(entry, keyring=keyring)
            self.sql(
                "UPDATE privacy_auditentry SET action = %s, prev_hash = %s, hash = %s, "
                "key_id = %s WHERE seq = %s",
                [entry.action, entry.prev_hash, entry.hash, entry.key_id, entry.seq],
            )
