"""Erasure with a grace period: asked for from the "my privacy" page, cancelled by the e-mailed
link or by signing in again, carried out by the periodic task when it is due."""

from __future__ import annotations

import datetime
import re

import pytest
import time_machine
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse as reverse_in_current_language
from django.utils import timezone, translation

from cll.accounts.models import LearnerProfile, User
from cll.core.models import OutboxEmail
from cll.erasure.models import ErasureSchedule
from cll.erasure.services import (
    AlreadyErased,
    AlreadyScheduled,
    NotScheduled,
    erasure_cancel,
    erasure_execute,
    erasure_schedule,
)
from cll.erasure.tasks import erasure_run_due
from cll.erasure.tests.conftest import PERSON
from cll.privacy.models import AuditEntry
from conftest import PASSWORD

pytestmark = pytest.mark.django_db


def reverse(name, args=None) -> str:
    # The English pages, so that the assertions can read the messages.
    with translation.override("en"):
        return reverse_in_current_language(name, args=args)


def _signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _cancel_path(user) -> str:
    email = OutboxEmail.objects.get(person=user.public_id, kind="emails/erasure_scheduled")
    return re.search(r"https?://[^/\s]+(/\S+)", email.text_body).group(1)


def _request(client, **data):
    return client.post(reverse("erasure:request"), {"password": PASSWORD, **data})


def test_it_needs_a_signed_in_person(client):
    response = client.get(reverse("erasure:request"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_the_page_explains_the_grace_period_and_the_data_map(nadia, settings):
    settings.ERASURE_GRACE_DAYS = 14
    page = _signed_in(nadia).get(reverse("erasure:request"))
    assert page.status_code == 200
    assert page["Cache-Control"].startswith("max-age=0") or "no-store" in page["Cache-Control"]
    text = page.content.decode()
    assert "14 days" in text
    summary = page.context["summary"]
    # Generated from the data map, named as people know it (the data map's titles): the
    # profile is deleted, the account anonymised, the evidence log kept under legal hold.
    profile = "Profile: name, address, telephone, languages and level"
    assert profile in [line.what for line in summary["delete"]]
    assert "Account" in [line.what for line in summary["anonymise"]]
    assert any("evidence log" in line.what.lower() for line in summary["legal_hold"])
    assert profile in text
    assert "Learner profiles" not in text


def test_a_wrong_password_changes_nothing(nadia):
    client = _signed_in(nadia)
    response = _request(client, password="not my password")
    assert response.status_code == 200
    assert 'aria-invalid="true"' in response.content.decode()
    assert "This password is not correct." in response.content.decode()
    assert not ErasureSchedule.objects.exists()
    nadia.refresh_from_db()
    assert nadia.is_active


def test_a_request_deactivates_ends_sessions_and_emails_a_cancel_link(nadia, settings):
    settings.ERASURE_GRACE_DAYS = 14
    other_device = _signed_in(nadia)
    client = _signed_in(nadia)

    response = _request(client)

    assert response.status_code == 302 and response["Location"] == reverse("erasure:scheduled")
    schedule = ErasureSchedule.objects.get(user=nadia)
    assert schedule.due_at - schedule.requested_at == datetime.timedelta(days=14)
    nadia.refresh_from_db()
    assert not nadia.is_active and nadia.deactivated_at is not None
    assert other_device.get(reverse("accounts:profile")).status_code == 302
    assert not any(
        s.get_decoded().get("_auth_user_id") == str(nadia.pk) for s in Session.objects.all()
    )
    email = OutboxEmail.objects.get(person=nadia.public_id, kind="emails/erasure_scheduled")
    assert email.to_address == PERSON["email"]
    assert "/account/erase/cancel/" in email.text_body
    # Only the hash of the link's token is stored.
    token = _cancel_path(nadia).rstrip("/").rsplit("/", 1)[1]
    assert token not in schedule.cancel_token_hash
    assert AuditEntry.objects.filter(action="erasure.schedule", subject=nadia.public_id).exists()
    # Nothing erased yet.
    assert LearnerProfile.objects.filter(user=nadia).exists()
    assert Client().get(reverse("erasure:scheduled")).status_code == 200


def test_a_second_request_is_refused_with_a_message(nadia):
    erasure_schedule(subject=nadia)
    with pytest.raises(AlreadyScheduled, match="déjà demandé"):
        erasure_schedule(subject=nadia)
    assert ErasureSchedule.objects.count() == 1


def test_a_request_racing_another_one_gets_a_message(nadia):
    # Two tabs: the second request arrives after the first was recorded, before its sign-out.
    client = _signed_in(nadia)
    ErasureSchedule.objects.create(
        user=nadia, due_at=timezone.now() + datetime.timedelta(days=14), cancel_token_hash="x"
    )
    assert client.get(reverse("erasure:request")).context["already_scheduled"]
    response = _request(client)
    assert response.status_code == 200
    assert "You have already asked for the erasure" in response.content.decode()
    assert ErasureSchedule.objects.count() == 1
    nadia.refresh_from_db()
    assert nadia.is_active


def test_an_erased_account_cannot_be_scheduled(nadia):
    erasure_execute(subject=nadia)
    with pytest.raises(AlreadyErased):
        erasure_schedule(subject=nadia)
    with pytest.raises(NotScheduled):
        erasure_cancel(subject=nadia)


def test_the_cancel_link_works_once(nadia):
    _request(_signed_in(nadia))
    path = _cancel_path(nadia)
    client = Client()

    # Following the link (GET) changes nothing: mail scanners follow links.
    page = client.get(path)
    assert page.status_code == 200
    assert ErasureSchedule.objects.exists()

    response = client.post(path)
    assert response.status_code == 302 and response["Location"] == reverse("account_login")
    assert not ErasureSchedule.objects.exists()
    nadia.refresh_from_db()
    assert nadia.is_active and nadia.deactivated_at is None
    assert AuditEntry.objects.filter(action="erasure.cancel", subject=nadia.public_id).exists()
    assert Client().post(reverse("account_login"), {"login": nadia.email, "password": PASSWORD})

    for method in (client.get, client.post):
        used = method(path)
        assert used.status_code == 404
        assert "no longer valid" in used.content.decode()
    assert Client().get(reverse("erasure:cancel", args=["made-up-token"])).status_code == 404


def test_signing_in_again_through_the_reactivation_page_cancels(nadia):
    _request(_signed_in(nadia))
    client = Client()
    response = client.post(
        reverse("accounts:reactivate"), {"email": PERSON["email"], "password": PASSWORD}
    )
    assert response.status_code == 302
    client.post(reverse("account_login"), {"login": PERSON["email"], "password": PASSWORD})
    assert client.get(reverse("accounts:profile")).status_code == 200
    assert not ErasureSchedule.objects.exists()
    assert AuditEntry.objects.filter(action="erasure.cancel", subject=nadia.public_id).exists()


def test_the_periodic_task_erases_when_due_and_not_before(nadia, settings):
    settings.ERASURE_GRACE_DAYS = 14
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        erasure_schedule(subject=nadia)
    link = _cancel_path(nadia)
    with time_machine.travel(start + datetime.timedelta(days=13, hours=23), tick=False):
        assert erasure_run_due.call() == {"erased": 0, "cancelled": 0, "failed": 0}
    assert LearnerProfile.objects.filter(user=nadia).exists()

    with time_machine.travel(start + datetime.timedelta(days=14, minutes=1), tick=False):
        assert erasure_run_due.call() == {"erased": 1, "cancelled": 0, "failed": 0}
    shell = User.objects.get(pk=nadia.pk)
    assert shell.email.startswith("erased-")
    assert not LearnerProfile.objects.filter(user=shell).exists()
    assert not ErasureSchedule.objects.exists()
    (entry,) = AuditEntry.objects.filter(action="erasure.execute", subject=nadia.public_id)
    assert entry.detail["reason"] == "grace-period"
    # The e-mail went with the rest, and its link now answers that it is no longer valid.
    assert not OutboxEmail.objects.filter(person=nadia.public_id).exists()
    assert Client().get(link).status_code == 404


def test_a_reactivated_account_is_not_erased_by_the_task(nadia, settings):
    settings.ERASURE_GRACE_DAYS = 1
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        erasure_schedule(subject=nadia)
    # Reactivated (the reactivation page), never signed in afterwards.
    from cll.accounts.services import account_reactivate

    account_reactivate(user=nadia)
    with time_machine.travel(start + datetime.timedelta(days=2), tick=False):
        assert erasure_run_due.call() == {"erased": 0, "cancelled": 1, "failed": 0}
    nadia.refresh_from_db()
    assert nadia.email == PERSON["email"] and nadia.is_active
    assert LearnerProfile.objects.filter(user=nadia).exists()
