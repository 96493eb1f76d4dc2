"""Erasure now (``erasure_execute``): nothing of the person in a full dump of the database, and
a dump taken before the erasure can no longer be decrypted for them."""

from __future__ import annotations

import re

import pytest
from django.apps import apps
from django.db import connection

from cll.accounts.models import LearnerProfile
from cll.core import encryption as crypto
from cll.core.models import DataKey
from cll.core.outbox import email_queue
from cll.erasure.models import JournalPending
from cll.erasure.services import erasure_execute
from cll.erasure.tests.conftest import PERSON
from cll.privacy.models import AuditEntry
from cll.privacy.services import audit_record
from tests.testapp.models import Secretive

pytestmark = pytest.mark.django_db

# Rows that keep the person's (pseudonymous) public id after erasure, and why. None of them
# holds a name, an address or a telephone number: only the random id.
LEGAL_HOLD = {
    # The evidence ledger (GDPR Art. 5(2)): hash-chained, ids only, kept 10 years.
    "privacy_auditentry",
    # The destroyed data key: the evidence of the crypto-shredding, emptied.
    "privacy_datakey",
    # The erasure waiting for the journal (deleted once the journal line is on disk).
    "erasure_journalpending",
    # The account row itself: an empty shell (erased-<random>@invalid, no password).
    "accounts_user",
}


def full_dump() -> str:
    """Every row of every table as SQL text, read from the database without decryption.

    SQLite: the driver's ``iterdump()`` (what ``.dump`` writes). PostgreSQL: each table's
    rows through SQL (``pg_dump`` may not match the server's version).
    """
    if connection.vendor == "sqlite":
        connection.ensure_connection()
        return "\n".join(connection.connection.iterdump())
    lines = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            # Table names come from the database's own catalogue, not from input.
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")  # noqa: S608
            lines.extend(f"{table}: {row!r}" for row in cursor.fetchall())
    return "\n".join(lines)


def dump_lines_with(dump: str, needle: str) -> set[str]:
    """Names of the tables whose dumped rows contain ``needle`` (case-insensitive)."""
    tables = set()
    for line in dump.splitlines():
        if needle.lower() in line.lower():
            match = re.match(r'INSERT INTO "([^"]+)"', line) or re.match(r"(\w+): ", line)
            tables.add(match.group(1) if match else line[:40])
    return tables


def _seed(user, n: int = 3) -> None:
    for i in range(n):
        email_queue(
            to=user.email,
            subject=f"Your course, {PERSON['first_name']}",
            text=f"Dear {PERSON['first_name']} {PERSON['last_name']}, call {PERSON['phone']}.",
            subject_person=user.public_id,
            kind=f"test-{i}",
        )
    Secretive.objects.create(owner=user, name=PERSON["last_name"], email=user.email)
    audit_record(actor=user, subject=user, action="profile.read", target=user)


def test_it_leaves_no_personal_value_in_a_full_dump_and_shreds_the_key(nadia):
    _seed(nadia)
    before = full_dump()
    # The dump walk sees the values before erasure (it would prove nothing otherwise): the
    # e-mail address in clear (allauth looks it up), the rest as ciphertext only.
    assert PERSON["email"] in before
    key_id = DataKey.objects.get(subject=nadia.public_id).id
    tokens = [
        t for t in re.findall(r"e1\.[A-Za-z0-9_-]+", before) if crypto.token_key_id(t) == key_id
    ]
    assert len(tokens) >= 10
    assert {crypto.decrypt(t) for t in tokens} >= {PERSON["first_name"], PERSON["street"]}

    report = erasure_execute(subject=nadia, reason="dsar")

    after = full_dump()
    for name, value in PERSON.items():
        assert dump_lines_with(after, value) == set(), name
    # The public id remains only in the rows listed above (legal hold and evidence).
    assert dump_lines_with(after, str(nadia.public_id)) <= LEGAL_HOLD
    assert dump_lines_with(after, nadia.public_id.hex) <= LEGAL_HOLD
    # The ciphertexts of the earlier dump are noise now: their key is destroyed.
    crypto.data_key_cache_clear()
    for token in tokens:
        with pytest.raises(crypto.KeyDestroyed):
            crypto.decrypt(token)

    assert not report.already_erased
    assert report.counts["core.OutboxEmail"] == {"deleted": 3}
    assert report.counts["testapp.Secretive"] == {"deleted": 1}
    assert report.counts["accounts.LearnerProfile"] == {"deleted": 1}
    assert report.counts["account.EmailAddress"] == {"deleted": 1}
    assert report.counts["accounts.User"] == {"anonymised": 1}
    assert report.counts["privacy.AuditEntry"]["held"] >= 1
    assert report.counts["core.DataKey"]["destroyed"] == 1
    (entry,) = AuditEntry.objects.filter(action="erasure.execute", subject=nadia.public_id)
    assert entry.detail == {"counts": report.counts, "reason": "dsar"}
    assert JournalPending.objects.filter(subject=nadia.public_id).exists()


def test_it_keeps_the_account_row_as_an_empty_shell(nadia, django_user_model):
    from django.contrib.auth.models import Group

    nadia.groups.set(Group.objects.all()[:2])
    erasure_execute(subject=nadia)
    shell = django_user_model.objects.get(pk=nadia.pk)
    assert re.fullmatch(r"erased-[0-9a-f]{32}@invalid", shell.email)
    assert not shell.has_usable_password()
    assert not shell.is_active and not shell.is_staff and not shell.is_superuser
    assert shell.last_login is None and shell.deactivated_at is None
    assert not shell.groups.exists()
    assert shell.public_id == nadia.public_id
    assert not LearnerProfile.objects.filter(user=shell).exists()


def test_it_does_nothing_the_second_time_and_says_so(nadia, alice):
    first = erasure_execute(subject=nadia)
    entries = AuditEntry.objects.count()
    keys = list(DataKey.objects.values_list("id", "destroyed_at"))

    second = erasure_execute(subject=nadia, actor=alice, reason="dsar")

    assert second.already_erased and not first.already_erased
    assert second.subject == nadia.public_id
    assert second.counts == {}
    assert "déjà effacées" in second.message
    assert AuditEntry.objects.count() == entries
    assert list(DataKey.objects.values_list("id", "destroyed_at")) == keys


def test_it_leaves_other_people_alone(nadia, alice):
    _seed(alice)
    alice_profile = LearnerProfile.objects.create(user=alice, first_name="Alice", last_name="A")
    erasure_execute(subject=nadia)
    alice.refresh_from_db()
    assert alice.email == "alice@example.org" and alice.is_active
    assert LearnerProfile.objects.get(pk=alice_profile.pk).first_name == "Alice"
    assert Secretive.objects.get(owner=alice).name == PERSON["last_name"]
    assert apps.get_model("core", "OutboxEmail").objects.filter(person=alice.public_id).count() == 3


def test_it_refuses_free_text_reasons_in_the_ledger(nadia):
    erasure_execute(subject=nadia, reason="Nadia asked by phone")
    (entry,) = AuditEntry.objects.filter(action="erasure.execute")
    assert entry.detail["reason"] == "other"
