"""Staff pages (the Django admin) require two-factor authentication; learners are not forced."""

from __future__ import annotations

import pytest
from django.urls import reverse

from cll.accounts.tests.helpers import current_code, verified, with_totp
from conftest import PASSWORD

pytestmark = pytest.mark.django_db

# The admin lives under the language prefix (/admin/ redirects there, see test_admin_i18n.py).
ADMIN = "/fr/admin/"


def _password_login(client, user):
    return client.post(reverse("account_login"), {"login": user.email, "password": PASSWORD})


def test_it_sends_a_staff_member_without_mfa_to_the_mfa_setup(client, dora):
    verified(dora)
    _password_login(client, dora)
    response = client.get(ADMIN)
    assert response.status_code == 302
    assert response["Location"] == reverse("mfa_index")
    page = client.get(response["Location"])
    assert page.status_code == 200
    # Told why, in their language, inside the account pages' frame.
    assert "Les pages du personnel exigent la double authentification" in page.content.decode()
    assert 'class="container section section--tight account-page"' in page.content.decode()


def test_it_opens_the_admin_after_password_and_totp(client, dora):
    verified(dora)
    secret = with_totp(dora)
    response = _password_login(client, dora)
    assert response["Location"] == reverse("mfa_authenticate")
    # Half signed in: the admin is still closed.
    assert client.get(ADMIN).status_code == 302
    response = client.post(reverse("mfa_authenticate"), {"code": current_code(secret)})
    assert response.status_code == 302
    assert client.get(ADMIN).status_code == 200


def test_it_asks_for_the_second_factor_when_the_session_did_not_use_it(client, dora):
    secret = with_totp(dora)
    # A session signed in without the second factor (e.g. MFA set up after signing in).
    client.force_login(dora)
    response = client.get(ADMIN)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("mfa_reauthenticate"))
    response = client.post(response["Location"], {"code": current_code(secret)})
    assert response.status_code == 302
    assert client.get(ADMIN).status_code == 200


def test_it_sends_the_admin_login_to_allauth(client):
    response = client.get("/fr/admin/login/?next=/fr/admin/")
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_it_does_not_force_mfa_on_a_learner(client, alice):
    verified(alice)
    _password_login(client, alice)
    assert client.get(reverse("accounts:profile")).status_code == 200
    # The admin refuses a learner; it never sends them to set up MFA.
    response = client.get(ADMIN)
    assert response.get("Location", "") != reverse("mfa_index")
    assert client.get("/fr/admin/login/").status_code == 403


def test_it_stores_the_totp_secret_encrypted_with_the_persons_key(client, dora):
    from allauth.mfa.models import Authenticator

    from cll.core import encryption as crypto

    verified(dora)
    _password_login(client, dora)
    # Just signed in: no second password (issue 11, see test_staff_first_visit.py).
    page = client.get(reverse("mfa_activate_totp"))
    secret = page.context["form"].secret
    response = client.post(reverse("mfa_activate_totp"), {"code": current_code(secret)})
    assert response.status_code == 302
    stored = Authenticator.objects.get(user=dora, type=Authenticator.Type.TOTP).data["secret"]
    assert secret not in stored
    assert stored.startswith(crypto.TOKEN_PREFIX)
    assert crypto.token_key_id(stored) == crypto.data_key_for(dora.public_id)[0]
    # And the second factor works at the next sign-in.
    client.post(reverse("account_logout"))
    _password_login(client, dora)
    client.post(reverse("mfa_authenticate"), {"code": current_code(secret)})
    assert client.get(ADMIN).status_code == 200


def test_it_asks_a_staff_member_with_only_a_security_key_for_that_key(client, dora):
    from allauth.mfa.models import Authenticator

    Authenticator.objects.create(user=dora, type=Authenticator.Type.WEBAUTHN, data={})
    client.force_login(dora)
    response = client.get(ADMIN)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("mfa_reauthenticate_webauthn"))
