"""My sessions: the list of where I am signed in, and ending the others (allauth.usersessions)."""

from __future__ import annotations

import pytest
from allauth.account.models import EmailAddress
from allauth.usersessions.models import UserSession
from django.test import Client
from django.urls import reverse

from conftest import PASSWORD

pytestmark = pytest.mark.django_db


def _signed_in(user, browser: str) -> Client:
    client = Client(HTTP_USER_AGENT=browser)
    client.post(reverse("account_login"), {"login": user.email, "password": PASSWORD})
    return client


@pytest.fixture
def verified_alice(alice):
    EmailAddress.objects.create(user=alice, email=alice.email, verified=True, primary=True)
    return alice


def test_it_lists_my_sessions_and_not_anyone_elses(verified_alice, charlie):
    EmailAddress.objects.create(user=charlie, email=charlie.email, verified=True, primary=True)
    laptop = _signed_in(verified_alice, "Laptop browser")
    _signed_in(verified_alice, "Phone browser")
    _signed_in(charlie, "Charlie's browser")
    page = laptop.get(reverse("usersessions_list")).content.decode()
    assert "Laptop browser" in page
    assert "Phone browser" in page
    assert "Charlie" not in page


def test_it_ends_my_other_sessions(verified_alice, charlie):
    laptop = _signed_in(verified_alice, "Laptop browser")
    phone = _signed_in(verified_alice, "Phone browser")
    assert phone.get(reverse("accounts:profile")).status_code == 200
    response = laptop.post(reverse("usersessions_list"))
    assert response.status_code == 302
    # The phone is signed out; the laptop that asked is not.
    assert phone.get(reverse("accounts:profile")).status_code == 302
    assert laptop.get(reverse("accounts:profile")).status_code == 200
    assert UserSession.objects.filter(user=verified_alice).count() == 1


def test_it_requires_login(client):
    response = client.get(reverse("usersessions_list"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_it_links_the_sessions_from_the_profile(client, alice):
    client.force_login(alice)
    page = client.get(reverse("accounts:profile")).content.decode()
    assert reverse("usersessions_list") in page
    assert reverse("mfa_index") in page


def test_it_prunes_the_rows_of_ended_sessions(verified_alice):
    from importlib import import_module

    from django.conf import settings

    from cll.privacy.tasks import retention_run_daily

    laptop = _signed_in(verified_alice, "Laptop browser")
    phone = _signed_in(verified_alice, "Phone browser")
    # The phone's session ends (expired, or removed by clearsessions), wherever the session
    # engine keeps it (the database, and the cache too when Redis is configured).
    import_module(settings.SESSION_ENGINE).SessionStore(phone.session.session_key).delete()
    retention_run_daily.call()
    kept = UserSession.objects.filter(user=verified_alice)
    assert [row.session_key for row in kept] == [laptop.session.session_key]
