"""Fixtures of the ledger tests: a checkpoint directory and audit keys of their own."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.db import connection

from cll.lib.keyring import new_key, parse_keyring
from cll.privacy.tests.attacks import Attacker


@pytest.fixture
def checkpoints(settings, tmp_path) -> Path:
    """An empty checkpoint directory for this test (never the run's shared one)."""
    settings.AUDIT_CHECKPOINT_DIR = tmp_path / "audit-checkpoints"
    return settings.AUDIT_CHECKPOINT_DIR


@pytest.fixture
def audit_keys(settings):
    """Set CLL_AUDIT_KEY for the rest of the test: ``audit_keys("k2", "k1")`` makes k2 active
    and keeps k1 to verify; a name keeps the same key across calls."""
    keys: dict[str, str] = {}

    def use(*names: str):
        text = ",".join(f"{name}:{keys.setdefault(name, new_key())}" for name in names)
        settings.AUDIT_KEYRING = parse_keyring(text)
        return settings.AUDIT_KEYRING

    return use


@pytest.fixture
def postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("Needs PostgreSQL: SQLite runs one writer at a time.")


@pytest.fixture
def attacker() -> Attacker:
    return Attacker()
