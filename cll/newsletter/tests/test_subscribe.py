"""The public subscription form and the footer's (double opt-in request, no enumeration,
origin check, rate limit, the marketing objection), and the sign-up box."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from cll.core.models import OutboxEmail
from cll.newsletter import services
from cll.newsletter.models import MailingList, Source, Subscriber, Subscription, SubscriptionStatus
from cll.privacy.models import AuditEntry
from cll.rights.models import Objection

pytestmark = pytest.mark.django_db

ORIGIN = {"HTTP_ORIGIN": "http://testserver"}
KIND = "emails/newsletter_confirm"


def make_list(slug: str = "news", **extra) -> MailingList:
    return MailingList.objects.create(
        slug=slug,
        name_fr=f"Liste {slug}",
        name_en=f"List {slug}",
        name_nl=f"Lijst {slug}",
        description_fr=f"Description {slug}",
        description_en=f"About {slug}",
        description_nl=f"Over {slug}",
        **extra,
    )


def confirm_token(email: OutboxEmail) -> str:
    return re.search(r"/newsletter/confirm/([^/\s]+)/", email.text_body).group(1)


def request(email: str, lists, *, source=Source.FORM, account=None, ip="192.0.2.10"):
    return services.subscription_request(
        email=email, lists=lists, language="fr", source=source, account=account, ip=ip
    )


def test_it_lists_the_public_lists_with_their_descriptions(client):
    make_list("news")
    make_list("hidden", is_public=False)
    response = client.get(reverse("newsletter:subscribe"))
    page = response.content.decode()
    assert response.status_code == 200
    assert "Liste news" in page and "Description news" in page
    assert "Liste hidden" not in page


def test_it_queues_one_confirmation_email_listing_the_lists(client):
    news, promo = make_list("news"), make_list("promotions")
    response = client.post(
        reverse("newsletter:subscribe"),
        {"email": "visitor@example.org", "lists": ["news", "promotions"]},
        **ORIGIN,
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("newsletter:subscribe_sent")
    email = OutboxEmail.objects.get(kind=KIND)
    assert email.to_address == "visitor@example.org"
    assert "Liste news" in email.text_body and "Liste promotions" in email.text_body
    subscriber = Subscriber.objects.get(email_index=services.email_index("visitor@example.org"))
    assert subscriber.language == "fr" and subscriber.account is None
    subscriptions = Subscription.objects.filter(subscriber=subscriber)
    assert {s.mailing_list for s in subscriptions} == {news, promo}
    assert {s.status for s in subscriptions} == {SubscriptionStatus.PENDING}
    assert {s.source for s in subscriptions} == {Source.FORM}
    # Only the token's hash is stored, never the token of the link.
    token = confirm_token(email)
    assert all(s.token_hash and s.token_hash != token for s in subscriptions)
    entry = AuditEntry.objects.get(action="newsletter.request")
    assert entry.subject == subscriber.public_id
    assert entry.detail == {"lists": ["news", "promotions"], "source": "form"}


def test_it_answers_the_same_for_a_confirmed_address_and_sends_nothing(client):
    news = make_list("news")
    assert request("known@example.org", [news]) == services.Outcome.QUEUED
    Subscription.objects.update(status=SubscriptionStatus.CONFIRMED)
    OutboxEmail.objects.all().delete()
    known = client.post(
        reverse("newsletter:subscribe"),
        {"email": "known@example.org", "lists": ["news"]},
        **ORIGIN,
    )
    unknown = client.post(
        reverse("newsletter:subscribe"),
        {"email": "unknown@example.org", "lists": ["news"]},
        **ORIGIN,
    )
    assert known.status_code == unknown.status_code == 302
    assert known["Location"] == unknown["Location"]
    assert [e.to_address for e in OutboxEmail.objects.all()] == ["unknown@example.org"]
    page = client.get(known["Location"])
    assert page.templates[0].name == "newsletter/subscribe_sent.html"
    assert 'role="status"' in page.content.decode()


def test_it_refuses_the_footer_form_posted_from_another_site(client):
    make_list("news")
    response = client.post(
        reverse("newsletter:subscribe"),
        {"email": "victim@example.org", "lists": ["news"]},
        HTTP_ORIGIN="https://evil.example",
    )
    assert response.status_code == 403
    assert not Subscriber.objects.exists()
    assert not OutboxEmail.objects.exists()


def test_it_refuses_a_post_without_any_origin(client):
    make_list("news")
    response = client.post(
        reverse("newsletter:subscribe"), {"email": "a@example.org", "lists": ["news"]}
    )
    assert response.status_code == 403


def test_it_shows_the_footer_form_without_csrf_token_on_every_page(client):
    page = client.get(reverse("newsletter:subscribe_sent")).content.decode()
    footer = page[page.index('class="site-footer"') :]
    form = footer[footer.index("site-footer__newsletter") : footer.index("</form>")]
    assert reverse("newsletter:subscribe") in form
    assert 'name="lists" value="news"' in form
    assert "csrfmiddlewaretoken" not in form


def test_it_subscribes_from_the_footer_form(client):
    make_list("news")
    response = client.post(
        reverse("newsletter:subscribe"),
        {"email": "footer@example.org", "lists": "news"},
        HTTP_SEC_FETCH_SITE="same-origin",
    )
    assert response.status_code == 302
    assert [e.to_address for e in OutboxEmail.objects.filter(kind=KIND)] == ["footer@example.org"]


def test_it_says_what_is_wrong_with_bad_input(client):
    make_list("news")
    response = client.post(
        reverse("newsletter:subscribe"), {"email": "not an address", "lists": []}, **ORIGIN
    )
    assert response.status_code == 200
    assert response.context["form"].errors.keys() == {"email", "lists"}
    assert not Subscriber.objects.exists()


def test_it_refuses_header_injection_in_the_address(client):
    make_list("news")
    response = client.post(
        reverse("newsletter:subscribe"),
        {"email": "a@example.org\r\nBcc: b@example.org", "lists": ["news"]},
        **ORIGIN,
    )
    assert response.status_code == 200
    assert "email" in response.context["form"].errors
    assert not OutboxEmail.objects.exists()


def test_it_limits_requests_per_address(client):
    news = make_list("news")
    outcomes = [request("flood@example.org", [news], ip=f"198.51.{i}.1") for i in range(4)]
    assert outcomes[:3] == [services.Outcome.QUEUED] * 3
    assert outcomes[3] == services.Outcome.LIMITED


def test_it_limits_requests_per_client_network(client):
    news = make_list("news")
    limit = services.REQUESTS_PER_NETWORK_PER_HOUR
    for i in range(limit):
        assert request(f"p{i}@example.org", [news], ip=f"203.0.113.{i}") == services.Outcome.QUEUED
    response = client.post(
        reverse("newsletter:subscribe"),
        {"email": "last@example.org", "lists": ["news"]},
        REMOTE_ADDR="203.0.113.250",
        **ORIGIN,
    )
    assert response.status_code == 429
    assert "last@example.org" not in [e.to_address for e in OutboxEmail.objects.all()]


def test_it_links_an_account_address_to_the_account(alice):
    news = make_list("news")
    request(alice.email, [news])
    subscriber = Subscriber.objects.get()
    assert subscriber.account == alice
    assert subscriber.public_id == alice.public_id


def test_it_tells_a_signed_in_person_who_objected_and_creates_nothing(client, alice):
    make_list("news")
    Objection.objects.create(subject=alice, purpose="marketing")
    client.force_login(alice)
    page = client.get(reverse("newsletter:subscribe")).content.decode()
    assert reverse("rights:home") in page
    response = client.post(
        reverse("newsletter:subscribe"), {"email": alice.email, "lists": ["news"]}, **ORIGIN
    )
    assert response.status_code == 200
    assert response.context["objected"] is True
    assert not Subscription.objects.exists()
    assert not OutboxEmail.objects.filter(kind=KIND).exists()


def test_it_tells_a_visitor_nothing_about_an_address_that_objected(client, alice, charlie):
    make_list("news")
    Objection.objects.create(subject=alice, purpose="marketing")
    # charlie, signed in, types alice's address: the usual answer, nothing made, nothing sent.
    client.force_login(charlie)
    response = client.post(
        reverse("newsletter:subscribe"), {"email": alice.email, "lists": ["news"]}, **ORIGIN
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("newsletter:subscribe_sent")
    assert not Subscription.objects.exists()
    assert not OutboxEmail.objects.filter(kind=KIND).exists()


def test_it_makes_a_suppressed_address_confirm_again(client):
    from cll.newsletter import unsubscribe

    news = make_list("news")
    unsubscribe.suppress(email="left@example.org", mailing_list=news, reason="unsubscribed")
    assert request("left@example.org", [news]) == services.Outcome.QUEUED
    subscription = Subscription.objects.get()
    assert subscription.status == SubscriptionStatus.PENDING
    assert unsubscribe.is_suppressed(email="left@example.org", mailing_list=news)


def test_it_sends_the_email_in_the_pages_language(client):
    make_list("news")
    client.post(
        reverse("newsletter:subscribe", query={}).replace("/fr/", "/nl/"),
        {"email": "nl@example.org", "lists": ["news"]},
        **ORIGIN,
    )
    email = OutboxEmail.objects.get(kind=KIND)
    assert email.headers["Content-Language"] == "nl"
    assert "/nl/newsletter/confirm/" in email.text_body
    assert "Lijst news" in email.text_body
    assert "Iemand, waarschijnlijk u, heeft gevraagd" in email.text_body
