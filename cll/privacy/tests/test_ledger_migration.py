"""Migration 0007: a ledger written before the keyed chain keeps every entry and hash as it
was, still verifies, and the keyed chain goes on from its last hash; an old entry tampered with
afterwards is still detected."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import uuid
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from cll.privacy.models import AuditEntry
from cll.privacy.selectors import audit_chain_verify
from cll.privacy.services import audit_record

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = ("privacy", "0006_breaches_to_own_app")


def _hash_as_before(prev_hash: str, row: dict) -> str:
    """``services.audit_entry_hash`` as it was before the keyed chain, verbatim."""
    content = {
        "seq": row["seq"],
        "at": row["at"].astimezone(dt.UTC).isoformat(timespec="microseconds"),
        "actor": None if row["actor"] is None else str(row["actor"]),
        "actor_role": row["actor_role"],
        "subject": None if row["subject"] is None else str(row["subject"]),
        "action": row["action"],
        "target": row["target"],
        "fields": row["fields"],
        "route": row["route"],
        "detail": row["detail"],
    }
    canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), allow_nan=False)
    return hashlib.sha256((prev_hash + canonical).encode()).hexdigest()


def _write_as_before(apps, count: int) -> list[str]:
    """Entries written the way ``audit_record`` wrote them before: numbered by the writer,
    hashed with plain SHA-256, in the schema of migration 0006."""
    Entry = apps.get_model("privacy", "AuditEntry")
    prev_hash, hashes = "0" * 64, []
    for seq in range(1, count + 1):
        row = {
            "seq": seq,
            "at": dt.datetime(2026, 1, 1, 9, seq, 0, 123456, tzinfo=dt.UTC),
            "actor": uuid.uuid4() if seq % 2 else None,
            "actor_role": "Privacy officer" if seq % 2 else "",
            "subject": uuid.uuid4(),
            "action": f"old.action{seq}",
            "target": f"accounts.User:{uuid.uuid4()}",
            "fields": ["email", "phone"],
            "route": "/staff/learners/",
            "detail": {"version": seq, "ids": [1, 2], "final": True, "note": None},
        }
        entry_hash = _hash_as_before(prev_hash, row)
        Entry.objects.create(**row, prev_hash=prev_hash, hash=entry_hash)
        prev_hash = entry_hash
        hashes.append(entry_hash)
    return hashes


@pytest.fixture
def ledger_of_before():
    """The database as it was before 0007, with a ledger of three entries; migrated forward
    to today's schema before the test goes on (and after it, whatever happens)."""
    executor = MigrationExecutor(connection)
    executor.migrate([BEFORE])
    try:
        hashes = _write_as_before(executor.loader.project_state([BEFORE]).apps, 3)
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())
        yield hashes
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())


def test_it_keeps_a_ledger_of_before_verifiable_and_still_detects_tampering(
    ledger_of_before, checkpoints, settings
):
    kept = AuditEntry.objects.order_by("seq").values_list("id", "seq", "hash", "key_id")
    assert list(kept) == [(seq, seq, h, "") for seq, h in enumerate(ledger_of_before, start=1)]
    report = audit_chain_verify()
    assert (report.intact, report.checked, report.legacy_end) == (True, 3, 3)

    # Written outside a transaction: placed at once, keyed, linked to the last old hash.
    entry = audit_record(action="new.action")

    assert (entry.id, entry.seq, entry.prev_hash) == (4, 4, ledger_of_before[-1])
    assert entry.key_id == settings.AUDIT_KEYRING.active_id
    out = StringIO()
    call_command("audit_verify", "--checkpoint", stdout=out)
    assert "intact: 4 entries" in out.getvalue()

    # An old entry edited afterwards (its old, unkeyed hash cannot be made to fit: the keyed
    # entry after it covers it).
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("DROP TRIGGER privacy_auditentry_no_update")
        else:
            cursor.execute("ALTER TABLE privacy_auditentry DISABLE TRIGGER USER")
        cursor.execute("UPDATE privacy_auditentry SET action = %s WHERE seq = %s", ["x", 2])
    with pytest.raises(CommandError, match=r"broken at seq 2: its content does not match"):
        call_command("audit_verify", stdout=StringIO())
