"""Restriction of processing (Art. 18) and objection (Art. 21): the freeze is real."""

from __future__ import annotations

import pytest
from django.urls import reverse

from cll.privacy.models import AuditEntry
from cll.rights import selectors, services
from cll.rights.models import Objection, Restriction

pytestmark = pytest.mark.django_db


def test_it_blocks_processing_while_restricted_and_resumes_when_lifted(alice):
    assert selectors.processing_allowed(subject=alice.public_id, purpose="marketing")
    services.restriction_set(subject=alice, reason="My address is wrong")
    for purpose in ("marketing", "analytics", "teaching", "customer-service", "account"):
        assert not selectors.processing_allowed(subject=alice.public_id, purpose=purpose)
    services.restriction_lift(subject=alice)
    assert selectors.processing_allowed(subject=alice.public_id, purpose="marketing")
    assert selectors.processing_allowed(subject=alice.public_id, purpose="teaching")


def test_it_keeps_the_exempt_purposes_allowed_while_restricted(alice):
    services.restriction_set(subject=alice)
    for purpose in selectors.RESTRICTION_EXEMPT_PURPOSES:
        assert selectors.processing_allowed(subject=alice.public_id, purpose=purpose)
    assert {
        "storage",
        "legal-claims",
        "accountability",
        "security",
        "data-rights",
    } == selectors.RESTRICTION_EXEMPT_PURPOSES


def test_it_restricts_one_person_only(alice, charlie):
    services.restriction_set(subject=alice)
    assert selectors.processing_allowed(subject=charlie.public_id, purpose="marketing")


def test_it_answers_in_one_query(alice, django_assert_num_queries):
    services.objection_set(subject=alice, purpose="analytics")
    with django_assert_num_queries(1):
        assert not selectors.processing_allowed(subject=alice.public_id, purpose="analytics")
    with django_assert_num_queries(0):
        assert selectors.processing_allowed(subject=alice.public_id, purpose="legal-claims")


def test_it_refuses_an_unknown_purpose(alice):
    with pytest.raises(ValueError, match="Unknown purpose"):
        selectors.processing_allowed(subject=alice.public_id, purpose="markteing")


def test_it_applies_an_objection_to_its_purpose_only(alice):
    services.objection_set(subject=alice, purpose="marketing")
    assert not selectors.processing_allowed(subject=alice.public_id, purpose="marketing")
    assert selectors.processing_allowed(subject=alice.public_id, purpose="analytics")
    services.objection_withdraw(subject=alice, purpose="marketing")
    assert selectors.processing_allowed(subject=alice.public_id, purpose="marketing")


def test_it_refuses_an_objection_to_a_purpose_not_offered(alice):
    with pytest.raises(ValueError):
        services.objection_set(subject=alice, purpose="billing")


def test_it_audits_every_change_with_ids_only(alice):
    services.restriction_set(subject=alice, reason="My address is wrong")
    services.restriction_lift(subject=alice)
    services.objection_set(subject=alice, purpose="analytics")
    services.objection_withdraw(subject=alice, purpose="analytics")
    entries = list(AuditEntry.objects.filter(subject=alice.public_id).order_by("seq"))
    assert [e.action for e in entries] == [
        "restriction.set",
        "restriction.lift",
        "objection.set",
        "objection.withdraw",
    ]
    assert entries[0].fields == ["reason"]
    assert all("address" not in str(e.detail) for e in entries)


def test_it_keeps_the_reason_encrypted(alice):
    from django.db import connection

    services.restriction_set(subject=alice, reason="My address is wrong")
    with connection.cursor() as cursor:
        cursor.execute("SELECT reason FROM rights_restriction")
        (stored,) = cursor.fetchone()
    assert stored.startswith("e1.") and "address" not in stored


def test_it_restricts_and_lifts_from_the_page(client, alice):
    client.force_login(alice)
    response = client.post(reverse("rights:restriction_set"), {"reason": "Wrong address"})
    assert response.status_code == 302
    assert Restriction.objects.get(subject=alice).reason == "Wrong address"
    page = client.get(reverse("rights:home")).content.decode()
    assert "Le traitement de vos données est limité." in page
    assert reverse("rights:restriction_lift") in page
    client.post(reverse("rights:restriction_lift"))
    assert not Restriction.objects.filter(subject=alice).exists()
    assert selectors.processing_allowed(subject=alice.public_id, purpose="marketing")


def test_it_shows_an_inline_error_for_a_too_long_reason(client, alice):
    client.force_login(alice)
    response = client.post(reverse("rights:restriction_set"), {"reason": "x" * 1001})
    assert response.status_code == 400
    assert 'aria-invalid="true"' in response.content.decode()
    assert not Restriction.objects.exists()


def test_it_objects_and_withdraws_per_purpose_from_the_page(client, alice):
    client.force_login(alice)
    client.post(reverse("rights:objection_set"), {"purpose": "analytics"})
    assert set(Objection.objects.values_list("purpose", flat=True)) == {"analytics"}
    page = client.get(reverse("rights:home")).content.decode()
    assert reverse("rights:objection_withdraw") in page
    client.post(reverse("rights:objection_withdraw"), {"purpose": "analytics"})
    assert not Objection.objects.exists()
    assert client.post(reverse("rights:objection_set"), {"purpose": "x"}).status_code == 404


def test_it_refuses_changes_by_get_and_without_login(client, alice):
    for name in ("restriction_set", "restriction_lift", "objection_set", "objection_withdraw"):
        response = client.post(reverse(f"rights:{name}"), {"purpose": "analytics"})
        assert response.status_code == 302 and "login" in response["Location"]
    client.force_login(alice)
    for name in ("restriction_set", "restriction_lift", "objection_set", "objection_withdraw"):
        assert client.get(reverse(f"rights:{name}")).status_code == 405
    assert not Restriction.objects.exists() and not Objection.objects.exists()


def test_it_requires_a_csrf_token(alice):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)
    assert client.post(reverse("rights:restriction_set")).status_code == 403
    assert not Restriction.objects.exists()
