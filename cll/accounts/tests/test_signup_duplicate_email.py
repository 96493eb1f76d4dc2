"""Signing up with an address that already has an account (issue 3, bad input "duplicate e-mail").

Enumeration-safe on purpose (docs/architecture.md, "Duplicate e-mail at signup"): the visitor
gets exactly the answer a new address gets, and the owner of the address is e-mailed that
someone tried to sign up with it and how to reset their password. Nothing is created.
"""

from __future__ import annotations

import re

import pytest
from allauth.account.models import EmailAddress
from django.test import Client
from django.urls import reverse

from cll.accounts.models import LearnerProfile, User
from cll.core.models import OutboxEmail
from cll.core.outbox import outbox_deliver_due
from cll.privacy.models import AuditEntry
from conftest import PASSWORD

pytestmark = pytest.mark.django_db

FORM = {
    "password1": PASSWORD,
    "password2": PASSWORD,
    "first_name": "Nadia",
    "last_name": "Verhoeven",
    "city": "Louvain-la-Neuve",
    "birth_date": "1990-04-02",
}
# What differs between any two renderings of a page: the CSRF token and the CSP nonce.
_VOLATILE = re.compile(r'(csrfmiddlewaretoken" value=|nonce=)"[^"]*"')


def _signup(email: str):
    client = Client()
    response = client.post("/fr/account/signup/", {**FORM, "email": email})
    page = client.get(response["Location"]) if response.status_code == 302 else response
    return response, page


def _visible(page, email: str) -> str:
    # Both pages repeat the address the visitor typed ("sent to ..."): the rest must be equal.
    return _VOLATILE.sub(r"\1", page.content.decode()).replace(email, "<typed address>")


def test_it_answers_a_taken_address_exactly_as_a_new_one(alice):
    new_response, new_page = _signup("nadia@example.org")
    taken_response, taken_page = _signup("alice@example.org")

    assert new_response.status_code == taken_response.status_code == 302
    assert new_response["Location"] == taken_response["Location"]
    assert new_page.status_code == taken_page.status_code == 200
    assert _visible(new_page, "nadia@example.org") == _visible(taken_page, "alice@example.org")


def test_it_tells_the_owner_and_creates_nothing(alice, smtp_server):
    accounts, profiles = User.objects.count(), LearnerProfile.objects.count()
    _signup("Alice@Example.org")

    # No second account, no profile, no address row, no audit entry: nothing half-saved.
    assert User.objects.count() == accounts
    assert User.objects.filter(email__iexact="alice@example.org").count() == 1
    assert LearnerProfile.objects.count() == profiles
    assert not LearnerProfile.objects.filter(user=alice).exists()
    assert not EmailAddress.objects.filter(email__iexact="alice@example.org").exists()
    assert not AuditEntry.objects.filter(action="profile.create").exists()

    # The owner is told, through the outbox (sealed with their key), with the way back in.
    (queued,) = OutboxEmail.objects.all()
    assert queued.kind == "account/email/account_already_exists"
    assert queued.person == alice.public_id
    outbox_deliver_due()
    (received,) = smtp_server.wait_for(1)
    assert received.rcpt_tos == ("alice@example.org",)
    body = received.message.get_body(preferencelist=("plain",)).get_content()
    assert reverse("account_reset_password") in body
    # Nothing the visitor typed besides the address reaches the owner.
    assert "Nadia" not in body and "Verhoeven" not in body


def test_it_hashes_a_password_for_a_taken_address_too(alice, monkeypatch):
    # The new-address answer hashes the password; the taken-address one must do the same work,
    # or its speed would tell the two apart.
    from django.contrib.auth.hashers import get_hasher

    hasher_class = type(get_hasher())
    calls = []
    original = hasher_class.encode

    def counting(self, password, salt, *args, **kwargs):
        calls.append(password)
        return original(self, password, salt, *args, **kwargs)

    monkeypatch.setattr(hasher_class, "encode", counting)
    _signup("nadia@example.org")
    for_new = len(calls)
    calls.clear()
    _signup("alice@example.org")
    assert for_new >= 1
    assert len(calls) == for_new
    assert set(calls) == {PASSWORD}
