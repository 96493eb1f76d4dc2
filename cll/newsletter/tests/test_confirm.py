"""The confirmation link: GET shows, POST confirms once, with the consent evidence; expired or
used links get a clear page; confirming lifts the suppression of those lists."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from cll.core.models import OutboxEmail
from cll.newsletter import unsubscribe
from cll.newsletter.models import Subscription, SubscriptionStatus
from cll.newsletter.tests.test_subscribe import KIND, confirm_token, make_list, request
from cll.policies.selectors import policy_version_current
from cll.privacy.models import AuditEntry
from cll.rights.models import Objection

pytestmark = pytest.mark.django_db


def link_for(email: str, lists) -> str:
    request(email, lists)
    token = confirm_token(OutboxEmail.objects.filter(kind=KIND).first())
    return reverse("newsletter:confirm", kwargs={"token": token})


def test_it_shows_the_lists_and_a_button_without_confirming(client):
    url = link_for("v@example.org", [make_list("news")])
    response = client.get(url)
    assert response.status_code == 200
    assert "Liste news" in response.content.decode()
    assert Subscription.objects.get().status == SubscriptionStatus.PENDING
    assert not AuditEntry.objects.filter(action="newsletter.consent").exists()


def test_it_confirms_with_the_evidence_in_the_ledger(client):
    news, promo = make_list("news"), make_list("promotions")
    url = link_for("v@example.org", [news, promo])
    response = client.post(url, REMOTE_ADDR="192.0.2.77")
    assert response.status_code == 200
    subscriptions = Subscription.objects.select_related("subscriber").order_by("mailing_list__slug")
    for subscription in subscriptions:
        assert subscription.status == SubscriptionStatus.CONFIRMED
        assert subscription.confirmed_at is not None
        assert subscription.policy_version == policy_version_current()
        # The network, never the address.
        assert subscription.confirm_network == "192.0.2.0/24"
        assert subscription.token_hash == "" and subscription.token_expires_at is None
    entries = AuditEntry.objects.filter(action="newsletter.consent").order_by("id")
    subscriber = subscriptions[0].subscriber
    assert [e.subject for e in entries] == [subscriber.public_id] * 2
    assert sorted(e.detail["list"] for e in entries) == ["news", "promotions"]
    assert entries[0].detail == {
        "list": entries[0].detail["list"],
        "source": "form",
        "policy": policy_version_current(),
        "network": "192.0.2.0/24",
    }
    assert "v@example.org" not in str([e.detail for e in entries])


def test_it_refuses_a_used_link(client):
    url = link_for("v@example.org", [make_list("news")])
    client.post(url)
    again = client.post(url)
    assert again.status_code == 410
    assert again.templates[0].name == "newsletter/confirm_invalid.html"
    assert client.get(url).status_code == 410
    assert AuditEntry.objects.filter(action="newsletter.consent").count() == 1


def test_it_refuses_a_forged_link(client):
    make_list("news")
    url = reverse("newsletter:confirm", kwargs={"token": "forged-token"})
    assert client.get(url).status_code == 410
    assert client.post(url).status_code == 410


def test_it_refuses_an_expired_link(client):
    url = link_for("v@example.org", [make_list("news")])
    hours = settings.NEWSLETTER_CONFIRM_HOURS
    with time_machine.travel(timezone.now() + dt.timedelta(hours=hours, minutes=1)):
        assert client.post(url).status_code == 410
    assert Subscription.objects.get().status == SubscriptionStatus.PENDING


def test_it_still_accepts_a_link_just_before_it_expires(client):
    url = link_for("v@example.org", [make_list("news")])
    hours = settings.NEWSLETTER_CONFIRM_HOURS
    with time_machine.travel(timezone.now() + dt.timedelta(hours=hours, minutes=-1)):
        assert client.post(url).status_code == 200
    assert Subscription.objects.get().status == SubscriptionStatus.CONFIRMED


def test_it_makes_an_earlier_link_useless_once_a_new_one_is_sent(client):
    news = make_list("news")
    first = link_for("v@example.org", [news])
    OutboxEmail.objects.all().delete()
    second = link_for("v@example.org", [news])
    assert client.post(first).status_code == 410
    assert client.post(second).status_code == 200


def test_it_lifts_the_suppression_of_the_confirmed_list_only(client):
    news, promo = make_list("news"), make_list("promotions")
    unsubscribe.suppress(email="back@example.org", mailing_list=None, reason="unsubscribed")
    url = link_for("back@example.org", [news])
    client.post(url)
    assert not unsubscribe.is_suppressed(email="back@example.org", mailing_list=news)
    assert unsubscribe.is_suppressed(email="back@example.org", mailing_list=promo)


def test_it_confirms_nothing_for_a_person_who_objected_since(client, alice):
    url = link_for(alice.email, [make_list("news")])
    Objection.objects.create(subject=alice, purpose="marketing")
    assert client.post(url).status_code == 410
    assert Subscription.objects.get().status == SubscriptionStatus.PENDING


def test_it_needs_the_csrf_token_to_confirm(client):
    from django.test import Client

    url = link_for("v@example.org", [make_list("news")])
    strict = Client(enforce_csrf_checks=True)
    assert strict.post(url).status_code == 403
    assert Subscription.objects.get().status == SubscriptionStatus.PENDING
