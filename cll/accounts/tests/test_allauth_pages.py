"""allauth's own pages (e-mail, password, re-authentication, two-factor, sessions, linked
accounts) in the site's frame and markup, without inline style attributes (our CSP ignores them)."""

from __future__ import annotations

import pytest
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.urls import reverse

from conftest import PASSWORD, reauthenticated_login

pytestmark = pytest.mark.django_db

PAGES = [
    "account_email",
    "account_change_password",
    "account_reauthenticate",
    "mfa_index",
    "mfa_activate_totp",
    "mfa_add_webauthn",
    "usersessions_list",
    "socialaccount_connections",
]
# Pages that need a second factor already set up.
MFA_PAGES = [
    "mfa_index",
    "mfa_deactivate_totp",
    "mfa_view_recovery_codes",
    "mfa_generate_recovery_codes",
    "mfa_reauthenticate",
    "mfa_list_webauthn",
]


def _signed_in(client, user):
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    reauthenticated_login(client, user)
    return client


@pytest.fixture
def signed_in(client, alice):
    return _signed_in(client, alice)


@pytest.fixture
def signed_in_with_mfa(client, alice):
    TOTP.activate(alice, generate_totp_secret())
    from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes

    RecoveryCodes.activate(alice)
    Authenticator.objects.create(user=alice, type=Authenticator.Type.WEBAUTHN, data={"name": "k"})
    return _signed_in(client, alice)


def _check(response, url_name):
    assert response.status_code == 200, (url_name, response.status_code)
    html = response.content.decode()
    assert "style=" not in html, url_name
    # The site's frame and markup.
    assert 'class="site-header"' in html
    assert 'class="site-footer"' in html
    return html


@pytest.mark.parametrize("url_name", PAGES)
def test_it_renders_allauth_pages_in_the_site_frame_without_inline_style(signed_in, url_name):
    _check(signed_in.get(reverse(url_name)), url_name)


@pytest.mark.parametrize("url_name", MFA_PAGES)
def test_it_renders_the_two_factor_pages_without_inline_style(signed_in_with_mfa, url_name):
    _check(signed_in_with_mfa.get(reverse(url_name)), url_name)


def test_it_renders_the_second_factor_step_of_sign_in_without_inline_style(client, alice):
    EmailAddress.objects.create(user=alice, email=alice.email, verified=True, primary=True)
    TOTP.activate(alice, generate_totp_secret())
    response = client.post(reverse("account_login"), {"login": alice.email, "password": PASSWORD})
    assert response["Location"] == reverse("mfa_authenticate")
    html = _check(client.get(response["Location"]), "mfa_authenticate")
    assert 'class="account-form"' in html


def test_it_maps_allauth_elements_onto_the_site_markup(signed_in_with_mfa):
    html = signed_in_with_mfa.get(reverse("mfa_index")).content.decode()
    assert 'class="account-panel"' in html
    assert 'class="button button--danger"' in html  # "Deactivate" the authenticator app
    html = signed_in_with_mfa.get(reverse("account_change_password")).content.decode()
    assert 'class="account-form"' in html
    assert 'class="button button--primary"' in html
    assert 'aria-describedby="id_password1_helptext"' in html
