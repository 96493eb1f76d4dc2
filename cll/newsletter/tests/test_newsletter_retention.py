"""The newsletter's retention rules at their boundaries: a row one day younger than the limit
stays, one day older goes; subscribers left with nothing go too."""

from __future__ import annotations

import datetime as dt

import pytest
from django.conf import settings
from django.utils import timezone

from cll.core.encryption import DataKey
from cll.newsletter import retention, unsubscribe
from cll.newsletter.models import (
    Campaign,
    Delivery,
    Subscriber,
    Subscription,
    SubscriptionStatus,
    Suppression,
)
from cll.newsletter.tests.test_subscribe import make_list, request
from cll.privacy.retention import PRUNERS

pytestmark = pytest.mark.django_db


def ago(days: int, *, plus: int) -> dt.datetime:
    return timezone.now() - dt.timedelta(days=days + plus)


def subscription(email: str, news, **fields) -> Subscription:
    request(email, [news], ip=f"198.51.100.{len(email)}")
    row = Subscription.objects.select_related("subscriber").latest("id")
    Subscription.objects.filter(pk=row.pk).update(**fields)
    return row


def test_it_registers_a_pruner_for_every_rule():
    for rule in (
        "newsletter-unconfirmed",
        "newsletter-subscriber",
        "newsletter-delivery",
        "newsletter-suppression",
    ):
        assert rule in PRUNERS


def test_it_deletes_unconfirmed_subscriptions_after_the_period():
    news = make_list("news")
    days = settings.NEWSLETTER_UNCONFIRMED_DAYS
    young = subscription("young@example.org", news, created_at=ago(days, plus=-1))
    old = subscription("old@example.org", news, created_at=ago(days, plus=1))
    confirmed = subscription(
        "kept@example.org", news, created_at=ago(days, plus=30), status="confirmed"
    )
    assert retention.prune_unconfirmed_subscriptions(dry_run=True) == 1
    assert Subscription.objects.count() == 3
    assert retention.prune_unconfirmed_subscriptions(dry_run=False) == 1
    assert set(Subscription.objects.values_list("pk", flat=True)) == {young.pk, confirmed.pk}
    # The address that only had that request is gone with it.
    assert not Subscriber.objects.filter(pk=old.subscriber_id).exists()
    assert Subscriber.objects.count() == 2


def test_it_keeps_the_evidence_of_ended_subscriptions_for_the_period():
    news = make_list("news")
    days = settings.NEWSLETTER_EVIDENCE_DAYS
    young = subscription(
        "young@example.org", news, status="unsubscribed", unsubscribed_at=ago(days, plus=-1)
    )
    old = subscription(
        "old@example.org", news, status="unsubscribed", unsubscribed_at=ago(days, plus=1)
    )
    live = subscription(
        "live@example.org", news, status="confirmed", confirmed_at=ago(days, plus=9)
    )
    assert retention.prune_ended_subscriptions(dry_run=True) == 1
    assert retention.prune_ended_subscriptions(dry_run=False) == 1
    assert set(Subscription.objects.values_list("pk", flat=True)) == {young.pk, live.pk}
    assert not Subscriber.objects.filter(pk=old.subscriber_id).exists()


def test_it_keeps_an_accounts_data_key_when_its_subscriber_goes(alice):
    news = make_list("news")
    days = settings.NEWSLETTER_EVIDENCE_DAYS
    subscription(alice.email, news, status="unsubscribed", unsubscribed_at=ago(days, plus=1))
    retention.prune_ended_subscriptions(dry_run=False)
    assert not Subscriber.objects.exists()
    # The account's key was not destroyed with the subscriber: it is still live.
    assert DataKey.objects.filter(subject=alice.public_id, destroyed_at__isnull=True).exists()


def test_it_destroys_the_data_key_of_a_subscriber_without_account():
    news = make_list("news")
    days = settings.NEWSLETTER_EVIDENCE_DAYS
    row = subscription(
        "gone@example.org", news, status="unsubscribed", unsubscribed_at=ago(days, plus=1)
    )
    subject = row.subscriber.public_id
    retention.prune_ended_subscriptions(dry_run=False)
    assert not DataKey.objects.filter(subject=subject, destroyed_at__isnull=True).exists()


def test_it_deletes_deliveries_after_the_period():
    news = make_list("news")
    row = subscription("d@example.org", news, status=SubscriptionStatus.CONFIRMED)
    campaign = Campaign.objects.create(title="Spring")
    other = Campaign.objects.create(title="Summer")
    third = Campaign.objects.create(title="Autumn")
    days = settings.NEWSLETTER_DELIVERY_DAYS
    subscriber = row.subscriber
    young = Delivery.objects.create(
        campaign=campaign, subscriber=subscriber, status="sent", sent_at=ago(days, plus=-1)
    )
    Delivery.objects.create(
        campaign=other, subscriber=subscriber, status="sent", sent_at=ago(days, plus=1)
    )
    pending = Delivery.objects.create(campaign=third, subscriber=subscriber, status="pending")
    assert retention.prune_deliveries(dry_run=True) == 1
    assert retention.prune_deliveries(dry_run=False) == 1
    assert set(Delivery.objects.values_list("pk", flat=True)) == {young.pk, pending.pk}
    # Still subscribed: the subscriber stays.
    assert Subscriber.objects.filter(pk=subscriber.pk).exists()


def test_it_deletes_suppression_fingerprints_after_the_period():
    news = make_list("news")
    days = settings.NEWSLETTER_SUPPRESSION_DAYS
    unsubscribe.suppress(email="young@example.org", mailing_list=news, reason="unsubscribed")
    unsubscribe.suppress(email="old@example.org", mailing_list=None, reason="bounced")
    Suppression.objects.filter(mailing_list=news).update(created_at=ago(days, plus=-1))
    Suppression.objects.filter(mailing_list=None).update(created_at=ago(days, plus=1))
    assert retention.prune_suppressions(dry_run=True) == 1
    assert retention.prune_suppressions(dry_run=False) == 1
    assert unsubscribe.is_suppressed(email="young@example.org", mailing_list=news)
    assert not unsubscribe.is_suppressed(email="old@example.org", mailing_list=None)
