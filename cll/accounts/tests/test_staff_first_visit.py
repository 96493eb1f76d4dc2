"""A staff member's first visit needs one password and one code (issue 11, item 5): a fresh
sign-in counts as a recent authentication, and activating the authenticator app counts as
having used the second factor. Re-authentication stays for later sensitive actions."""

from __future__ import annotations

import pytest
from allauth.account.internal.flows.login import AUTHENTICATION_METHODS_SESSION_KEY
from allauth.mfa.models import Authenticator
from django.conf import settings
from django.urls import reverse

from cll.accounts.tests.helpers import current_code, verified
from conftest import PASSWORD

# Transactional: allauth sends "authenticator_added" once the activation is committed.
pytestmark = pytest.mark.django_db(transaction=True)

ADMIN = "/fr/admin/"
STAFF_HOME = "/fr/staff/"


def _sign_in(client, user):
    response = client.post(reverse("account_login"), {"login": user.email, "password": PASSWORD})
    assert response.status_code == 302
    return response


def _activate_totp(client) -> str:
    page = client.get(reverse("mfa_activate_totp"))
    # No second password right after signing in.
    assert page.status_code == 200, page.get("Location")
    secret = page.context["form"].secret
    response = client.post(reverse("mfa_activate_totp"), {"code": current_code(secret)})
    assert response.status_code == 302
    return secret


def _age_the_session(client, seconds: int) -> None:
    session = client.session
    records = session[AUTHENTICATION_METHODS_SESSION_KEY]
    for record in records:
        record["at"] -= seconds
    session[AUTHENTICATION_METHODS_SESSION_KEY] = records
    session.save()


def test_it_opens_the_staff_home_and_the_admin_after_one_password_and_one_code(client, adam):
    verified(adam)
    _sign_in(client, adam)
    # Staff pages first send them to set up the second factor.
    response = client.get(STAFF_HOME)
    assert response["Location"] == reverse("mfa_index")
    _activate_totp(client)
    assert Authenticator.objects.filter(user=adam, type=Authenticator.Type.TOTP).exists()
    # The code entered to activate it counts: no second code for the staff pages or the admin.
    assert client.get(STAFF_HOME).status_code == 200
    assert client.get(ADMIN).status_code == 200
    records = client.session[AUTHENTICATION_METHODS_SESSION_KEY]
    assert [record["method"] for record in records] == ["password", "mfa"]
    assert records[-1]["type"] == Authenticator.Type.TOTP


def test_it_asks_for_the_password_again_for_a_sensitive_action_later(client, dora):
    verified(dora)
    _sign_in(client, dora)
    _activate_totp(client)
    assert client.get(reverse("account_change_password")).status_code == 200
    _age_the_session(client, settings.ACCOUNT_REAUTHENTICATION_TIMEOUT + 1)
    response = client.get(reverse("account_change_password"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_reauthenticate"))
    # The staff pages still open: the session did use the second factor.
    assert client.get(STAFF_HOME).status_code == 200


def test_it_does_not_count_a_password_typed_long_ago(client, dora):
    verified(dora)
    _sign_in(client, dora)
    _age_the_session(client, settings.ACCOUNT_REAUTHENTICATION_TIMEOUT + 1)
    response = client.get(reverse("mfa_activate_totp"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_reauthenticate"))


def test_generating_recovery_codes_does_not_count_as_using_the_second_factor(client, dora):
    from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes

    from cll.accounts.mfa import record_factor_activation

    verified(dora)
    _sign_in(client, dora)
    codes = RecoveryCodes.activate(dora)
    request = type("Request", (), {"session": client.session, "user": dora})()
    record_factor_activation(None, request=request, user=dora, authenticator=codes.instance)
    assert [r["method"] for r in request.session[AUTHENTICATION_METHODS_SESSION_KEY]] == [
        "password"
    ]
