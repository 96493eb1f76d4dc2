"""Social sign-in configuration, minimisation, and linking/unlinking from the profile.

The full OpenID Connect sign-in against a real provider is tests/oidc/test_social_oidc.py.
"""

from __future__ import annotations

import pytest
from allauth.account.models import EmailAddress
from allauth.socialaccount.adapter import get_adapter
from allauth.socialaccount.models import SocialAccount
from django.test import RequestFactory, override_settings
from django.urls import reverse

from cll import settings as project_settings
from cll.accounts.adapter import minimise_extra_data
from conftest import PASSWORD

pytestmark = pytest.mark.django_db

_PROVIDER = {
    "openid_connect": {
        "APPS": [
            {
                "provider_id": "exampleidp",
                "name": "Example IdP",
                "client_id": "id",
                "secret": "secret",
                "settings": {"server_url": "https://idp.invalid"},
            }
        ]
    }
}


def test_no_provider_is_enabled_without_keys(client, settings):
    assert all(not conf["APPS"] for conf in settings.SOCIALACCOUNT_PROVIDERS.values())
    request = RequestFactory().get("/")
    assert get_adapter().list_providers(request) == []
    page = client.get(reverse("account_login")).content.decode()
    assert "social-providers" not in page
    assert "/account/oidc/" not in page and "/account/google/" not in page


def test_a_provider_is_enabled_only_with_both_keys(monkeypatch):
    monkeypatch.setenv("CLL_SOCIAL_GOOGLE_CLIENT_ID", "client")
    assert project_settings._social_apps("GOOGLE") == []
    monkeypatch.setenv("CLL_SOCIAL_GOOGLE_SECRET", "secret")
    (app,) = project_settings._social_apps("GOOGLE")
    assert app["client_id"] == "client" and app["secret"] == "secret"


@override_settings(SOCIALACCOUNT_PROVIDERS=_PROVIDER)
def test_a_configured_provider_shows_a_post_button(client):
    page = client.get(reverse("account_login")).content.decode()
    assert "Example IdP" in page
    assert 'method="post" action="/fr/account/oidc/exampleidp/login/' in page


def test_extra_data_keeps_only_what_we_need():
    sent = {
        "userinfo": {"sub": "1", "email": "a@b.example", "picture": "x", "locale": "fr"},
        "id_token": {"sub": "1", "nonce": "n", "aud": "c", "email_verified": True},
        "birthday": "2000-01-01",
    }
    assert minimise_extra_data(sent) == {
        "userinfo": {"sub": "1", "email": "a@b.example"},
        "id_token": {"sub": "1", "email_verified": True},
    }


@override_settings(SOCIALACCOUNT_PROVIDERS=_PROVIDER)
def test_profile_lists_linked_accounts_and_unlinking_works(client, alice):
    EmailAddress.objects.create(user=alice, email=alice.email, verified=True, primary=True)
    linked = SocialAccount.objects.create(
        user=alice,
        provider="exampleidp",
        uid="subject-1",
        extra_data={"userinfo": {"sub": "subject-1", "email": "alice@idp.example", "x": 1}},
    )
    linked.refresh_from_db()
    assert linked.extra_data == {"userinfo": {"sub": "subject-1", "email": "alice@idp.example"}}
    client.force_login(alice)

    profile = client.get(reverse("accounts:profile")).content.decode()
    assert "Example IdP" in profile
    assert reverse("socialaccount_connections") in profile

    page = client.get(reverse("socialaccount_connections")).content.decode()
    assert "Example IdP" in page
    # Unlinking asks for the password again (allauth's re-authentication), then goes ahead.
    response = client.post(reverse("socialaccount_connections"), {"account": linked.pk})
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_reauthenticate"))
    assert SocialAccount.objects.filter(pk=linked.pk).exists()
    response = client.post(response["Location"], {"password": PASSWORD})
    assert response.status_code == 302
    assert not SocialAccount.objects.filter(pk=linked.pk).exists()
