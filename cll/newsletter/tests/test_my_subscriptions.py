""" "My subscriptions" (see, join, leave) and the sign-up form's newsletter box."""

from __future__ import annotations

import pytest
from allauth.account.models import EmailAddress
from django.urls import reverse

from cll.accounts.models import User
from cll.core.models import OutboxEmail
from cll.newsletter import unsubscribe
from cll.newsletter.models import Source, Subscriber, Subscription, SubscriptionStatus
from cll.newsletter.tests.test_subscribe import KIND, make_list, request
from cll.privacy.models import AuditEntry
from cll.rights.models import Objection
from conftest import PASSWORD

pytestmark = pytest.mark.django_db

URL = "newsletter:my_subscriptions"


def verified(user: User) -> User:
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    return user


def post(client, action: str, slug: str):
    return client.post(reverse(URL), {"action": action, "list": slug})


def test_it_needs_a_login(client):
    response = client.get(reverse(URL))
    assert response.status_code == 302
    assert reverse("account_login") in response["Location"]
    assert post(client, "join", "news").status_code == 302
    assert not Subscription.objects.exists()


def test_it_shows_only_my_own_subscriptions(client, alice, charlie):
    news, promo = make_list("news"), make_list("promotions")
    request(alice.email, [news])
    Subscription.objects.update(status=SubscriptionStatus.CONFIRMED)
    request(charlie.email, [promo])
    client.force_login(alice)
    response = client.get(reverse(URL))
    statuses = {c.mailing_list.slug: c.status for c in response.context["choices"]}
    assert statuses == {"news": SubscriptionStatus.CONFIRMED, "promotions": ""}
    assert charlie.email not in response.content.decode()
    assert response["Cache-Control"].find("no-store") >= 0 or "private" in response["Cache-Control"]


def test_it_joins_at_once_with_the_verified_account_address(client, alice):
    make_list("news")
    client.force_login(verified(alice))
    response = post(client, "join", "news")
    assert response.status_code == 302
    subscription = Subscription.objects.select_related("subscriber").get()
    assert subscription.status == SubscriptionStatus.CONFIRMED
    assert subscription.source == Source.PROFILE
    assert subscription.subscriber.public_id == alice.public_id
    assert not OutboxEmail.objects.filter(kind=KIND).exists()
    entry = AuditEntry.objects.get(action="newsletter.consent")
    assert entry.subject == alice.public_id and entry.actor == alice.public_id
    assert entry.detail["list"] == "news" and entry.detail["source"] == "profile"


def test_it_sends_the_confirmation_when_the_address_is_not_verified(client, alice):
    make_list("news")
    client.force_login(alice)
    post(client, "join", "news")
    assert Subscription.objects.get().status == SubscriptionStatus.PENDING
    assert [e.to_address for e in OutboxEmail.objects.filter(kind=KIND)] == [alice.email]


def test_it_leaves_at_once_and_suppresses_the_address_for_that_list(client, alice):
    news = make_list("news")
    client.force_login(verified(alice))
    post(client, "join", "news")
    response = post(client, "leave", "news")
    assert response.status_code == 302
    subscription = Subscription.objects.get()
    assert subscription.status == SubscriptionStatus.UNSUBSCRIBED
    assert subscription.unsubscribed_at is not None
    assert unsubscribe.is_suppressed(email=alice.email, mailing_list=news)
    entry = AuditEntry.objects.get(action="newsletter.unsubscribe")
    assert entry.subject == alice.public_id and entry.detail["how"] == "profile"


def test_it_cannot_leave_someone_elses_subscription(client, alice, charlie):
    news = make_list("news")
    request(charlie.email, [news])
    Subscription.objects.update(status=SubscriptionStatus.CONFIRMED)
    client.force_login(alice)
    post(client, "leave", "news")
    assert Subscription.objects.get().status == SubscriptionStatus.CONFIRMED


def test_it_refuses_a_private_list_i_am_not_on(client, alice):
    make_list("staff-only", is_public=False)
    client.force_login(verified(alice))
    post(client, "join", "staff-only")
    assert not Subscription.objects.exists()


def test_it_tells_a_person_who_objected_and_subscribes_nothing(client, alice):
    make_list("news")
    Objection.objects.create(subject=alice, purpose="marketing")
    client.force_login(verified(alice))
    page = client.get(reverse(URL))
    assert page.context["objected"] is True
    assert reverse("rights:home") in page.content.decode()
    post(client, "join", "news")
    assert not Subscription.objects.exists()


def test_it_is_linked_from_the_profile(client, alice):
    client.force_login(alice)
    page = client.get(reverse("accounts:profile")).content.decode()
    assert reverse(URL) in page


SIGNUP = {
    "email": "nadia@example.org",
    "password1": PASSWORD,
    "password2": PASSWORD,
    "first_name": "Nadia",
    "last_name": "Verhoeven",
    "birth_date": "1990-04-02",
}


def test_it_offers_the_news_box_at_signup_unticked(client):
    page = client.get(reverse("account_signup")).content.decode()
    assert 'name="newsletter_news"' in page
    assert "checked" not in page[page.index('name="newsletter_news"') - 200 :].split(">")[0]


def test_it_sends_the_double_opt_in_email_when_the_box_is_ticked(client):
    make_list("news")
    response = client.post(reverse("account_signup"), {**SIGNUP, "newsletter_news": "on"})
    assert response.status_code == 302
    user = User.objects.get(email="nadia@example.org")
    subscription = Subscription.objects.select_related("subscriber").get()
    assert subscription.status == SubscriptionStatus.PENDING
    assert subscription.source == Source.REGISTRATION
    assert subscription.subscriber.public_id == user.public_id
    assert [e.to_address for e in OutboxEmail.objects.filter(kind=KIND)] == [user.email]


def test_it_subscribes_nobody_when_the_box_is_not_ticked(client):
    make_list("news")
    client.post(reverse("account_signup"), SIGNUP)
    assert User.objects.filter(email="nadia@example.org").exists()
    assert not Subscriber.objects.exists()


def test_it_follows_the_accounts_new_address(client, alice):
    make_list("news")
    client.force_login(verified(alice))
    post(client, "join", "news")
    alice.email = "alice.new@example.org"
    alice.save(update_fields=["email"])
    EmailAddress.objects.filter(user=alice).update(email=alice.email)
    make_list("promotions")
    post(client, "join", "promotions")
    subscriber = Subscriber.objects.get()
    assert subscriber.email == "alice.new@example.org"
    assert subscriber.subscriptions.count() == 2
