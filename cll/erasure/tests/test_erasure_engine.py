"""The engine reads the data map: delete, anonymise, legal hold (detached), and refuses a data
map under which erasure would lose rows the law makes us keep. Some tests give a model other
erasure rules for their duration (``monkeypatch`` on the registry)."""

from __future__ import annotations

from dataclasses import replace

import pytest
from django.utils import timezone

from cll.breaches.models import Breach, BreachNotice, BreachNotification
from cll.erasure import checks, engine
from cll.erasure.services import erasure_execute
from cll.privacy import datamap
from cll.privacy.datamap import Erasure, FieldRule, ModelMap
from tests.testapp.models import Secretive

pytestmark = pytest.mark.django_db


def _remap(monkeypatch, label: str, subject: str, **rules: str) -> None:
    """Declare ``label`` afresh: the given fields with the given erasure actions."""
    template = FieldRule(
        datamap.Category.IDENTITY,
        ("account",),
        datamap.Basis.CONTRACT,
        "account",
        Erasure.DELETE,
    )
    model = datamap.entry_for(label).model
    fields = {f.name: datamap.NOT_PERSONAL for f in model._meta.concrete_fields}
    for name, action in rules.items():
        encrypted = getattr(model._meta.get_field(name), "encrypted", False)
        fields[name] = replace(template, erasure=action, encrypted=encrypted)
    monkeypatch.setitem(
        datamap._REGISTRY, label, ModelMap(label=label, subject=subject, fields=fields)
    )


def test_the_plan_follows_the_data_map():
    plans = {plan.label: plan for plan in engine.erasure_plan()}
    assert plans["accounts.LearnerProfile"].action == Erasure.DELETE
    assert plans["accounts.User"].action == Erasure.ANONYMISE
    assert plans["privacy.AuditEntry"].action == Erasure.LEGAL_HOLD
    # The ledger is hash-chained: nothing to clear, nothing to detach, only counted.
    assert plans["privacy.AuditEntry"].clear == () and plans["privacy.AuditEntry"].detach is None
    # Unlinked models (e.g. sessions) are left to retention.
    assert all(plan.entry.linkable for plan in plans.values())


def test_it_anonymises_rows_in_place(monkeypatch, alice):
    _remap(
        monkeypatch,
        "testapp.Secretive",
        "owner",
        owner=Erasure.ANONYMISE,
        name=Erasure.ANONYMISE,
        note=Erasure.DELETE,
        email=Erasure.DELETE,
        email_bidx=Erasure.DELETE,
        born_on=Erasure.DELETE,
        answers=Erasure.DELETE,
    )
    row = Secretive.objects.create(
        owner=alice, name="Alice A", note="n", email="a@example.org", answers={"a": 1}
    )
    report = erasure_execute(subject=alice)
    assert report.counts["testapp.Secretive"] == {"anonymised": 1}
    row = Secretive.objects.get(pk=row.pk)
    assert (row.name, row.note, row.email, row.email_bidx, row.answers) == (
        "",
        "",
        None,
        None,
        None,
    )
    # A NOT NULL link stays, pointing at the anonymised account shell.
    assert row.owner_id == alice.pk


def test_it_keeps_legal_hold_rows_detached_from_the_person(monkeypatch, alice, bob):
    _remap(
        monkeypatch,
        "breaches.Breach",
        "reported_by",
        reported_by=Erasure.LEGAL_HOLD,
        title=Erasure.LEGAL_HOLD,
        people_categories=Erasure.ANONYMISE,
        nature=Erasure.DELETE,
    )
    kept = Breach.objects.create(
        title="Lost laptop",
        detected_at=timezone.now(),
        reported_by=alice,
        nature="Alice's laptop",
        people_categories="learners",
    )
    other = Breach.objects.create(
        title="Other", detected_at=timezone.now(), reported_by=bob, nature="Bob's"
    )
    report = erasure_execute(subject=alice)
    assert report.counts["breaches.Breach"] == {"held": 1}
    kept.refresh_from_db()
    assert kept.title == "Lost laptop"  # the legal-hold field is kept
    assert kept.reported_by_id is None  # detached from the person
    assert (kept.nature, kept.people_categories) == ("", "")
    other.refresh_from_db()
    assert other.reported_by_id == bob.pk and other.nature == "Bob's"


def test_the_check_refuses_encrypted_legal_hold_fields(monkeypatch):
    assert checks.legal_hold_survives_erasure() == []
    _remap(monkeypatch, "testapp.Secretive", "owner", owner=Erasure.DELETE, name=Erasure.LEGAL_HOLD)
    (error,) = checks.legal_hold_survives_erasure()
    assert error.id == "erasure.E001" and "testapp.Secretive.name" in error.msg


def test_the_check_refuses_legal_hold_rows_that_a_deletion_would_cascade_to(monkeypatch):
    _remap(monkeypatch, "breaches.BreachNotice", "sent_by", sent_by=Erasure.DELETE)
    _remap(
        monkeypatch,
        "breaches.BreachNotification",
        "id:person",
        person=Erasure.LEGAL_HOLD,
    )
    errors = checks.legal_hold_survives_erasure()
    assert [e.id for e in errors] == ["erasure.E002"]
    assert "breaches.BreachNotification.notice" in errors[0].msg
    assert BreachNotice and BreachNotification  # the models the check looked at


def test_neutral_values_fit_the_columns():
    from django.db import models

    email = models.EmailField(unique=True)
    email.set_attributes_from_name("email")
    email.model = Secretive
    assert engine.neutral_value(email).endswith("@invalid")
    assert engine.neutral_value(models.CharField(max_length=5, null=True)) is None
    assert engine.neutral_value(models.CharField(max_length=5)) == ""
    assert engine.neutral_value(models.BooleanField()) is False
    assert engine.neutral_value(models.IntegerField(default=7)) == 7
    fk = Secretive._meta.get_field("owner")
    assert engine.neutral_value(fk) is engine.KEEP
