"""Concurrent writers append to one chain: no fork, no gap, no lost entry (PostgreSQL)."""

from __future__ import annotations

import threading
import uuid

import pytest
from django.db import connection, connections, transaction

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


def test_it_keeps_one_chain_under_concurrent_writers(postgres_only, transactional_db):
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
    assert list(AuditEntry.objects.order_by("seq").values_list("seq", flat=True)) == list(
        range(1, total + 1)
    )
    report = audit_chain_verify()
    assert report.intact
    assert report.checked == total
