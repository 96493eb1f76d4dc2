"""Fixtures for the encryption tests: keyrings and a controllable clock."""

from __future__ import annotations

import pytest

from cll.core import encryption as crypto
from cll.lib.keyring import Keyring, decode_key, new_key


@pytest.fixture
def old_key() -> bytes:
    return decode_key(new_key())


@pytest.fixture
def new_key_bytes() -> bytes:
    return decode_key(new_key())


@pytest.fixture
def old_keyring(settings, old_key) -> Keyring:
    """The keyring before a rotation: only "old", active."""
    keyring = Keyring(active_id="old", keys={"old": old_key})
    settings.ENCRYPTION_KEYRING = keyring
    return keyring


@pytest.fixture
def rotated_keyring(old_key, new_key_bytes) -> Keyring:
    """The keyring after an operator put a new key first: "new" active, "old" still there."""
    return Keyring(active_id="new", keys={"new": new_key_bytes, "old": old_key})


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock(monkeypatch) -> Clock:
    """The key cache's monotonic clock, moved by hand."""
    fake = Clock()
    monkeypatch.setattr(crypto, "_now", fake)
    return fake
