"""Login, logout, password reset and enumeration resistance (django-allauth, configured)."""

from __future__ import annotations

import re

import pytest
from allauth.account.models import EmailAddress
from django.urls import reverse

from cll.core.models import OutboxEmail
from conftest import PASSWORD

pytestmark = pytest.mark.django_db


@pytest.fixture
def verified_alice(alice):
    EmailAddress.objects.create(user=alice, email=alice.email, verified=True, primary=True)
    return alice


def test_it_logs_in_with_email_and_password(client, verified_alice):
    response = client.post(
        reverse("account_login"), {"login": "alice@example.org", "password": PASSWORD}
    )
    assert response.status_code == 302
    assert client.get(reverse("accounts:profile")).status_code == 200


def test_it_offers_remember_me(client):
    page = client.get(reverse("account_login")).content.decode()
    assert 'name="remember"' in page
    assert 'autocomplete="email"' in page


def test_it_does_not_log_out_on_get(client, verified_alice):
    client.force_login(verified_alice)
    response = client.get(reverse("account_logout"))
    assert response.status_code == 200
    assert client.get(reverse("accounts:profile")).status_code == 200
    client.post(reverse("account_logout"))
    assert client.get(reverse("accounts:profile")).status_code == 302


def test_it_answers_the_same_for_known_and_unknown_addresses(client, verified_alice):
    known = client.post(reverse("account_reset_password"), {"email": "alice@example.org"})
    unknown = client.post(reverse("account_reset_password"), {"email": "nobody@example.org"})
    assert known.status_code == unknown.status_code == 302
    assert known["Location"] == unknown["Location"]
    page_known = client.get(known["Location"]).content.decode()
    page_unknown = client.get(unknown["Location"]).content.decode()
    assert _without_nonce(page_known) == _without_nonce(page_unknown)
    # Both go through the outbox; nothing was sent in the request.
    assert "alice@example.org" in [email.to_address for email in OutboxEmail.objects.all()]


def test_it_locks_out_after_repeated_failures_with_a_translated_message(client, verified_alice):
    for _attempt in range(5):
        client.post(reverse("account_login"), {"login": "alice@example.org", "password": "bad"})
    response = client.post(
        reverse("account_login"), {"login": "alice@example.org", "password": PASSWORD}
    )
    assert response.status_code in (200, 429)
    assert "Trop de tentatives" in response.content.decode()
    assert client.get(reverse("accounts:profile")).status_code == 302


def _without_nonce(page: str) -> str:
    return re.sub(r'nonce="[^"]*"', "", page)


def test_it_resets_a_password_through_the_emailed_link(client, verified_alice, smtp_server):
    from cll.core.outbox import outbox_deliver_due

    client.post(reverse("account_reset_password"), {"email": "alice@example.org"})
    assert smtp_server.messages == []
    outbox_deliver_due()
    (received,) = smtp_server.wait_for(1)
    body = received.message.get_body(preferencelist=("plain",)).get_content()
    link = re.search(r"https?://[^/\s]+(/\S+)", body).group(1)
    # allauth moves the key out of the URL into the session, then shows the form.
    response = client.get(link, follow=True)
    assert response.status_code == 200
    new_password = "another long passphrase 42"
    response = client.post(
        response.redirect_chain[-1][0] if response.redirect_chain else link,
        {"password1": new_password, "password2": new_password},
    )
    assert response.status_code == 302
    verified_alice.refresh_from_db()
    assert verified_alice.check_password(new_password)


def test_it_shows_our_identity_in_the_footer_of_allauth_pages(client, db, settings):
    """allauth adds its own ``site`` to its pages' context; our footer must not show it."""
    body = client.get("/fr/account/signup/").content.decode()
    assert settings.ORGANISATION_NAME in body
    assert settings.PRIVACY_EMAIL in body
