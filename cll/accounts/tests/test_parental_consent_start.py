"""The page where a child gives a parent's address is throttled per client IP and per address."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation
from django.utils.html import escape

from cll.accounts.models import ParentalConsentRequest
from cll.core.models import OutboxEmail

pytestmark = pytest.mark.django_db

URL = "/fr/account/signup/child/"
LIMITED = (
    "Too many requests have been sent for this address or from this connection. "
    "Please try again later."
)


def _ask(client: Client, address: str, **extra):
    return client.post(URL, {"parent_email": address}, **extra)


def test_it_is_at_the_documented_url():
    assert reverse("accounts:parental_consent_start") == URL


def test_it_limits_the_requests_for_one_address_with_a_translated_message(client):
    for number in range(3):
        # Several connections asking for the same parent: the per-address limit applies.
        response = _ask(client, "Parent@Example.org", REMOTE_ADDR=f"192.0.2.{number + 1}")
        assert response.status_code == 200
    assert ParentalConsentRequest.objects.count() == 3
    assert OutboxEmail.objects.count() == 3

    response = _ask(client, "parent@example.org", REMOTE_ADDR="192.0.2.9")
    assert response.status_code == 429
    page = response.content.decode()
    with translation.override("fr"):
        assert escape(translation.gettext(LIMITED)) in page
    assert 'role="alert"' in page
    # Nothing saved, nothing queued.
    assert ParentalConsentRequest.objects.count() == 3
    assert OutboxEmail.objects.count() == 3


def test_it_limits_the_requests_from_one_connection(client):
    for number in range(5):
        assert _ask(client, f"parent{number}@example.org").status_code == 200
    response = _ask(client, "another.parent@example.org")
    assert response.status_code == 429
    assert not ParentalConsentRequest.objects.filter().count() > 5
    assert OutboxEmail.objects.count() == 5


def test_another_address_from_another_connection_is_not_limited(client):
    for _number in range(3):
        _ask(client, "parent@example.org", REMOTE_ADDR="192.0.2.1")
    assert _ask(client, "parent@example.org", REMOTE_ADDR="192.0.2.2").status_code == 429
    assert _ask(client, "other.parent@example.org", REMOTE_ADDR="192.0.2.2").status_code == 200


def test_invalid_addresses_do_not_use_up_the_limit(client):
    for _number in range(6):
        response = _ask(client, "not an address")
        assert response.status_code == 200
        assert "parent_email" in response.context["form"].errors
    assert _ask(client, "parent@example.org").status_code == 200
    assert ParentalConsentRequest.objects.count() == 1
