"""Flood control of the public form: per client IP and per address, the same for everyone."""

from __future__ import annotations

import pytest
from django.test import Client, override_settings
from django.urls import reverse

from cll.dsar.models import DataSubjectRequest
from cll.dsar.tests.conftest import mails

pytestmark = pytest.mark.django_db

FORM = reverse("dsar:request_new")
# The site answers in French at /fr/ (the default language).
TOO_MANY = "Trop de demandes en peu de temps"


def _ask(client, email, ip="203.0.113.5"):
    return client.post(FORM, {"type": "access", "email": email}, REMOTE_ADDR=ip)


@override_settings(DSAR_RATE_PER_IP_HOUR=3, DSAR_RATE_PER_ADDRESS_DAY=100)
def test_it_limits_requests_from_one_ip(client):
    for number in range(3):
        assert _ask(client, f"person{number}@example.org").status_code == 302
    response = _ask(client, "person9@example.org")
    assert response.status_code == 200
    assert TOO_MANY in response.content.decode()
    assert DataSubjectRequest.objects.count() == 3
    assert len(mails("verify")) == 3
    # Another client is not affected.
    assert _ask(Client(), "person9@example.org", ip="198.51.100.7").status_code == 302


@override_settings(DSAR_RATE_PER_IP_HOUR=100, DSAR_RATE_PER_ADDRESS_DAY=2)
def test_it_limits_requests_for_one_address_from_anywhere(client, alice):
    for ip in ("198.51.100.1", "198.51.100.2"):
        assert _ask(Client(), "alice@example.org", ip=ip).status_code == 302
    response = _ask(Client(), "ALICE@example.org", ip="198.51.100.3")
    assert TOO_MANY in response.content.decode()
    # Alice's mailbox is not flooded.
    assert len(mails("verify", to="alice@example.org")) == 2


@override_settings(DSAR_RATE_PER_IP_HOUR=100, DSAR_RATE_PER_ADDRESS_DAY=1)
def test_it_limits_known_and_unknown_addresses_alike(client, alice):
    answers = []
    for email in ("alice@example.org", "nobody@example.org"):
        _ask(Client(), email, ip="198.51.100.1")
        answers.append(_ask(Client(), email, ip="198.51.100.2"))
    known, unknown = answers
    assert known.status_code == unknown.status_code == 200
    assert TOO_MANY in known.content.decode() and TOO_MANY in unknown.content.decode()


def test_it_keeps_no_address_in_the_cache_keys(client, monkeypatch):
    from django.core.cache import cache

    # Record every key the counters use, whatever the cache backend (memory or Redis).
    keys = []
    for name in ("add", "incr", "set", "get"):
        original = getattr(cache, name)

        def spy(key, *args, _original=original, **kwargs):
            keys.append(str(key))
            return _original(key, *args, **kwargs)

        monkeypatch.setattr(cache, name, spy)

    _ask(client, "private.person@example.org")
    assert keys, "the counters should use the cache"
    assert not [key for key in keys if "private.person" in key]
