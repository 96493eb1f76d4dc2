"""The authentication middleware (cll/accounts/middleware.py) reads the user at once, with
Django's own checks: the session's user, the session hash, an account that may sign in."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser
from django.http import HttpResponse
from django.test import RequestFactory

from cll.accounts.middleware import AuthenticationMiddleware

pytestmark = pytest.mark.django_db


def _user_of(client) -> object:
    request = RequestFactory().get("/")
    request.session = client.session
    AuthenticationMiddleware(lambda request: HttpResponse())(request)
    return request.user


def test_it_reads_the_signed_in_user_itself(client, alice):
    client.force_login(alice)
    user = _user_of(client)
    assert type(user) is type(alice) and user.pk == alice.pk


def test_a_visitor_is_anonymous(client):
    assert isinstance(_user_of(client), AnonymousUser)


def test_a_changed_password_or_a_deactivated_account_signs_out(client, alice):
    client.force_login(alice)
    alice.set_password("Another-Horse-8-Battery")
    alice.save()
    assert isinstance(_user_of(client), AnonymousUser)
    client.force_login(alice)
    type(alice).objects.filter(pk=alice.pk).update(is_active=False)
    assert isinstance(_user_of(client), AnonymousUser)
