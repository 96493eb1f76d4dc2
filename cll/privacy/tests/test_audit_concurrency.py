"""Concurrent writers append to one chain: no fork, no gap, no lost entry (PostgreSQL)."""

from __future__ import annotations

import threading
import uuid

import pytest
from django.db import connection, connections, transaction

from cll.privacy.ledger import _sequencer, ledger_chain
from cll.privacy.models import AuditEntry
from cll.privacy.selectors import audit_chain_verify
from cll.privacy.services import audit_record

WRITERS = 8
ENTRIES_PER_WRITER = 10

pytestmark = pytest.mark.postgres


@pytest.fixture
def postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("Writers are serialised by BEGIN IMMEDIATE on SQLite.")


@pytest.mark.parametrize("chain_thread", [False, True], ids=["at-commit", "sequencer-thread"])
def test_it_keeps_one_chain_under_concurrent_writers(
    postgres_only, transactional_db, settings, chain_thread
):
    # at-commit: each writer places entries itself, for at most AFTER_COMMIT_ROUNDS rounds;
    # sequencer-thread: what production does on PostgreSQL (commits wake the process's thread).
    settings.AUDIT_CHAIN_THREAD = chain_thread
    start = threading.Barrier(WRITERS)
    failures: list[BaseException] = []

    def write() -> None:
        try:
            start.wait()
            for _ in range(ENTRIES_PER_WRITER):
                with transaction.atomic():
                    audit_record(subject=uuid.uuid4(), action="concurrency.probe")
        except BaseException as exc:  # reported by the main thread
            failures.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=write) for _ in range(WRITERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert failures == []
    total = WRITERS * ENTRIES_PER_WRITER
    assert AuditEntry.objects.count() == total
    # What the design leaves to "the next run": the thread's flush at exit, and the periodic
    # job for what a writer at its rounds limit left behind.
    _sequencer.stop()
    ledger_chain()
    assert list(AuditEntry.objects.order_by("seq").values_list("seq", flat=True)) == list(
        range(1, total + 1)
    )
    report = audit_chain_verify()
    assert report.intact
    assert report.checked == total
