"""Fixtures of the ledger tests: a checkpoint directory and audit keys of their own."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.db import connection

from cll.lib.keyring import new_key, parse_keyring


@pytest.fixture
def checkpoints(settings, tmp_path) -> Path:
    """An empty checkpoint directory for this test (never the run's shared one)."""
    settings.AUDIT_CHECKPOINT_DIR = tmp_path / "audit-checkpoints"
    return settings.AUDIT_CHECKPOINT_DIR


@pytest.fixture
def audit_keys(settings):
    """Set CLL_AUDIT_KEY for the rest of the test: ``audit_keys("k2", "k1")`` makes k2 active
    and keeps k1 to verify; a name keeps the same key across calls."""
    keys: dict[str, str] = {}

    def use(*names: str):
        text = ",".join(f"{name}:{keys.setdefault(name, new_key())}" for name in names)
        settings.AUDIT_KEYRING = parse_keyring(text)
        return settings.AUDIT_KEYRING

    return use


@pytest.fixture
def postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("Needs PostgreSQL: SQLite runs one writer at a time.")


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
        from cll.privacy.ledger import audit_entry_hash
        from cll.privacy.models import AuditEntry

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


@pytest.fixture
def attacker() -> Attacker:
    return Attacker()
