"""Unsubscribing: the service (one list or all, suppression, evidence), the footer link's page
(a GET never unsubscribes; its buttons POST with CSRF) and the RFC 8058 one-click endpoint (a
POST without cookies unsubscribes at once)."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation

from cll.newsletter.models import (
    MailingList,
    Subscriber,
    Subscription,
    SubscriptionStatus,
    Suppression,
    SuppressionReason,
)
from cll.newsletter.unsubscribe import (
    HOW_BOUNCE,
    HOW_LINK,
    HOW_ONE_CLICK,
    address_hash,
    is_suppressed,
    subscriber_get_by_unsubscribe_key,
    unsubscribe,
    unsubscribe_key_new,
)
from cll.privacy.models import AuditEntry

pytestmark = pytest.mark.django_db


def _list(slug: str, name_fr: str) -> MailingList:
    return MailingList.objects.create(
        slug=slug,
        name_fr=name_fr,
        name_en=slug.title(),
        name_nl=slug.title(),
        description_fr="d",
        description_en="d",
        description_nl="d",
    )


def _subscriber(email: str, *lists: MailingList) -> Subscriber:
    subscriber = Subscriber.objects.create(
        email=email, language="fr", unsubscribe_key=unsubscribe_key_new()
    )
    for mailing_list in lists:
        Subscription.objects.create(
            subscriber=subscriber,
            mailing_list=mailing_list,
            source="form",
            status=SubscriptionStatus.CONFIRMED,
        )
    return subscriber


@pytest.fixture
def news():
    return _list("news", "Actualités")


@pytest.fixture
def promotions():
    return _list("promotions", "Promotions")


@pytest.fixture
def reader(news, promotions):
    return _subscriber("reader@example.org", news, promotions)


@pytest.fixture
def other(news, promotions):
    return _subscriber("other@example.org", news, promotions)


def _statuses(subscriber: Subscriber) -> dict[str, str]:
    return {
        row.mailing_list.slug: row.status
        for row in subscriber.subscriptions.select_related("mailing_list")
    }


def _entries(subscriber: Subscriber):
    return AuditEntry.objects.filter(action="newsletter.unsubscribe", subject=subscriber.public_id)


# -- The service --------------------------------------------------------------------------------


def test_it_makes_random_unique_keys():
    keys = {unsubscribe_key_new() for _ in range(50)}
    assert len(keys) == 50 and all(len(key) >= 43 for key in keys)


def test_it_unsubscribes_from_one_list(reader, news, promotions):
    assert unsubscribe(subscriber=reader, mailing_list=news, how=HOW_LINK) == 1
    row = reader.subscriptions.get(mailing_list=news)
    assert row.status == SubscriptionStatus.UNSUBSCRIBED and row.unsubscribed_at is not None
    assert _statuses(reader)["promotions"] == SubscriptionStatus.CONFIRMED
    assert is_suppressed(email="reader@example.org", mailing_list=news)
    assert not is_suppressed(email="reader@example.org", mailing_list=promotions)
    (entry,) = _entries(reader)
    assert entry.detail == {"list": "news", "how": "link"}


def test_it_unsubscribes_from_every_list(reader, other, news, promotions):
    assert unsubscribe(subscriber=reader, mailing_list=None, how=HOW_ONE_CLICK) == 2
    assert set(_statuses(reader).values()) == {SubscriptionStatus.UNSUBSCRIBED}
    assert is_suppressed(email="reader@example.org", mailing_list=promotions)
    (entry,) = _entries(reader)
    assert entry.detail == {"list": None, "how": "one-click"}
    # No one else is touched.
    assert set(_statuses(other).values()) == {SubscriptionStatus.CONFIRMED}
    assert not is_suppressed(email="other@example.org", mailing_list=None)


def test_it_records_a_bounce_as_such(reader):
    unsubscribe(subscriber=reader, how=HOW_BOUNCE)
    assert Suppression.objects.get().reason == SuppressionReason.BOUNCED
    assert Suppression.objects.get().address_hash == address_hash("reader@example.org")


def test_it_changes_nothing_more_when_asked_again(reader, news):
    unsubscribe(subscriber=reader, mailing_list=news, how=HOW_LINK)
    assert unsubscribe(subscriber=reader, mailing_list=news, how=HOW_ONE_CLICK) == 0
    assert Suppression.objects.count() == 1
    assert _entries(reader).count() == 2


def test_it_refuses_an_unknown_way(reader):
    with pytest.raises(ValueError):
        unsubscribe(subscriber=reader, how="telepathy")
    assert not Suppression.objects.exists()


def test_it_finds_a_subscriber_by_key_only(reader):
    assert subscriber_get_by_unsubscribe_key(key=reader.unsubscribe_key) == reader
    assert subscriber_get_by_unsubscribe_key(key=unsubscribe_key_new()) is None
    assert subscriber_get_by_unsubscribe_key(key="") is None
    assert subscriber_get_by_unsubscribe_key(key="x" * 200) is None


# -- The footer link's page ---------------------------------------------------------------------


def _page(key: str, slug: str | None = "news") -> str:
    url = reverse("newsletter:unsubscribe", kwargs={"key": key})
    return f"{url}?list={slug}" if slug else url


def test_it_never_unsubscribes_on_a_get(client, reader):
    response = client.get(_page(reader.unsubscribe_key))
    assert response.status_code == 200
    content = response.content.decode()
    assert "Actualités" in content and 'value="list"' in content and 'value="all"' in content
    assert "reader@example.org" not in content
    assert set(_statuses(reader).values()) == {SubscriptionStatus.CONFIRMED}
    assert not Suppression.objects.exists() and not _entries(reader).exists()


def test_it_offers_only_all_lists_without_a_list(client, reader):
    content = client.get(_page(reader.unsubscribe_key, slug=None)).content.decode()
    assert 'value="all"' in content and 'value="list"' not in content


def test_it_unsubscribes_from_the_list_on_the_button(client, reader, other):
    response = client.post(_page(reader.unsubscribe_key), {"list": "news", "scope": "list"})
    assert response.status_code == 200
    assert 'role="status"' in response.content.decode()
    assert _statuses(reader) == {
        "news": SubscriptionStatus.UNSUBSCRIBED,
        "promotions": SubscriptionStatus.CONFIRMED,
    }
    (entry,) = _entries(reader)
    assert entry.detail == {"list": "news", "how": "link"}
    assert not _entries(other).exists()


def test_it_unsubscribes_from_all_lists_on_the_button(client, reader):
    client.post(_page(reader.unsubscribe_key), {"list": "news", "scope": "all"})
    assert set(_statuses(reader).values()) == {SubscriptionStatus.UNSUBSCRIBED}
    assert is_suppressed(email="reader@example.org", mailing_list=None)


def test_it_needs_the_csrf_token_on_the_page(reader):
    csrf_client = Client(enforce_csrf_checks=True)
    response = csrf_client.post(_page(reader.unsubscribe_key), {"scope": "all"})
    assert response.status_code == 403
    assert set(_statuses(reader).values()) == {SubscriptionStatus.CONFIRMED}


def test_it_refuses_a_post_without_a_choice(client, reader):
    response = client.post(_page(reader.unsubscribe_key), {"scope": "nothing"})
    assert response.status_code == 400
    assert set(_statuses(reader).values()) == {SubscriptionStatus.CONFIRMED}


def test_it_answers_404_to_an_unknown_key(client, reader):
    assert client.get(_page(unsubscribe_key_new())).status_code == 404
    assert client.post(_page(unsubscribe_key_new()), {"scope": "all"}).status_code == 404
    assert set(_statuses(reader).values()) == {SubscriptionStatus.CONFIRMED}


def test_it_works_for_a_signed_in_person(client, alice, reader):
    client.force_login(alice)
    client.post(_page(reader.unsubscribe_key), {"list": "news", "scope": "list"})
    assert _statuses(reader)["news"] == SubscriptionStatus.UNSUBSCRIBED


def test_it_gives_a_stranger_nothing_but_their_own_key(client, charlie, reader, other):
    client.force_login(charlie)
    response = client.get(_page(other.unsubscribe_key))
    assert "reader@example.org" not in response.content.decode()
    assert "other@example.org" not in response.content.decode()
    assert client.post(_page(unsubscribe_key_new()), {"scope": "all"}).status_code == 404
    assert set(_statuses(reader).values()) == {SubscriptionStatus.CONFIRMED}


# -- RFC 8058 one-click -------------------------------------------------------------------------


def _one_click(key: str, slug: str = "news") -> str:
    return reverse("newsletter:unsubscribe_one_click", kwargs={"key": key, "list_slug": slug})


def test_it_unsubscribes_at_once_on_a_one_click_post_without_cookies(reader):
    # A mail client's POST: no cookie, no CSRF token.
    bare = Client(enforce_csrf_checks=True)
    response = bare.post(_one_click(reader.unsubscribe_key), {"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    assert not response.cookies
    assert _statuses(reader) == {
        "news": SubscriptionStatus.UNSUBSCRIBED,
        "promotions": SubscriptionStatus.CONFIRMED,
    }
    (entry,) = _entries(reader)
    assert entry.detail == {"list": "news", "how": "one-click"}


def test_it_accepts_the_one_click_body_as_multipart(reader):
    response = Client().post(
        _one_click(reader.unsubscribe_key), {"List-Unsubscribe": "One-Click"}, format="multipart"
    )
    assert response.status_code == 200


def test_it_refuses_a_one_click_get(client, reader):
    assert client.get(_one_click(reader.unsubscribe_key)).status_code == 405
    assert not _entries(reader).exists()


def test_it_refuses_a_one_click_post_without_its_body(client, reader):
    assert client.post(_one_click(reader.unsubscribe_key), {}).status_code == 400
    assert set(_statuses(reader).values()) == {SubscriptionStatus.CONFIRMED}


def test_it_answers_404_to_an_unknown_one_click_key_or_list(client, reader):
    body = {"List-Unsubscribe": "One-Click"}
    assert client.post(_one_click(unsubscribe_key_new()), body).status_code == 404
    assert client.post(_one_click(reader.unsubscribe_key, "nope"), body).status_code == 404
    assert set(_statuses(reader).values()) == {SubscriptionStatus.CONFIRMED}


def test_it_one_clicks_the_same_for_a_signed_in_stranger(client, charlie, reader, other):
    client.force_login(charlie)
    body = {"List-Unsubscribe": "One-Click"}
    assert client.post(_one_click(reader.unsubscribe_key), body).status_code == 200
    assert _statuses(reader)["news"] == SubscriptionStatus.UNSUBSCRIBED
    assert _statuses(other)["news"] == SubscriptionStatus.CONFIRMED


@pytest.mark.parametrize(
    ("language", "text"),
    [
        ("fr", "Me désinscrire de toutes les listes"),
        ("en", "Unsubscribe from all lists"),
        ("nl", "Afmelden voor alle lijsten"),
    ],
)
def test_it_asks_in_the_page_language(client, reader, language, text):
    with translation.override(language):
        url = _page(reader.unsubscribe_key)
    assert text in client.get(url).content.decode()
