"""The keyed chain: entries rewritten by someone without CLL_AUDIT_KEY are found without any
anchor noted by hand; keys rotate without breaking what the old key chained."""

from __future__ import annotations

import base64
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from cll.lib.keyring import new_key, parse_keyring
from cll.privacy.ledger import checkpoint_write, ledger_chain
from cll.privacy.models import AuditEntry
from cll.privacy.selectors import audit_chain_verify
from cll.privacy.services import audit_record

pytestmark = pytest.mark.django_db


def _write(count: int, action: str = "profile.read") -> None:
    for _ in range(count):
        audit_record(action=action)
    # What the sequencer does once they are committed (the test's transaction never commits).
    ledger_chain()


def _verify() -> str:
    out = StringIO()
    call_command("audit_verify", stdout=out)
    return out.getvalue()


def test_it_detects_entries_rewritten_with_recomputed_unkeyed_hashes(checkpoints, attacker):
    _write(4)

    # The old, unkeyed scheme: anyone with the database can compute these.
    attacker.rewrite(2, key_id="", action="nothing.happened")

    with pytest.raises(CommandError, match=r"broken at seq 2: its hash is unkeyed"):
        _verify()


def test_it_detects_entries_rewritten_with_hashes_under_another_key(checkpoints, attacker):
    _write(4)
    guessed = parse_keyring(f"{AuditEntry.objects.get(seq=2).key_id}:{new_key()}")

    attacker.rewrite(2, keyring=guessed, action="nothing.happened")

    with pytest.raises(CommandError, match=r"broken at seq 2: its content does not match"):
        _verify()


def test_it_detects_a_whole_chain_rewritten_unkeyed_through_the_checkpoint(checkpoints, attacker):
    _write(3)
    checkpoint_write(seq=3, hash=AuditEntry.objects.get(seq=3).hash, legacy_end=0)

    # Every entry made to look like one of before the keyed chain: the checkpoint says that
    # the keyed chain began at entry 1.
    attacker.rewrite(1, key_id="", action="nothing.happened")

    with pytest.raises(CommandError, match=r"broken at seq 1: its hash is unkeyed"):
        _verify()


def test_it_verifies_entries_of_a_retired_key_after_a_rotation(checkpoints, audit_keys):
    audit_keys("k1")
    _write(2, "before.rotation")
    # Rotation: a new key first, the old one kept to verify what it chained.
    audit_keys("k2", "k1")
    _write(2, "after.rotation")

    keys = AuditEntry.objects.order_by("seq").values_list("action", "key_id")
    assert list(keys) == [
        ("before.rotation", "k1"),
        ("before.rotation", "k1"),
        ("after.rotation", "k2"),
        ("after.rotation", "k2"),
    ]
    assert "intact: 4 entries" in _verify()

    # Dropping the old key from CLL_AUDIT_KEY makes its entries unverifiable, and says so.
    audit_keys("k2")
    report = audit_chain_verify()
    assert report.first_break.seq == 1
    assert "'k1', which is not in CLL_AUDIT_KEY" in report.first_break.problem


def test_it_stores_the_key_id_never_the_key(settings):
    _write(1)

    entry = AuditEntry.objects.get()

    assert entry.key_id == settings.AUDIT_KEYRING.active_id
    stored = " ".join(str(value) for value in AuditEntry.objects.values_list().get())
    for key in settings.AUDIT_KEYRING.keys.values():
        assert base64.b64encode(key).decode() not in stored
        assert key.hex() not in stored
