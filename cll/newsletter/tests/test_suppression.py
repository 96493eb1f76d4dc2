"""The suppression list: keyed fingerprints of addresses that left, per list or for all lists;
idempotent; kept apart from the subscriber's blind index and alive after their erasure."""

from __future__ import annotations

import pytest

from cll.lib.crypto import blind_index
from cll.newsletter.models import (
    EMAIL_INDEX_PURPOSE,
    MailingList,
    Subscriber,
    Subscription,
    SubscriptionStatus,
    Suppression,
    SuppressionReason,
)
from cll.newsletter.unsubscribe import (
    HOW_LINK,
    address_hash,
    is_suppressed,
    suppress,
    suppressed_hashes_for,
    unsubscribe,
    unsubscribe_key_new,
)

pytestmark = pytest.mark.django_db


def _list(slug: str) -> MailingList:
    return MailingList.objects.create(
        slug=slug,
        name_fr=f"{slug} fr",
        name_en=f"{slug} en",
        name_nl=f"{slug} nl",
        description_fr="d",
        description_en="d",
        description_nl="d",
    )


@pytest.fixture
def news():
    return _list("news")


@pytest.fixture
def promotions():
    return _list("promotions")


def test_it_fingerprints_the_normalised_address():
    assert address_hash("  Alice@Example.ORG ") == address_hash("alice@example.org")
    assert address_hash("alice@example.org") != address_hash("bob@example.org")
    assert len(address_hash("alice@example.org")) == 64


def test_it_keys_the_fingerprint_apart_from_the_subscriber_index():
    assert address_hash("alice@example.org") != blind_index(
        "alice@example.org", purpose=EMAIL_INDEX_PURPOSE
    )


def test_it_suppresses_one_list_only(news, promotions):
    suppress(email="alice@example.org", mailing_list=news, reason=SuppressionReason.UNSUBSCRIBED)
    assert is_suppressed(email="ALICE@example.org", mailing_list=news)
    assert not is_suppressed(email="alice@example.org", mailing_list=promotions)
    assert not is_suppressed(email="alice@example.org", mailing_list=None)


def test_it_suppresses_every_list(news, promotions):
    suppress(email="alice@example.org", reason=SuppressionReason.BOUNCED)
    assert is_suppressed(email="alice@example.org", mailing_list=news)
    assert is_suppressed(email="alice@example.org", mailing_list=promotions)
    assert is_suppressed(email="alice@example.org", mailing_list=None)
    assert not is_suppressed(email="bob@example.org", mailing_list=news)


def test_it_suppresses_idempotently(news):
    first = suppress(email="alice@example.org", reason=SuppressionReason.COMPLAINED)
    again = suppress(email="alice@example.org", reason=SuppressionReason.COMPLAINED)
    suppress(email="alice@example.org", mailing_list=news, reason=SuppressionReason.UNSUBSCRIBED)
    suppress(email="alice@example.org", mailing_list=news, reason=SuppressionReason.UNSUBSCRIBED)
    assert first is not None and again is None
    assert Suppression.objects.filter(mailing_list__isnull=True).count() == 1
    assert Suppression.objects.filter(mailing_list=news).count() == 1


def test_it_refuses_an_unknown_reason():
    with pytest.raises(ValueError):
        suppress(email="alice@example.org", reason="bored")


def test_it_keeps_no_address_in_the_clear(news):
    suppress(email="alice@example.org", mailing_list=news, reason=SuppressionReason.MANUAL)
    row = Suppression.objects.get()
    assert "alice" not in row.address_hash and row.address_hash == address_hash("alice@example.org")


def test_it_finds_the_suppressed_hashes_of_a_batch(news, promotions):
    suppress(email="a@example.org", mailing_list=news, reason=SuppressionReason.UNSUBSCRIBED)
    suppress(email="b@example.org", reason=SuppressionReason.BOUNCED)
    suppress(email="c@example.org", mailing_list=promotions, reason=SuppressionReason.UNSUBSCRIBED)
    hashes = [address_hash(f"{name}@example.org") for name in "abcd"]
    assert suppressed_hashes_for(mailing_list=news, hashes=hashes) == set(hashes[:2])


def test_it_keeps_the_suppression_after_the_subscriber_is_erased(news):
    subscriber = Subscriber.objects.create(
        email="alice@example.org", language="fr", unsubscribe_key=unsubscribe_key_new()
    )
    Subscription.objects.create(
        subscriber=subscriber,
        mailing_list=news,
        source="form",
        status=SubscriptionStatus.CONFIRMED,
    )
    unsubscribe(subscriber=subscriber, mailing_list=None, how=HOW_LINK)
    subscriber.delete()
    assert not Subscriber.objects.exists()
    # A new subscription or an import of the same address is refused on this check.
    assert is_suppressed(email="Alice@example.org", mailing_list=news)
    assert is_suppressed(email="alice@example.org", mailing_list=None)
