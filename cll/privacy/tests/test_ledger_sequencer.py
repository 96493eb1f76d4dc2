"""The sequencer: entries are written without a lock and placed in the chain after commit, in
commit order; a rollback leaves nothing; an entry a crash left unplaced is placed later."""

from __future__ import annotations

import threading
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection, connections, transaction
from django.utils import timezone

from cll.privacy import services
from cll.privacy.ledger import GENESIS_HASH, _sequencer, ledger_chain
from cll.privacy.models import AuditEntry
from cll.privacy.selectors import audit_chain_verify
from cll.privacy.services import audit_record
from cll.privacy.tasks import audit_checkpoint


def _touch(user) -> None:
    """The business change of an audited write: one row."""
    type(user).objects.filter(pk=user.pk).update(last_login=timezone.now())


def test_it_writes_an_entry_without_a_place_and_places_it_once_committed(
    db, alice, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        entry = audit_record(subject=alice, action="profile.read")
        stored = AuditEntry.objects.get(pk=entry.pk)
        assert (stored.seq, stored.prev_hash, stored.hash) == (None, None, None)

    stored.refresh_from_db()
    assert (stored.seq, stored.prev_hash) == (1, GENESIS_HASH)
    assert stored.hash is not None
    # The instance the caller holds learns its place too.
    assert (entry.seq, entry.hash, entry.key_id) == (1, stored.hash, stored.key_id)


def test_it_places_an_entry_written_outside_a_transaction_at_once(transactional_db, alice):
    entry = audit_record(subject=alice, action="profile.read")

    assert entry.seq == 1
    assert AuditEntry.objects.get(pk=entry.pk).hash == entry.hash


def test_it_leaves_no_entry_when_the_business_transaction_rolls_back(transactional_db, alice):
    with pytest.raises(RuntimeError), transaction.atomic():
        _touch(alice)
        audit_record(subject=alice, action="profile.update", fields=["last_login"])
        raise RuntimeError("the change failed")

    assert not AuditEntry.objects.exists()
    alice.refresh_from_db()
    assert alice.last_login is None
    # No gap either: the next entry is the first of the chain.
    assert audit_record(subject=alice, action="profile.read").seq == 1
    assert audit_chain_verify().intact


def test_it_chains_later_an_entry_whose_process_died_after_its_commit(
    transactional_db, monkeypatch, alice, checkpoints
):
    # The process dies between its commit and the sequencer: the after-commit hook never runs.
    monkeypatch.setattr(services, "chain_after_commit", lambda entry, using: None)
    for action in ("profile.read", "profile.update"):
        with transaction.atomic():
            _touch(alice)
            audit_record(subject=alice, action=action)
    monkeypatch.undo()
    assert list(AuditEntry.objects.values_list("seq", flat=True)) == [None, None]

    # The periodic job places them, in the order they were written, and signs the new head.
    result = audit_checkpoint.call()

    assert result == {"chained": 2, "intact": True, "checkpoint": 2}
    placed = AuditEntry.objects.order_by("seq").values_list("seq", "action")
    assert list(placed) == [(1, "profile.read"), (2, "profile.update")]
    assert audit_chain_verify().intact


def test_it_chains_waiting_entries_when_verifying(db, alice):
    audit_record(subject=alice, action="profile.read")
    out = StringIO()

    call_command("audit_verify", stdout=out)

    assert "Chained 1 entries" in out.getvalue()
    assert "intact: 1 entries" in out.getvalue()


def test_it_lists_entries_not_placed_yet_after_the_chain_in_the_order_written(db, alice):
    audit_record(subject=alice, action="first")
    audit_record(subject=alice, action="second")
    ledger_chain()
    audit_record(subject=alice, action="third")
    audit_record(subject=alice, action="fourth")

    ordered = AuditEntry.objects.order_by("seq").values_list("action", flat=True)
    assert list(ordered) == ["first", "second", "third", "fourth"]
    newest_first = AuditEntry.objects.order_by("-seq").values_list("action", flat=True)
    assert list(newest_first) == ["fourth", "third", "second", "first"]


def test_it_does_not_make_writers_wait_for_each_others_transactions(
    postgres_only, transactional_db, alice, bob
):
    """One writer holds its transaction open after writing its entry; another commits its own
    audited write meanwhile, and finds its place at once: the chain follows commit order."""
    written, release = threading.Event(), threading.Event()
    failures: list[BaseException] = []

    def slow_writer() -> None:
        try:
            with transaction.atomic():
                _touch(alice)
                audit_record(subject=alice, action="slow.update")
                written.set()
                release.wait(30)
        except BaseException as exc:  # reported by the main thread
            failures.append(exc)
        finally:
            connections.close_all()

    thread = threading.Thread(target=slow_writer)
    thread.start()
    try:
        assert written.wait(30)
        with transaction.atomic():
            # Waiting for any lock (the old global ledger lock) fails instead of hanging.
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL lock_timeout = '2s'")
            _touch(bob)
            fast = audit_record(subject=bob, action="fast.update")
        assert fast.seq == 1
    finally:
        release.set()
        thread.join()

    assert failures == []
    ledger_chain()
    placed = AuditEntry.objects.order_by("seq").values_list("seq", "action")
    assert list(placed) == [(1, "fast.update"), (2, "slow.update")]
    assert audit_chain_verify().intact


def test_it_places_entries_from_a_thread_of_the_process_outside_tests(
    postgres_only, transactional_db, settings, alice
):
    # Outside tests, on PostgreSQL, a commit only wakes this process's sequencer thread.
    settings.AUDIT_CHAIN_THREAD = True
    for action in ("profile.read", "profile.update", "profile.read"):
        with transaction.atomic():
            _touch(alice)
            entry = audit_record(subject=alice, action=action)
    assert entry.seq is None

    # What the process does when it exits: place what is waiting, then end the thread.
    _sequencer.stop()

    placed = AuditEntry.objects.order_by("seq").values_list("seq", "action")
    assert list(placed) == [(1, "profile.read"), (2, "profile.update"), (3, "profile.read")]
    assert audit_chain_verify().intact
