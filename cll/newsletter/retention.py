"""Retention of the newsletter: the pruners of its rules (declared in privacy.py; the engine is
cll/privacy/retention.py, which runs them daily).

- ``newsletter-unconfirmed``: a subscription whose confirmation link was not followed goes
  ``NEWSLETTER_UNCONFIRMED_DAYS`` after it was asked for (``created_at``, reset by each new
  request);
- ``newsletter-subscriber``: an ended subscription (UNSUBSCRIBED) keeps its consent evidence
  ``NEWSLETTER_EVIDENCE_DAYS`` after ``unsubscribed_at``, then goes. Confirmed ones stay while
  they last;
- ``newsletter-delivery``: which campaign went to whom goes ``NEWSLETTER_DELIVERY_DAYS`` after
  the sending (its ``sent_at``, else the campaign's end or start); pending ones stay;
- ``newsletter-suppression``: a fingerprint goes ``NEWSLETTER_SUPPRESSION_DAYS`` after it was
  written.

A subscriber left with no subscription and no delivery is deleted with the last of them: an
address is kept only while it serves a list. One without an account is its own data subject,
so its data key is destroyed too (copies in backups become unreadable); an account's key is
the account's and stays.
"""

from __future__ import annotations

from django.db import transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.db.models.functions import Coalesce

from cll.core.encryption import data_key_destroy
from cll.newsletter.models import (
    Delivery,
    DeliveryStatus,
    Subscriber,
    Subscription,
    SubscriptionStatus,
    Suppression,
)
from cll.newsletter.subscribers import agreement_documents_unused_delete
from cll.privacy.retention import cutoff, pruner


def _orphan_subscribers() -> QuerySet[Subscriber]:
    return Subscriber.objects.filter(
        ~Exists(Subscription.objects.filter(subscriber=OuterRef("pk"))),
        ~Exists(Delivery.objects.filter(subscriber=OuterRef("pk"))),
    )


def _orphans_delete() -> int:
    """Delete subscribers nothing refers to any more (see the module's docstring)."""
    count = 0
    for subscriber in list(_orphan_subscribers().only("pk", "public_id", "account_id")):
        with transaction.atomic():
            subject, own = subscriber.public_id, subscriber.account_id is None
            subscriber.delete()
            if own:
                data_key_destroy(subject=subject)
        count += 1
    return count


def _delete(rows: QuerySet, *, dry_run: bool) -> int:
    count = rows.count()
    if not dry_run and count:
        with transaction.atomic():
            rows.model.objects.filter(pk__in=list(rows.values_list("pk", flat=True))).delete()
        _orphans_delete()
        # The scanned agreement of subscriptions that are gone goes with them.
        agreement_documents_unused_delete()
    return count


@pruner("newsletter-unconfirmed")
def prune_unconfirmed_subscriptions(*, dry_run: bool) -> int:
    """Delete pending subscriptions asked for longer ago than the period, and subscribers
    left with nothing."""
    rows = Subscription.objects.filter(
        status=SubscriptionStatus.PENDING, created_at__lt=cutoff("newsletter-unconfirmed")
    )
    return _delete(rows, dry_run=dry_run)


@pruner("newsletter-subscriber")
def prune_ended_subscriptions(*, dry_run: bool) -> int:
    """Delete ended subscriptions (and their evidence) unsubscribed longer ago than the
    period, and subscribers left with nothing."""
    rows = Subscription.objects.filter(
        status=SubscriptionStatus.UNSUBSCRIBED,
        unsubscribed_at__lt=cutoff("newsletter-subscriber"),
    )
    return _delete(rows, dry_run=dry_run)


@pruner("newsletter-delivery")
def prune_deliveries(*, dry_run: bool) -> int:
    """Delete the record of messages sent (or failed, or skipped) longer ago than the period."""
    rows = (
        Delivery.objects.exclude(status=DeliveryStatus.PENDING)
        .alias(at=Coalesce("sent_at", "campaign__finished_at", "campaign__started_at"))
        .filter(Q(at__lt=cutoff("newsletter-delivery")))
    )
    return _delete(rows, dry_run=dry_run)


@pruner("newsletter-suppression")
def prune_suppressions(*, dry_run: bool) -> int:
    """Delete suppression fingerprints written longer ago than the period."""
    rows = Suppression.objects.filter(created_at__lt=cutoff("newsletter-suppression"))
    count = rows.count()
    if not dry_run and count:
        rows.delete()
    return count
