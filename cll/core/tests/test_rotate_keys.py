"""``manage.py rotate_keys``: re-wrapping data keys with the active master key."""

from __future__ import annotations

import io
import uuid

import pytest
from django.apps import apps
from django.core.management import CommandError, call_command

from cll.core import encryption as crypto
from cll.core.encryption import data_key_destroy, decrypt, encrypt
from cll.lib.keyring import Keyring

pytestmark = pytest.mark.django_db

PEOPLE = [uuid.UUID(int=n) for n in (101, 102, 103)]


def DataKey():
    return apps.get_model("core", "DataKey")


def _rotate(*args: str) -> str:
    out = io.StringIO()
    call_command("rotate_keys", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


@pytest.fixture
def tokens(old_keyring):
    """One value per person, their keys wrapped by the "old" master key."""
    return {person: encrypt(f"secret of {person}", subject=person) for person in PEOPLE}


def _master_ids() -> list[str]:
    return sorted(DataKey().objects.values_list("master_key_id", flat=True))


def test_it_rewraps_every_key_with_the_new_master_key(settings, tokens, rotated_keyring):
    wrapped_before = dict(DataKey().objects.values_list("id", "wrapped"))
    settings.ENCRYPTION_KEYRING = rotated_keyring

    output = _rotate("--batch-size", "2")

    assert _master_ids() == ["new"] * 3
    for key_id, wrapped in DataKey().objects.values_list("id", "wrapped"):
        assert bytes(wrapped) != bytes(wrapped_before[key_id])
    assert "Batch 1: re-wrapped 2, 2/3 done." in output
    assert "Batch 2: re-wrapped 1, 3/3 done." in output
    assert "Re-wrapped 3 data key(s) with 'new'." in output
    assert "'old' any more: it can be removed" in output


def test_it_leaves_values_readable_without_the_old_master_key(settings, tokens, new_key_bytes):
    settings.ENCRYPTION_KEYRING = Keyring(
        active_id="new", keys={"new": new_key_bytes, "old": settings.ENCRYPTION_KEYRING.keys["old"]}
    )
    _rotate()
    settings.ENCRYPTION_KEYRING = Keyring(active_id="new", keys={"new": new_key_bytes})
    crypto.data_key_cache_clear()

    for person, token in tokens.items():
        assert decrypt(token) == f"secret of {person}"


def test_it_changes_nothing_in_a_dry_run(settings, tokens, rotated_keyring):
    settings.ENCRYPTION_KEYRING = rotated_keyring

    output = _rotate("--dry-run")

    assert _master_ids() == ["old"] * 3
    assert "3 data key(s) wrapped by 'old'" in output
    assert "would re-wrap 3 data key(s)" in output


def test_it_resumes_where_an_interrupted_run_stopped(
    settings, tokens, rotated_keyring, monkeypatch
):
    settings.ENCRYPTION_KEYRING = rotated_keyring
    real_batch = crypto.data_keys_rewrap_batch
    calls = []

    def power_cut_after_one_batch(**kwargs):
        calls.append(kwargs)
        if len(calls) == 2:
            raise RuntimeError("power cut")
        return real_batch(**kwargs)

    monkeypatch.setattr(crypto, "data_keys_rewrap_batch", power_cut_after_one_batch)
    with pytest.raises(RuntimeError):
        _rotate("--batch-size", "1")
    # The first batch was committed on its own.
    assert _master_ids() == ["new", "old", "old"]

    monkeypatch.setattr(crypto, "data_keys_rewrap_batch", real_batch)
    output = _rotate("--batch-size", "1")

    assert _master_ids() == ["new"] * 3
    assert "Re-wrapped 2 data key(s)" in output
    for person, token in tokens.items():
        crypto.data_key_cache_clear()
        assert decrypt(token) == f"secret of {person}"


def test_it_reports_keys_whose_master_key_is_missing(settings, tokens, new_key_bytes):
    settings.ENCRYPTION_KEYRING = Keyring(active_id="new", keys={"new": new_key_bytes})

    with pytest.raises(CommandError, match=r"3 data key\(s\) could not be unwrapped.*'old'"):
        _rotate()

    assert _master_ids() == ["old"] * 3


def test_it_skips_destroyed_keys(settings, tokens, rotated_keyring):
    data_key_destroy(subject=PEOPLE[0])
    settings.ENCRYPTION_KEYRING = rotated_keyring

    output = _rotate()

    assert "Re-wrapped 2 data key(s)" in output
    destroyed = DataKey().objects.get(subject=PEOPLE[0])
    assert (destroyed.master_key_id, bytes(destroyed.wrapped)) == ("old", b"")


def test_it_says_when_there_is_nothing_to_do(tokens):
    output = _rotate()

    assert "Nothing to do" in output
    assert _master_ids() == ["old"] * 3


def test_it_refuses_a_batch_size_below_one():
    with pytest.raises(CommandError, match="batch-size"):
        _rotate("--batch-size", "0")
