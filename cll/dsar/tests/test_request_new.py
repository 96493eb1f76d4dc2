"""The public request form, identity verification by e-mailed link, and what it never discloses."""

from __future__ import annotations

import datetime
import re

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from cll.dsar.models import DataSubjectRequest
from cll.dsar.tests.conftest import actions, link_path, mails
from cll.privacy.models import AuditEntry

pytestmark = pytest.mark.django_db

FORM = reverse("dsar:request_new")


def _ask(client, email, type="access", details="", **extra):
    return client.post(FORM, {"type": type, "email": email, "details": details}, **extra)


def _page(response) -> str:
    # Nonces and CSRF tokens differ on every response; nothing else may.
    text = response.content.decode()
    return re.sub(r'(nonce|value)="[^"]*"', "", text)


def test_it_shows_the_form_to_anyone(client):
    response = client.get(FORM)
    assert response.status_code == 200
    for value, _label in DataSubjectRequest.Type.choices:
        assert f'value="{value}"' in response.content.decode()


def test_it_refuses_a_malformed_address_inline(client):
    response = _ask(client, "not-an-address")
    assert response.status_code == 200
    assert response.context["form"].errors["email"]
    assert not DataSubjectRequest.objects.exists()


def test_it_sends_a_single_use_link_then_receives_the_request(client, alice):
    response = _ask(client, "Alice@Example.org", details="Everything you hold, please.")
    assert response.status_code == 302
    assert response["Location"] == reverse("dsar:request_sent")

    (request,) = DataSubjectRequest.objects.all()
    assert request.status == DataSubjectRequest.Status.UNVERIFIED
    # Not matched to an account before the mailbox is proved.
    assert request.account is None
    assert request.due_on is None
    (verify,) = mails("verify")
    assert verify.to_address == "alice@example.org"
    assert verify.person == request.public_id
    path = link_path(verify)
    token = path.rstrip("/").rsplit("/", 1)[1]
    # Only the hash of the token is stored.
    assert token not in (request.token_hash or "")
    validity = request.token_expires_at - request.received_at
    assert datetime.timedelta(hours=48) <= validity < datetime.timedelta(hours=48, minutes=1)

    # A GET (a mail scanner) changes nothing.
    assert client.get(path).status_code == 200
    request.refresh_from_db()
    assert request.status == DataSubjectRequest.Status.UNVERIFIED

    response = Client().post(path)
    assert response.status_code == 302
    assert response["Location"] == reverse("dsar:request_received")
    request.refresh_from_db()
    assert request.status == DataSubjectRequest.Status.OPEN
    assert request.verification == DataSubjectRequest.Verification.LINK
    assert request.account == alice
    assert request.due_on is not None
    (receipt,) = mails("received", to="alice@example.org")
    assert str(request.public_id) in receipt.text_body
    assert actions() == ["dsar.submit", "dsar.verify"]
    verify_entry = AuditEntry.objects.get(action="dsar.verify")
    assert verify_entry.subject == alice.public_id
    assert verify_entry.detail["method"] == "link"


def test_it_says_a_reused_link_was_already_used(client):
    _ask(client, "someone@example.org")
    path = link_path(mails("verify")[0])
    assert client.post(path).status_code == 302
    for method in (client.get, client.post):
        response = method(path)
        assert response.status_code == 410
        assert "déjà été utilisé" in response.content.decode()
    assert len(mails("received")) == 1


def test_it_says_an_expired_link_has_expired(client):
    _ask(client, "someone@example.org")
    path = link_path(mails("verify")[0])
    with time_machine.travel(timezone.now() + datetime.timedelta(hours=48, minutes=1)):
        for method in (client.get, client.post):
            response = method(path)
            assert response.status_code == 410
            assert "Ce lien a expiré" in response.content.decode()
    assert DataSubjectRequest.objects.get().status == DataSubjectRequest.Status.UNVERIFIED
    assert not mails("received")


def test_it_says_an_unknown_link_is_not_valid(client):
    response = client.get(reverse("dsar:request_verify", args=["made-up-token"]))
    assert response.status_code == 410
    assert "pas valide" in response.content.decode()


def test_it_answers_the_same_for_known_and_unknown_addresses(client, alice):
    known = _ask(client, "alice@example.org")
    unknown = _ask(Client(), "nobody@example.org")
    assert known.status_code == unknown.status_code == 302
    assert known["Location"] == unknown["Location"]
    page_known = _page(client.get(known["Location"]))
    page_unknown = _page(Client().get(unknown["Location"]))
    assert page_known == page_unknown
    # The same message, whether or not an account exists.
    first, second = mails("verify")
    assert first.subject == second.subject
    assert first.text_body.split("http")[0] == second.text_body.split("http")[0]


def test_it_verifies_a_signed_in_person_by_their_session(client, alice):
    client.force_login(alice)
    assert client.get(FORM).context["form"].initial["email"] == "alice@example.org"
    response = _ask(client, "alice@example.org", type="erasure")
    assert response["Location"] == reverse("dsar:request_received")
    (request,) = DataSubjectRequest.objects.all()
    assert request.status == DataSubjectRequest.Status.OPEN
    assert request.verification == DataSubjectRequest.Verification.SESSION
    assert request.account == alice
    assert not mails("verify")
    assert len(mails("received", to="alice@example.org")) == 1
    entry = AuditEntry.objects.get(action="dsar.verify")
    assert entry.actor == alice.public_id


def test_it_sends_someone_elses_request_to_their_mailbox_only(client, alice, charlie):
    """Alice, signed in, asks about Charlie's address: nothing happens until Charlie's mailbox
    confirms, and Alice never learns anything about Charlie."""
    client.force_login(alice)
    response = _ask(client, "charlie@example.org")
    assert response["Location"] == reverse("dsar:request_sent")
    (request,) = DataSubjectRequest.objects.all()
    assert request.status == DataSubjectRequest.Status.UNVERIFIED
    assert request.account is None
    (verify,) = mails("verify")
    assert verify.to_address == "charlie@example.org"
    assert not mails("verify", to="alice@example.org")
    assert not mails("received")
    page = client.get(response["Location"]).content.decode()
    assert "charlie" not in page
    # Charlie confirms from his mailbox: only then is the request about his account.
    Client().post(link_path(verify))
    request.refresh_from_db()
    assert request.account == charlie
    assert mails("received", to="charlie@example.org")
    assert not mails("received", to="alice@example.org")


def test_it_pauses_the_clock_until_verification(client, time_machine):
    time_machine.move_to(datetime.datetime(2025, 1, 31, 10, tzinfo=datetime.UTC), tick=False)
    _ask(client, "late@example.org")
    path = link_path(mails("verify")[0])
    time_machine.move_to(datetime.datetime(2025, 2, 1, 20, tzinfo=datetime.UTC), tick=False)
    client.post(path)
    request = DataSubjectRequest.objects.get()
    # Received 31 January (deadline 28 February), verified 1 February: one day added back.
    assert request.due_on == datetime.date(2025, 3, 1)
    assert AuditEntry.objects.get(action="dsar.verify").detail["paused_days"] == 1


def test_it_seals_the_address_and_indexes_it_blindly(client):
    from django.db import connection

    from cll.core.encryption import blind_index
    from cll.dsar.models import EMAIL_INDEX_PURPOSE

    _ask(client, "secret.person@example.org", details="my phone is 0470 12 34 56")
    with connection.cursor() as cursor:
        cursor.execute("SELECT email, details, email_index FROM dsar_datasubjectrequest")
        email, details, index = cursor.fetchone()
    assert "secret.person" not in email and email.startswith("e1.")
    assert "0470" not in details
    assert index == blind_index("secret.person@example.org", purpose=EMAIL_INDEX_PURPOSE)


def test_it_refuses_the_link_of_a_request_rejected_before_verification(client, dora):
    from cll.dsar import services

    _ask(client, "someone@example.org")
    path = link_path(mails("verify")[0])
    services.request_reject(
        request=DataSubjectRequest.objects.get(), actor=dora, reason="Duplicate."
    )
    response = client.post(path)
    assert response.status_code == 410
    assert "pas valide" in response.content.decode()
    assert DataSubjectRequest.objects.get().status == DataSubjectRequest.Status.REJECTED
    # An address nobody proved gets nothing but the link it already had.
    assert not mails("rejected") and not mails("received")
