"""audit_verify: an entry edited or deleted behind the application's back is found and named."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction

from cll.privacy.ledger import ledger_chain
from cll.privacy.models import AuditEntry
from cll.privacy.selectors import audit_chain_verify
from cll.privacy.services import audit_entry_hash, audit_record
from cll.privacy.tests.attacks import Attacker

pytestmark = pytest.mark.django_db


@pytest.fixture
def ledger(alice, bob, dora) -> list[AuditEntry]:
    audit_record(actor=dora, role="Privacy officer", subject=alice, action="profile.read")
    audit_record(actor=bob, role="Teacher", subject=alice, action="grades.read")
    audit_record(subject=alice, action="consent.given", detail={"policy": 4})
    audit_record(actor=alice, subject=alice, action="export.requested")
    # What the sequencer does once they are committed (the test's transaction never commits).
    ledger_chain()
    return list(AuditEntry.objects.order_by("seq"))


def _sql(statement: str, params: list) -> None:
    with connection.cursor() as cursor:
        cursor.execute(statement, params)


def _verify() -> str:
    out = StringIO()
    call_command("audit_verify", stdout=out)
    return out.getvalue()


def test_it_passes_on_an_empty_ledger():
    assert "it is empty" in _verify()


def test_it_passes_on_an_intact_chain_and_prints_its_head(ledger):
    output = _verify()

    assert "intact: 4 entries" in output
    assert f"Head: 4:{ledger[-1].hash}" in output


def test_it_streams_the_chain_in_small_chunks(ledger):
    report = audit_chain_verify(chunk_size=1)

    assert report.intact
    assert (report.checked, report.last_seq, report.last_hash) == (4, 4, ledger[-1].hash)


def test_it_is_protected_by_the_database_against_updates_and_deletes(ledger):
    with pytest.raises(DatabaseError), transaction.atomic():
        _sql("UPDATE privacy_auditentry SET action = %s WHERE seq = %s", ["x", 2])
    with pytest.raises(DatabaseError), transaction.atomic():
        _sql("DELETE FROM privacy_auditentry WHERE seq = %s", [2])

    assert AuditEntry.objects.count() == 4
    assert "intact" in _verify()


def test_it_refuses_truncation_on_postgresql(ledger):
    if connection.vendor != "postgresql":
        pytest.skip("SQLite has no TRUNCATE; DELETE is covered by the delete trigger.")
    with pytest.raises(DatabaseError), transaction.atomic():
        _sql("TRUNCATE privacy_auditentry", [])


def test_it_detects_an_edited_entry(ledger):
    Attacker()
    _sql("UPDATE privacy_auditentry SET action = %s WHERE seq = %s", ["nothing.happened", 2])

    with pytest.raises(CommandError, match=r"broken at seq 2: its content does not match"):
        _verify()


def test_it_detects_an_edited_detail(ledger):
    Attacker()
    _sql("UPDATE privacy_auditentry SET detail = %s WHERE seq = %s", ['{"policy": 5}', 3])

    with pytest.raises(CommandError, match=r"broken at seq 3"):
        _verify()


def test_it_detects_an_edited_entry_whose_hash_was_recomputed(ledger):
    Attacker()
    forged = AuditEntry.objects.get(seq=2)
    forged.action = "nothing.happened"
    _sql(
        "UPDATE privacy_auditentry SET action = %s, hash = %s WHERE seq = %s",
        [forged.action, audit_entry_hash(forged), 2],
    )

    with pytest.raises(CommandError, match=r"broken at seq 3: it does not link"):
        _verify()


def test_it_detects_a_deleted_entry(ledger):
    Attacker()
    _sql("DELETE FROM privacy_auditentry WHERE seq = %s", [2])

    with pytest.raises(CommandError, match=r"broken at seq 2: entry 2 is missing"):
        _verify()


def test_it_detects_that_the_first_entries_were_deleted(ledger):
    Attacker()
    _sql("DELETE FROM privacy_auditentry WHERE seq <= %s", [2])

    with pytest.raises(CommandError, match=r"broken at seq 1: entries 1 to 2 are missing"):
        _verify()


def test_it_detects_a_deleted_entry_whose_successors_were_renumbered(ledger):
    Attacker()
    _sql("DELETE FROM privacy_auditentry WHERE seq = %s", [2])
    for seq in (3, 4):
        _sql("UPDATE privacy_auditentry SET seq = %s WHERE seq = %s", [seq - 1, seq])

    with pytest.raises(CommandError, match=r"broken at seq 2"):
        _verify()


def test_it_detects_a_cut_off_end_with_a_recorded_anchor(ledger):
    anchor = f"4:{ledger[-1].hash}"
    out = StringIO()
    call_command("audit_verify", "--anchor", anchor, stdout=out)
    assert "intact" in out.getvalue()

    Attacker()
    _sql("DELETE FROM privacy_auditentry WHERE seq >= %s", [3])

    assert "intact: 2 entries" in _verify()
    with pytest.raises(CommandError, match=r"broken at seq 3: the ledger ends before"):
        call_command("audit_verify", "--anchor", anchor, stdout=StringIO())


def test_it_refuses_a_malformed_anchor():
    with pytest.raises(CommandError, match="SEQ:HASH"):
        call_command("audit_verify", "--anchor", "latest", stdout=StringIO())
