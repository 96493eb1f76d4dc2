"""The evidence rule (10 years) prunes the oldest ledger entries behind a seal; the chain still
verifies, keeps growing from the seal, and entries no seal covers stay undeletable."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.db import DatabaseError, transaction

from cll.privacy.datamap import RETENTION
from cll.privacy.ledger import ledger_chain
from cll.privacy.models import AuditEntry, AuditSeal
from cll.privacy.retention import PRUNERS
from cll.privacy.selectors import audit_chain_verify
from cll.privacy.services import audit_record

pytestmark = pytest.mark.django_db

T0 = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


def _entries(at: dt.datetime, count: int) -> None:
    with time_machine.travel(at, tick=False):
        for _ in range(count):
            audit_record(action="test.entry")
        # Committed and placed by the sequencer (the test's transaction never commits).
        ledger_chain()


def test_it_prunes_entries_past_the_evidence_period_behind_a_seal():
    _entries(T0, 3)
    _entries(T0 + dt.timedelta(days=2000), 2)
    days = RETENTION["evidence"].days
    with time_machine.travel(T0 + dt.timedelta(days=days, hours=1), tick=False):
        assert PRUNERS["evidence"](dry_run=True) == 3
        assert AuditEntry.objects.count() == 5
        assert PRUNERS["evidence"](dry_run=False) == 3
    assert list(AuditEntry.objects.order_by("seq").values_list("seq", flat=True)) == [4, 5]
    seal = AuditSeal.objects.get()
    assert (seal.seq, seal.removed) == (3, 3)
    report = audit_chain_verify()
    assert report.intact
    assert report.checked == 2
    # The chain goes on after the seal.
    after = audit_record(action="test.after")
    ledger_chain()
    after.refresh_from_db()
    assert after.seq == 6
    assert audit_chain_verify().intact


def test_it_still_refuses_to_delete_entries_no_seal_covers():
    _entries(T0, 2)
    with time_machine.travel(T0 + dt.timedelta(days=RETENTION["evidence"].days + 1)):
        PRUNERS["evidence"](dry_run=False)
    _entries(T0 + dt.timedelta(days=RETENTION["evidence"].days + 2), 1)
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEntry.objects.filter(seq=3).delete()
    assert AuditEntry.objects.filter(seq=3).exists()


def test_it_detects_a_ledger_cut_after_the_seal():
    _entries(T0, 2)
    days = RETENTION["evidence"].days
    with time_machine.travel(T0 + dt.timedelta(days=days + 1)):
        PRUNERS["evidence"](dry_run=False)
    # A seal claiming more than was pruned cannot hide entries: they no longer link to it.
    _entries(T0 + dt.timedelta(days=days + 2), 2)
    AuditSeal.objects.create(seq=3, hash="f" * 64, sealed_at=T0, removed=1)
    assert not audit_chain_verify().intact


def test_it_prunes_nothing_younger_than_the_period():
    _entries(T0, 2)
    with time_machine.travel(T0 + dt.timedelta(days=RETENTION["evidence"].days - 1)):
        assert PRUNERS["evidence"](dry_run=False) == 0
    assert AuditEntry.objects.count() == 2
    assert not AuditSeal.objects.exists()
