"""The mail provider's bounce and complaint notifications (``newsletter:bounce_webhook``)."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse

from cll.newsletter import subscribers, unsubscribe
from cll.newsletter.bounce_views import WEBHOOK_MAX_BYTES
from cll.newsletter.models import (
    Source,
    Subscriber,
    Subscription,
    SubscriptionStatus,
    Suppression,
    SuppressionReason,
)
from cll.newsletter.tests.test_written_agreement import make_list
from cll.privacy.models import AuditEntry

pytestmark = pytest.mark.django_db

SECRET = "s3cret-of-the-provider-0123456789"
URL = "/en/newsletter/bounces/"


@pytest.fixture(autouse=True)
def _secret(settings):
    settings.NEWSLETTER_BOUNCE_SECRET = SECRET


@pytest.fixture
def subscriber():
    news, promo = make_list("news"), make_list("promo")
    person = Subscriber.objects.create(
        email="Bouncy@example.net", language="fr", unsubscribe_key=unsubscribe.unsubscribe_key_new()
    )
    for mailing_list in (news, promo):
        Subscription.objects.create(
            subscriber=person,
            mailing_list=mailing_list,
            source=Source.FORM,
            status=SubscriptionStatus.CONFIRMED,
        )
    return person


def post(client, payload, *, secret: str = SECRET, raw: bytes | None = None):
    return client.post(
        URL,
        raw if raw is not None else json.dumps(payload),
        content_type="application/json",
        headers={"Authorization": f"Bearer {secret}"},
    )


def test_it_is_at_the_documented_url():
    assert reverse("newsletter:bounce_webhook") == "/fr/newsletter/bounces/"


def test_it_does_not_exist_without_a_secret(client, settings):
    settings.NEWSLETTER_BOUNCE_SECRET = ""
    response = post(client, {"type": "complaint", "email": "x@example.net"}, secret="")
    assert response.status_code == 404


@pytest.mark.parametrize("header", [None, "Bearer wrong", f"Basic {SECRET}", f"Bearer {SECRET}x"])
def test_it_refuses_a_wrong_secret_and_changes_nothing(client, subscriber, header):
    headers = {"Authorization": header} if header else {}
    response = client.post(
        URL,
        json.dumps({"type": "complaint", "email": "bouncy@example.net"}),
        content_type="application/json",
        headers=headers,
    )
    assert response.status_code == 401
    assert not Suppression.objects.exists()


def test_it_does_not_exist_for_any_method_without_a_secret(client, settings):
    settings.NEWSLETTER_BOUNCE_SECRET = ""
    assert client.get(URL).status_code == 404


def test_it_needs_post(client):
    response = client.get(URL, headers={"Authorization": f"Bearer {SECRET}"})
    assert response.status_code == 405


def test_it_suppresses_a_permanent_bounce_everywhere(client, subscriber):
    response = post(client, {"type": "bounce", "email": "BOUNCY@example.net", "permanent": True})
    assert response.status_code == 200
    assert response.json() == {"outcome": "suppressed"}
    assert set(subscriber.subscriptions.values_list("status", flat=True)) == {
        SubscriptionStatus.UNSUBSCRIBED
    }
    assert unsubscribe.is_suppressed(email="bouncy@example.net", mailing_list=None)
    assert Suppression.objects.get().reason == SuppressionReason.BOUNCED
    entry = AuditEntry.objects.get(action="newsletter.bounce")
    assert entry.subject == subscriber.public_id
    assert entry.detail == {"channel": "webhook", "kind": "bounce", "permanent": True, "status": ""}
    assert AuditEntry.objects.filter(action="newsletter.unsubscribe").exists()


def test_it_suppresses_a_complaint(client, subscriber):
    response = post(client, {"type": "complaint", "email": "bouncy@example.net"})
    assert response.json() == {"outcome": "suppressed"}
    assert Suppression.objects.get().reason == SuppressionReason.COMPLAINED


def test_it_only_counts_a_soft_bounce(client, subscriber):
    response = post(client, {"type": "bounce", "email": "bouncy@example.net", "permanent": False})
    assert response.json() == {"outcome": "soft"}
    assert not Suppression.objects.exists()
    assert not subscriber.subscriptions.exclude(status=SubscriptionStatus.CONFIRMED).exists()


def test_it_suppresses_an_unknown_address_so_it_is_never_imported(client, mark):
    make_list("news")
    post(client, {"type": "bounce", "email": "never@example.net", "permanent": True})
    assert unsubscribe.is_suppressed(email="never@example.net", mailing_list=None)
    header = "email,language,lists,consent_evidence\r\n"
    report = subscribers.subscriber_import(
        staff=mark, data=(header + "never@example.net,fr,news,form 9\r\n").encode()
    )
    assert report.suppressed == 1
    assert not Subscriber.objects.exists()


def test_it_is_idempotent(client, subscriber):
    payload = {"type": "bounce", "email": "bouncy@example.net", "permanent": True}
    post(client, payload)
    assert post(client, payload).status_code == 200
    assert Suppression.objects.count() == 1


@pytest.mark.parametrize(
    "raw",
    [
        b"not json",
        b"[]",
        b'{"type": "delivery", "email": "a@example.net"}',
        b'{"type": "bounce", "email": 3}',
        b'{"type": "bounce", "email": "a@example.net", "permanent": "yes"}',
        b"\xff\xfe",
    ],
)
def test_it_refuses_a_malformed_body(client, raw):
    assert post(client, None, raw=raw).status_code == 400
    assert not Suppression.objects.exists()


def test_it_refuses_a_body_too_large(client):
    raw = json.dumps(
        {"type": "complaint", "email": "a@example.net", "pad": "x" * WEBHOOK_MAX_BYTES}
    )
    assert post(client, None, raw=raw.encode()).status_code == 413
    assert not Suppression.objects.exists()


def test_it_ignores_a_malformed_address(client):
    response = post(client, {"type": "complaint", "email": "not an address"})
    assert response.json() == {"outcome": "ignored"}
    assert not Suppression.objects.exists()
