"""Sealing values with per-person data keys, crypto-shredding, the key cache, blind indexes."""

from __future__ import annotations

import base64
import uuid

import pytest
from django.apps import apps
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from cll.core import encryption as crypto
from cll.core.encryption import (
    SYSTEM_SUBJECT,
    DecryptionError,
    KeyDestroyed,
    MasterKeyError,
    blind_index,
    data_key_destroy,
    data_key_for,
    decrypt,
    encrypt,
    token_key_id,
)
from cll.lib.keyring import Keyring, decode_key, new_key
from conftest import hypothesis_examples

pytestmark = pytest.mark.django_db

ALICE = uuid.UUID("00000000-0000-4000-8000-00000000a11c")
BOB = uuid.UUID("00000000-0000-4000-8000-000000000b0b")


def DataKey():
    return apps.get_model("core", "DataKey")


def _raw(token: str) -> bytes:
    body = token.removeprefix("e1.")
    return base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))


def _token(raw: bytes) -> str:
    return "e1." + base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


# -- Sealing and opening ------------------------------------------------------------------------


def test_it_round_trips_a_value():
    token = encrypt("Amélie Dupont", subject=ALICE)

    assert decrypt(token) == "Amélie Dupont"


def test_it_round_trips_the_empty_string():
    assert decrypt(encrypt("", subject=ALICE)) == ""


def test_it_gives_two_different_tokens_for_the_same_value():
    first = encrypt("same", subject=ALICE)
    second = encrypt("same", subject=ALICE)

    assert first != second
    assert decrypt(first) == decrypt(second) == "same"


def test_it_writes_a_versioned_token_that_names_its_data_key():
    token = encrypt("x", subject=ALICE)

    key = DataKey().objects.get(subject=ALICE)
    assert token.startswith("e1.")
    assert "=" not in token
    assert _raw(token)[0] == 1
    assert token_key_id(token) == key.id


def test_it_keeps_the_plaintext_out_of_the_token():
    token = encrypt("alice@example.org", subject=ALICE)

    assert b"alice" not in _raw(token)
    assert "alice" not in token


def test_it_gives_each_person_their_own_key_created_once():
    alice_token = encrypt("a", subject=ALICE)
    encrypt("a again", subject=ALICE)
    bob_token = encrypt("b", subject=BOB)

    assert DataKey().objects.filter(subject=ALICE).count() == 1
    assert DataKey().objects.filter(subject=BOB).count() == 1
    assert token_key_id(alice_token) != token_key_id(bob_token)


def test_it_stores_the_data_key_only_wrapped_by_the_active_master_key(settings):
    key_id, key = data_key_for(ALICE)

    row = DataKey().objects.get(pk=key_id)
    assert row.master_key_id == settings.ENCRYPTION_KEYRING.active_id
    assert key not in bytes(row.wrapped)
    assert len(bytes(row.wrapped)) == 1 + 12 + 32 + 16


def test_it_refuses_a_wrapped_key_moved_to_another_person():
    data_key_for(ALICE)
    bob_id, _ = data_key_for(BOB)
    token = encrypt("bob's secret", subject=BOB)
    alice_wrapped = DataKey().objects.get(subject=ALICE).wrapped
    DataKey().objects.filter(pk=bob_id).update(wrapped=alice_wrapped)
    crypto.data_key_cache_clear()

    with pytest.raises(MasterKeyError, match="does not open"):
        decrypt(token)


@given(value=st.text())
@hypothesis_settings(
    max_examples=hypothesis_examples(0.6),
    deadline=None,
    # The person's key may be reused across examples: nothing here depends on a fresh database.
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
def test_it_round_trips_any_unicode_text(value):
    assert decrypt(encrypt(value, subject=ALICE)) == value


def test_it_refuses_values_that_are_not_text():
    with pytest.raises(TypeError):
        encrypt(b"bytes", subject=ALICE)
    with pytest.raises(TypeError):
        encrypt("x", subject=str(ALICE))


# -- Tampering ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "position",
    [0, 1, 16, 17, 28, 29, -16, -1],
    ids=[
        "version",
        "key-id-first",
        "key-id-last",
        "nonce-first",
        "nonce-last",
        "ciphertext",
        "tag-first",
        "tag-last",
    ],
)
def test_it_refuses_a_token_with_any_byte_altered(position):
    data_key_for(BOB)
    raw = bytearray(_raw(encrypt("a secret value", subject=ALICE)))
    raw[position] ^= 0x01

    with pytest.raises(DecryptionError):
        decrypt(_token(bytes(raw)))


def test_it_refuses_a_token_with_any_character_altered():
    token = encrypt("short", subject=ALICE)
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"

    for index in range(len("e1."), len(token)):
        replacement = "A" if token[index] != "A" else "B"
        assert replacement in alphabet
        altered = token[:index] + replacement + token[index + 1 :]
        with pytest.raises(DecryptionError):
            decrypt(altered)


def test_it_refuses_every_other_spelling_of_the_same_bytes():
    # Only the canonical text opens: the last character with unused bits set, characters the
    # decoder would skip, and padding are all refused (each would let the text change while the
    # bytes stay the same).
    token = encrypt("short", subject=ALICE)
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    variants = {token[:-1] + char for char in alphabet} - {token}
    middle = len(token) // 2
    variants |= {
        token[:middle] + junk + token[middle:] for junk in ("!", " ", "\n", "=", "+", "/", "é")
    }
    variants |= {token + "=", token + "==", token[:-1], token + "A"}
    # The standard alphabet's spelling of "-" and "_" decodes to the same bytes.
    others = [encrypt("short", subject=ALICE) for _ in range(40)]
    dash = next(other for other in others if "-" in other[3:])
    underscore = next(other for other in others if "_" in other[3:])
    variants |= {dash[:3] + dash[3:].replace("-", "+", 1)}
    variants |= {underscore[:3] + underscore[3:].replace("_", "/", 1)}

    for variant in variants:
        with pytest.raises(DecryptionError):
            decrypt(variant)
    assert decrypt(token) == "short"


def test_it_refuses_a_header_swapped_to_another_persons_key():
    bob_key_id, _ = data_key_for(BOB)
    raw = bytearray(_raw(encrypt("alice's secret", subject=ALICE)))
    raw[1:17] = bob_key_id.bytes

    with pytest.raises(DecryptionError, match="failed authentication"):
        decrypt(_token(bytes(raw)))


@pytest.mark.parametrize(
    "token",
    ["", "plain text", "e1.", "e1.!!!!", "e2." + "A" * 80, "e1." + "A" * 10],
)
def test_it_refuses_text_that_is_not_a_token(token):
    with pytest.raises(DecryptionError):
        decrypt(token)


def test_it_refuses_a_token_whose_key_does_not_exist():
    raw = bytearray(_raw(encrypt("x", subject=ALICE)))
    raw[1:17] = uuid.uuid4().bytes

    with pytest.raises(DecryptionError, match="No data key"):
        decrypt(_token(bytes(raw)))


# -- Master keys --------------------------------------------------------------------------------


def test_it_names_the_missing_master_key(settings, old_keyring, new_key_bytes):
    token = encrypt("x", subject=ALICE)
    settings.ENCRYPTION_KEYRING = Keyring(active_id="new", keys={"new": new_key_bytes})
    crypto.data_key_cache_clear()

    with pytest.raises(MasterKeyError, match=r"master key 'old', which is not in CLL_KEYRING"):
        decrypt(token)


def test_it_detects_a_master_key_replaced_under_the_same_id(settings, old_keyring):
    token = encrypt("x", subject=ALICE)
    settings.ENCRYPTION_KEYRING = Keyring(active_id="old", keys={"old": decode_key(new_key())})
    crypto.data_key_cache_clear()

    with pytest.raises(MasterKeyError, match="'old' does not open"):
        decrypt(token)


def test_it_opens_keys_wrapped_by_an_older_master_key_still_in_the_keyring(
    settings, old_keyring, rotated_keyring
):
    token = encrypt("x", subject=ALICE)
    settings.ENCRYPTION_KEYRING = rotated_keyring
    crypto.data_key_cache_clear()

    assert decrypt(token) == "x"


# -- Crypto-shredding ---------------------------------------------------------------------------


def test_it_makes_a_destroyed_key_unusable():
    token = encrypt("alice's secret", subject=ALICE)

    assert data_key_destroy(subject=ALICE) is True

    with pytest.raises(KeyDestroyed):
        decrypt(token)
    row = DataKey().objects.get(subject=ALICE)
    assert bytes(row.wrapped) == b""
    assert row.destroyed_at is not None


def test_it_forgets_a_cached_key_when_it_is_destroyed(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        token = encrypt("alice's secret", subject=ALICE)
    assert decrypt(token) == "alice's secret"

    with django_capture_on_commit_callbacks(execute=True):
        data_key_destroy(subject=ALICE)

    with pytest.raises(KeyDestroyed):
        decrypt(token)


def test_it_leaves_other_people_readable_after_shredding():
    bob_token = encrypt("bob's secret", subject=BOB)
    encrypt("alice's secret", subject=ALICE)

    data_key_destroy(subject=ALICE)

    assert decrypt(bob_token) == "bob's secret"


def test_it_seals_later_values_with_a_fresh_key_after_shredding():
    old_token = encrypt("before", subject=ALICE)
    data_key_destroy(subject=ALICE)

    new_token = encrypt("after", subject=ALICE)

    assert token_key_id(new_token) != token_key_id(old_token)
    assert decrypt(new_token) == "after"
    with pytest.raises(KeyDestroyed):
        decrypt(old_token)


def test_it_reports_when_there_was_no_key_to_destroy():
    assert data_key_destroy(subject=ALICE) is False


def test_it_refuses_to_destroy_the_system_key():
    with pytest.raises(ValueError, match="system"):
        data_key_destroy(subject=SYSTEM_SUBJECT)


# -- Creating keys under concurrency ------------------------------------------------------------


def test_it_uses_the_winners_key_when_it_loses_the_creation_race(monkeypatch):
    winner_id, winner_key = data_key_for(ALICE)
    crypto.data_key_cache_clear()
    real = crypto._live_key_row
    calls = []

    def stale_first_read(subject):
        # Our first read happens before the other request's insert is visible.
        calls.append(subject)
        return None if len(calls) == 1 else real(subject)

    monkeypatch.setattr(crypto, "_live_key_row", stale_first_read)

    assert data_key_for(ALICE) == (winner_id, winner_key)
    assert len(calls) == 2
    assert DataKey().objects.filter(subject=ALICE).count() == 1


def test_it_never_reuses_a_key_created_in_a_rolled_back_transaction(
    django_capture_on_commit_callbacks,
):
    with django_capture_on_commit_callbacks(execute=True):
        with pytest.raises(RuntimeError), transaction.atomic():
            rolled_back_id, _ = data_key_for(ALICE)
            # Read again inside the transaction: the uncommitted row must not be cached.
            assert data_key_for(ALICE)[0] == rolled_back_id
            raise RuntimeError("rollback")

        key_id, _ = data_key_for(ALICE)

    assert key_id != rolled_back_id
    assert list(DataKey().objects.values_list("id", flat=True)) == [key_id]


# -- The key cache ------------------------------------------------------------------------------


def test_it_serves_cached_keys_without_queries_until_they_expire(
    settings, clock, django_capture_on_commit_callbacks, django_assert_num_queries
):
    settings.DATA_KEY_CACHE_SECONDS = 60
    with django_capture_on_commit_callbacks(execute=True):
        token = encrypt("x", subject=ALICE)

    clock.advance(59)
    with django_assert_num_queries(0):
        assert decrypt(token) == "x"
        encrypt("y", subject=ALICE)

    clock.advance(2)
    with django_assert_num_queries(1):
        assert decrypt(token) == "x"


def test_it_queries_every_time_when_the_cache_is_disabled(
    settings, django_capture_on_commit_callbacks, django_assert_num_queries
):
    settings.DATA_KEY_CACHE_SECONDS = 0
    with django_capture_on_commit_callbacks(execute=True):
        token = encrypt("x", subject=ALICE)

    with django_assert_num_queries(2):
        decrypt(token)
        decrypt(token)


def test_it_bounds_the_number_of_cached_keys(settings, clock):
    settings.DATA_KEY_CACHE_SECONDS = 60
    cache = crypto._KeyCache(max_entries=2)
    ids = [uuid.uuid4() for _ in range(3)]
    for key_id in ids:
        cache.put(key_id, uuid.uuid4(), b"k" * 32, live=True)
        clock.advance(1)

    assert cache.get(ids[0]) is None
    assert cache.get(ids[1]) == cache.get(ids[2]) == b"k" * 32


def test_it_keeps_a_recently_used_key_over_an_older_one(settings, clock):
    settings.DATA_KEY_CACHE_SECONDS = 60
    cache = crypto._KeyCache(max_entries=2)
    first, second, third = (uuid.uuid4() for _ in range(3))
    cache.put(first, ALICE, b"1" * 32, live=True)
    cache.put(second, BOB, b"2" * 32, live=True)
    cache.get(first)
    cache.put(third, uuid.uuid4(), b"3" * 32, live=True)

    assert cache.get(first) == b"1" * 32
    assert cache.get(second) is None
    assert cache.live_for(BOB) is None


# -- Blind indexes ------------------------------------------------------------------------------


def test_it_gives_a_stable_hex_blind_index():
    index = blind_index("alice@example.org", purpose="test.email")

    assert index == blind_index("alice@example.org", purpose="test.email")
    assert len(index) == 64
    assert int(index, 16) >= 0


def test_it_ignores_case_outer_spaces_and_unicode_forms_in_blind_indexes():
    expected = blind_index("alice@example.org", purpose="test.email")

    assert blind_index("  ALICE@Example.ORG \n", purpose="test.email") == expected
    # Full-width letters (U+FF41...) are the same address once NFKC-normalised.
    full_width = "\uff41\uff4c\uff49\uff43\uff45@example.org"
    assert blind_index(full_width, purpose="test.email") == expected
    assert blind_index("alice@example.net", purpose="test.email") != expected


def test_it_gives_different_blind_indexes_for_different_purposes():
    assert blind_index("x@y.be", purpose="a.email") != blind_index("x@y.be", purpose="b.email")


def test_it_depends_on_the_blind_index_key(settings):
    before = blind_index("x@y.be", purpose="test.email")
    settings.BLIND_INDEX_KEY = new_key()

    assert blind_index("x@y.be", purpose="test.email") != before


def test_it_refuses_a_malformed_blind_index_key(settings):
    settings.BLIND_INDEX_KEY = "not base64!"

    with pytest.raises(ImproperlyConfigured, match="CLL_BLIND_INDEX_KEY"):
        blind_index("x", purpose="test.email")


def test_it_refuses_a_blind_index_key_that_is_a_master_key(settings):
    settings.BLIND_INDEX_KEY = base64.b64encode(settings.ENCRYPTION_KEYRING.active_key).decode()

    with pytest.raises(ImproperlyConfigured, match="must not be one of the master keys"):
        blind_index("x", purpose="test.email")


def test_it_needs_a_purpose_for_a_blind_index():
    with pytest.raises(ValueError):
        blind_index("x", purpose="")


@pytest.mark.django_db(transaction=True)
def test_it_preloads_a_batch_of_keys_in_one_query(django_assert_num_queries):
    people = [uuid.uuid4() for _ in range(5)]
    tokens = [
        crypto.encrypt(f"person{index}@example.org", subject=p) for index, p in enumerate(people)
    ]
    crypto.data_key_cache_clear()

    with django_assert_num_queries(1):
        assert crypto.data_keys_preload(subjects=[*people, uuid.uuid4()]) == 5
    # Every value of the batch then opens from the cache, and a second preload reads nothing.
    with django_assert_num_queries(0):
        assert [crypto.decrypt(token) for token in tokens] == [
            f"person{index}@example.org" for index in range(5)
        ]
        assert crypto.data_keys_preload(subjects=people) == 0
