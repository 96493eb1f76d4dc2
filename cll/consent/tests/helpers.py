"""Shared helpers of the consent tests."""

from __future__ import annotations

from cll.consent import registry
from cll.privacy.models import AuditEntry

ORIGIN = {"Origin": "http://testserver"}


def choose(client, action: str, categories=(), source="banner", next_url="/fr/", **headers):
    data = {"action": action, "source": source, "next": next_url, "categories": list(categories)}
    return client.post("/fr/consent/", data, headers={**ORIGIN, **headers})


def consent_records():
    return list(AuditEntry.objects.filter(action="consent.cookies").order_by("seq"))


def consent_cookie(response):
    return response.cookies.get(registry.consent_cookie_name())
