"""audit_record: one append-only line of evidence, carrying ids only, chained with a keyed hash
once committed."""

from __future__ import annotations

import hmac
import json
import uuid

import pytest
from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.db import DatabaseError, connection, transaction

from cll.privacy.datamap import Role
from cll.privacy.ledger import ledger_chain
from cll.privacy.models import AuditEntry
from cll.privacy.services import GENESIS_HASH, audit_entry_hash, audit_record

pytestmark = pytest.mark.django_db


def _committed(*entries: AuditEntry) -> None:
    """What happens once the caller's transaction commits (the test's never does): the
    sequencer gives the entries their place."""
    ledger_chain()
    for entry in entries:
        entry.refresh_from_db()


def test_it_chains_each_entry_to_the_one_before(alice, dora):
    first = audit_record(actor=dora, role=Role.PRIVACY_OFFICER, subject=alice, action="read")
    second = audit_record(action="consent.given", subject=alice.public_id)
    _committed(first, second)

    assert (first.seq, first.prev_hash) == (1, GENESIS_HASH)
    assert (second.seq, second.prev_hash) == (2, first.hash)
    assert len({first.hash, second.hash}) == 2


def test_it_hashes_the_previous_hash_and_the_canonical_content(alice, dora):
    entry = audit_record(
        actor=dora,
        role=Role.PRIVACY_OFFICER,
        subject=alice,
        action="profile.read",
        target="accounts.User:" + str(alice.public_id),
        fields=["phone", "address", "phone"],
        route="/admin/accounts/user/",
        detail={"version": 3, "request": uuid.UUID(int=7), "ids": (1, 2)},
    )
    _committed(entry)
    canonical = json.dumps(
        {
            "action": "profile.read",
            "actor": str(dora.public_id),
            "actor_role": "Privacy officer",
            "at": entry.at.isoformat(timespec="microseconds"),
            "detail": {
                "ids": [1, 2],
                "request": "00000000-0000-0000-0000-000000000007",
                "version": 3,
            },
            "fields": ["address", "phone"],
            "key": settings.AUDIT_KEYRING.active_id,
            "route": "/admin/accounts/user/",
            "seq": 1,
            "subject": str(alice.public_id),
            "target": f"accounts.User:{alice.public_id}",
        },
        separators=(",", ":"),
    )

    key = settings.AUDIT_KEYRING.active_key
    assert entry.key_id == settings.AUDIT_KEYRING.active_id
    assert entry.hash == hmac.new(key, (GENESIS_HASH + canonical).encode(), "sha256").hexdigest()


def test_it_hashes_the_same_after_a_round_trip_through_the_database(alice, dora):
    audit_record(
        actor=dora,
        subject=alice,
        action="export.sent",
        detail={"export": uuid.uuid4(), "counts": {"orders": 2}, "final": True, "note": None},
    )
    ledger_chain()

    stored = AuditEntry.objects.get()

    assert audit_entry_hash(stored) == stored.hash


def test_it_renders_a_row_target_by_public_id_and_derives_its_subject(alice, dora):
    entry = audit_record(actor=dora, action="account.read", target=alice, fields=["email"])

    assert entry.target == f"accounts.User:{alice.public_id}"
    assert entry.subject == alice.public_id
    assert entry.actor == dora.public_id


def test_it_records_an_anonymous_visitor_as_no_actor():
    entry = audit_record(actor=AnonymousUser(), action="cookies.rejected")

    assert entry.actor is None
    assert entry.subject is None


def test_it_refuses_an_e_mail_address_in_the_detail(alice):
    with pytest.raises(ValueError, match="looks like an e-mail address"):
        audit_record(subject=alice, action="unsubscribe", detail={"address": alice.email})
    with pytest.raises(ValueError, match="looks like an e-mail address"):
        audit_record(subject=alice, action="unsubscribe", detail={"to": [{"x": "a@b.be"}]})

    assert not AuditEntry.objects.exists()


def test_it_refuses_an_e_mail_address_anywhere_else_in_the_entry(alice):
    with pytest.raises(ValueError, match="target"):
        audit_record(action="read", target=f"accounts.User:{alice.email}")
    with pytest.raises(ValueError, match="route"):
        audit_record(action="read", route=f"/unsubscribe/{alice.email}")


def test_it_refuses_details_that_are_not_ids_versions_or_counts():
    with pytest.raises(TypeError, match="float"):
        audit_record(action="invoice.paid", detail={"amount": 12.5})
    with pytest.raises(TypeError, match="keys"):
        audit_record(action="invoice.paid", detail={1: "one"})


def test_it_refuses_a_route_with_a_query_string():
    with pytest.raises(ValueError, match="query string"):
        audit_record(action="search", route="/admin/accounts/user/?q=alice")


def test_it_refuses_values_longer_than_their_column():
    with pytest.raises(ValueError, match="action is longer than 64"):
        audit_record(action="x" * 65)


def test_it_is_rolled_back_with_the_callers_transaction(alice):
    audit_record(subject=alice, action="kept")

    with pytest.raises(RuntimeError), transaction.atomic():
        audit_record(subject=alice, action="discarded")
        raise RuntimeError("the change failed")
    after = audit_record(subject=alice, action="next")
    _committed(after)

    assert list(AuditEntry.objects.values_list("action", flat=True)) == ["kept", "next"]
    assert after.seq == 2


def test_it_refuses_to_change_or_delete_an_entry_through_the_orm(alice):
    entry = audit_record(subject=alice, action="read")

    entry.action = "nothing to see"
    with pytest.raises(PermissionError):
        entry.save()
    with pytest.raises(PermissionError):
        entry.delete()
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEntry.objects.filter(seq=entry.seq).update(action="nothing to see")
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEntry.objects.all().delete()

    assert AuditEntry.objects.get().action == "read"


def test_it_relies_on_immediate_transactions_to_serialise_writers_on_sqlite():
    if connection.vendor != "sqlite":
        pytest.skip("PostgreSQL writers are serialised by an advisory lock.")
    # audit_record takes no lock of its own on SQLite: BEGIN IMMEDIATE is what stops two
    # writers from reading the same head of the chain.
    assert connection.settings_dict["OPTIONS"]["transaction_mode"] == "IMMEDIATE"
