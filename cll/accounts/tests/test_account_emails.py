"""The account e-mails (django-allauth's flows) are ours: branded, in the language of the page
the person used, with a text and an HTML part, naming the school and never the host."""

from __future__ import annotations

import re

import pytest
from allauth.account.adapter import get_adapter
from allauth.account.models import EmailAddress
from allauth.core import context as allauth_context
from django.urls import reverse
from django.utils import translation

from cll.core.models import OutboxEmail
from conftest import PASSWORD

pytestmark = pytest.mark.django_db

SCHOOL = "CLL Centres de Langues"


def url(name: str, language: str) -> str:
    with translation.override(language):
        return reverse(name)


def assert_branded(email: OutboxEmail, *, language: str, subject: str) -> None:
    assert email.subject == f"[CLL] {subject}"
    assert email.text_body.strip() and email.html_body.strip()
    assert SCHOOL in email.text_body and SCHOOL in email.html_body
    assert f'<html lang="{language}">' in email.html_body
    assert email.headers["Content-Language"] == language
    for part in (email.subject, email.text_body, email.html_body):
        assert "127.0.0.1" not in part
    # allauth's generic wording is gone.
    assert "Hello from" not in email.text_body and "Thank you for using" not in email.text_body


@pytest.fixture(autouse=True)
def public_site(settings):
    settings.SITE_URL = "https://www.cll.be"


@pytest.fixture
def verified_alice(alice):
    EmailAddress.objects.create(user=alice, email=alice.email, verified=True, primary=True)
    return alice


def test_the_password_reset_e_mail_is_ours_in_dutch(client, verified_alice):
    client.post(url("account_reset_password", "nl"), {"email": "alice@example.org"})

    email = OutboxEmail.objects.get(kind="account/email/password_reset_key")
    assert_branded(email, language="nl", subject="Kies een nieuw wachtwoord")
    assert "het wachtwoord van uw account opnieuw in te stellen" in email.text_body
    link = re.search(r"https?://\S+/nl/account/password/reset/key/\S+", email.text_body).group()
    assert f'<a href="{link}">{link}</a>' in email.html_body


def test_the_unknown_account_notice_is_ours_in_french(client, db):
    client.post(url("account_reset_password", "fr"), {"email": "nobody@example.org"})

    email = OutboxEmail.objects.get(kind="account/email/unknown_account")
    assert_branded(email, language="fr", subject="Aucun compte à cette adresse")
    assert "nobody@example.org" in email.text_body
    assert "Bonjour," in email.text_body


def test_the_sign_up_confirmation_is_ours_in_english(client, db):
    response = client.post(
        url("account_signup", "en"),
        {
            "email": "nadia@example.org",
            "password1": PASSWORD,
            "password2": PASSWORD,
            "first_name": "Nadia",
            "last_name": "Verhoeven",
            "birth_date": "1990-04-02",
        },
    )
    assert response.status_code == 302

    email = OutboxEmail.objects.get(kind="account/email/email_confirmation_signup")
    assert_branded(email, language="en", subject="Welcome: confirm your e-mail address")
    assert (
        "Thank you for creating an account with the address nadia@example.org." in email.text_body
    )
    assert "/en/account/confirm-email/" in email.text_body


def test_a_security_notice_is_ours(client, verified_alice):
    client.force_login(verified_alice)
    request = client.get(url("accounts:profile", "nl"), REMOTE_ADDR="203.0.113.5").wsgi_request
    # What allauth does after a password change, in the request that made it.
    with translation.override("nl"), allauth_context.request_context(request):
        get_adapter(request).send_notification_mail(
            "account/email/password_changed", verified_alice
        )

    email = OutboxEmail.objects.get(kind="account/email/password_changed")
    assert_branded(email, language="nl", subject="Uw wachtwoord is gewijzigd")
    assert "Het wachtwoord van uw account is gewijzigd." in email.text_body
    assert "IP-adres: 203.0.113.5" in email.text_body
    assert "https://www.cll.be/nl/account/login/" in email.text_body
