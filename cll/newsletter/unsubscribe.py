"""Leaving the newsletter: the unsubscribe key of each subscriber, unsubscribing (one list or
all), and the suppression list that keeps a left address from ever being written to again.

Rules:

- The unsubscribe key (``Subscriber.unsubscribe_key``) is 256 random bits, one per subscriber,
  and never expires: a link in a message read years later must still work (RFC 8058 and the
  policy: "unsubscribe at any time"). It proves nothing but the power to unsubscribe, so it is
  kept as it is (the sender puts it in every message) and it opens no page with personal data.
- The suppression list holds only ``address_hash(email)``: an HMAC-SHA256 of the normalised
  address under a key of its own (HKDF of ``CLL_BLIND_INDEX_KEY`` with the purpose
  ``SUPPRESSION_PURPOSE``). It is not the subscriber's ``email_index`` (another purpose, another
  key), so the two tables cannot be joined, and the fingerprint outlives the subscriber's
  erasure: a later re-import or subscription of the same address is recognised.
- A suppression row names one list, or none (every list). ``is_suppressed`` is true when either
  exists; the sender checks it before every message.
- Unsubscribing is immediate and complete in one transaction: the subscriptions turn
  UNSUBSCRIBED, the suppression rows are written and the evidence goes to the ledger.
"""

from __future__ import annotations

import secrets

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from cll.lib.crypto import blind_index
from cll.newsletter.models import (
    MailingList,
    Subscriber,
    Subscription,
    SubscriptionStatus,
    Suppression,
    SuppressionReason,
)
from cll.privacy.services import audit_record

# The key of the suppression fingerprints: distinct from EMAIL_INDEX_PURPOSE on purpose.
SUPPRESSION_PURPOSE = "newsletter.suppression.address"

# How a person left (the ledger's ``how``); bounces and complaints come from the mail provider.
HOW_LINK = "link"
HOW_ONE_CLICK = "one-click"
HOW_MAILTO = "mailto"
HOW_PROFILE = "profile"
HOW_BOUNCE = "bounce"
HOW_COMPLAINT = "complaint"
HOWS = frozenset({HOW_LINK, HOW_ONE_CLICK, HOW_MAILTO, HOW_PROFILE, HOW_BOUNCE, HOW_COMPLAINT})
_REASON_OF_HOW = {
    HOW_BOUNCE: SuppressionReason.BOUNCED,
    HOW_COMPLAINT: SuppressionReason.COMPLAINED,
}

# 32 random bytes as URL-safe text (43 characters): fits the 64-character column.
UNSUBSCRIBE_KEY_BYTES = 32


def unsubscribe_key_new() -> str:
    """A fresh unsubscribe key for a new subscriber (URL-safe, 256 random bits)."""
    return secrets.token_urlsafe(UNSUBSCRIBE_KEY_BYTES)


def address_hash(email: str) -> str:
    """The keyed fingerprint of an address on the suppression list (64 hex characters).

    The address is normalised first (Unicode NFKC, case-folded, outer spaces stripped), so
    ``" Alice@Example.org"`` and ``"alice@example.org"`` give the same fingerprint.
    """
    return blind_index(email, purpose=SUPPRESSION_PURPOSE)


def _suppressed_q(*, fingerprint: str, mailing_list: MailingList | None) -> Q:
    everywhere = Q(address_hash=fingerprint, mailing_list__isnull=True)
    if mailing_list is None:
        return everywhere
    return everywhere | Q(address_hash=fingerprint, mailing_list=mailing_list)


def is_suppressed(*, email: str, mailing_list: MailingList | None) -> bool:
    """Whether ``email`` must not receive messages of ``mailing_list`` (None: of any list, i.e.
    the address left every list)."""
    return Suppression.objects.filter(
        _suppressed_q(fingerprint=address_hash(email), mailing_list=mailing_list)
    ).exists()


def suppressed_hashes_for(*, mailing_list: MailingList, hashes: list[str]) -> set[str]:
    """Which of ``hashes`` (``address_hash`` values) must not receive ``mailing_list``: one
    query for a whole batch of recipients."""
    rows = Suppression.objects.filter(
        Q(mailing_list__isnull=True) | Q(mailing_list=mailing_list), address_hash__in=hashes
    ).values_list("address_hash", flat=True)
    return set(rows)


def suppress(
    *, email: str, mailing_list: MailingList | None = None, reason: str
) -> Suppression | None:
    """Put ``email`` on the suppression list of ``mailing_list`` (None: of every list).

    Idempotent: suppressing an address twice keeps one row (a concurrent insert of the same
    row is ignored by the database's unique constraint, not raised). Returns the new row, or
    None when it was there already.
    """
    if reason not in SuppressionReason.values:
        raise ValueError(f"Unknown suppression reason {reason!r}.")
    row = Suppression(address_hash=address_hash(email), mailing_list=mailing_list, reason=reason)
    with transaction.atomic():
        # ON CONFLICT DO NOTHING (OR IGNORE on SQLite): the partial unique constraints decide.
        before = Suppression.objects.filter(
            address_hash=row.address_hash, mailing_list=mailing_list
        ).exists()
        if before:
            return None
        Suppression.objects.bulk_create([row], ignore_conflicts=True)
    return row


def subscriber_get_by_unsubscribe_key(*, key: str) -> Subscriber | None:
    """The subscriber an unsubscribe link names, or None. Keys are random, so a wrong one says
    nothing about which addresses exist."""
    if not key or len(key) > 64:
        return None
    return Subscriber.objects.filter(unsubscribe_key=key).first()


def mailing_list_get_by_slug(*, slug: str | None) -> MailingList | None:
    """The list an unsubscribe link names (``?list=`` or the one-click path), or None."""
    if not slug:
        return None
    return MailingList.objects.filter(slug=slug).first()


def unsubscribe(
    *, subscriber: Subscriber, mailing_list: MailingList | None = None, how: str
) -> int:
    """Take ``subscriber`` off ``mailing_list`` (None: off every list), at once.

    In one transaction: every pending or confirmed subscription concerned turns UNSUBSCRIBED
    with ``unsubscribed_at``; the address goes on the suppression list (of that list, or of
    all lists), with the reason ``how`` implies (bounce, complaint, else unsubscribed); the
    ledger gets ``newsletter.unsubscribe`` with the list's slug and ``how``. Asking again is
    harmless (and recorded again: each request is evidence that it was honoured). Returns
    how many subscriptions changed.
    """
    if how not in HOWS:
        raise ValueError(f"Unknown way of unsubscribing {how!r}.")
    now = timezone.now()
    with transaction.atomic():
        subscriptions = Subscription.objects.filter(subscriber=subscriber).exclude(
            status=SubscriptionStatus.UNSUBSCRIBED
        )
        if mailing_list is not None:
            subscriptions = subscriptions.filter(mailing_list=mailing_list)
        changed = subscriptions.update(status=SubscriptionStatus.UNSUBSCRIBED, unsubscribed_at=now)
        # The address is None only when its data key was destroyed (an erasure under way),
        # which deletes the subscriber anyway: then there is nothing left to fingerprint.
        if subscriber.email:
            suppress(
                email=subscriber.email,
                mailing_list=mailing_list,
                reason=_REASON_OF_HOW.get(how, SuppressionReason.UNSUBSCRIBED),
            )
        audit_record(
            action="newsletter.unsubscribe",
            subject=subscriber.public_id,
            detail={"list": mailing_list.slug if mailing_list else None, "how": how},
        )
    return changed
