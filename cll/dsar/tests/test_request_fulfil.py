"""One-click fulfilment from the queue, and Art. 19 notices to recipients."""

from __future__ import annotations

import dataclasses

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from cll.accounts.models import LearnerProfile, User
from cll.dsar import services
from cll.dsar.models import DataSubjectRequest
from cll.dsar.tests.conftest import actions, link_path, mails
from cll.privacy import datamap
from cll.privacy.models import AuditEntry
from conftest import staff_login

pytestmark = pytest.mark.django_db


def _entered(actor, *, type, email="alice@example.org", verified=True):
    return services.request_enter(
        actor=actor,
        type=type,
        email=email,
        details="",
        language="fr",
        channel="email",
        received_at=timezone.now(),
        identity_verified=verified,
    )


def _fulfil(client, dsr, **data):
    return client.post(reverse("dsar_staff:request_fulfil", args=[dsr.public_id]), data)


@pytest.fixture
def officer(client, dora):
    staff_login(client, dora)
    return dora


def test_it_starts_the_export_of_the_matching_account(client, officer, alice, charlie):
    from cll.rights.models import ExportJob

    dsr = _entered(officer, type="access")
    response = client.post(
        reverse("dsar_staff:request_fulfil", args=[dsr.public_id]).replace("/fr/", "/en/", 1)
    )
    assert response.status_code == 302
    (job,) = ExportJob.objects.all()
    assert job.subject == alice
    # In the person's language, not the officer's.
    assert job.language == "fr"
    dsr.refresh_from_db()
    assert dsr.status == DataSubjectRequest.Status.COMPLETED
    (mail,) = mails("completed", to="alice@example.org")
    assert "download link" in mail.text_body or "lien" in mail.text_body
    assert not mails("completed", to="charlie@example.org")
    fulfil = AuditEntry.objects.get(action="dsar.fulfil")
    assert fulfil.detail["result"] == "export"
    assert fulfil.actor == officer.public_id and fulfil.subject == alice.public_id


def test_it_answers_no_data_held_when_no_account_matches(client, officer, alice):
    from cll.rights.models import ExportJob

    dsr = _entered(officer, type="portability", email="stranger@example.org")
    _fulfil(client, dsr)
    assert not ExportJob.objects.exists()
    (mail,) = mails("completed", to="stranger@example.org")
    assert mail.subject
    dsr.refresh_from_db()
    assert dsr.status == DataSubjectRequest.Status.COMPLETED
    assert AuditEntry.objects.get(action="dsar.fulfil").detail["result"] == "no_data"


def test_it_erases_the_account_and_still_tells_the_person(client, officer, alice):
    from cll.erasure.anonymisers import is_erased

    former_id = alice.public_id
    dsr = _entered(officer, type="erasure")
    response = _fulfil(client, dsr)
    assert response.status_code == 302
    alice.refresh_from_db()
    assert is_erased(alice)
    dsr.refresh_from_db()
    assert dsr.status == DataSubjectRequest.Status.COMPLETED
    assert dsr.account is None
    # The completion e-mail is sealed with the request's key, not the erased person's.
    (mail,) = mails("completed", to="alice@example.org")
    assert mail.person == dsr.public_id
    assert AuditEntry.objects.get(action="dsar.complete").subject == former_id
    assert AuditEntry.objects.get(action="erasure.execute").detail.get("reason") == "dsar"


def test_it_sets_restriction_and_objection_through_the_rights_services(client, officer, alice):
    from cll.rights.models import Objection, Restriction

    restriction = _entered(officer, type="restriction")
    _fulfil(client, restriction)
    assert Restriction.objects.filter(subject=alice).exists()

    objection = _entered(officer, type="objection")
    # The purpose is required for an objection.
    response = _fulfil(client, objection)
    assert response.status_code == 400
    assert not Objection.objects.exists()
    _fulfil(client, objection, purpose="marketing")
    assert Objection.objects.filter(subject=alice, purpose="marketing").exists()
    objection.refresh_from_db()
    assert objection.status == DataSubjectRequest.Status.COMPLETED
    entry = AuditEntry.objects.filter(action="dsar.fulfil").last()
    assert entry.detail["purpose"] == "marketing"


def test_it_erases_an_unauthorized_profile_once_the_mailbox_is_proved(client, officer, alice):
    from cll.erasure.anonymisers import is_erased

    # Someone made an account with Alice's address; she reports it and proves the mailbox.
    visitor = Client()
    visitor.post(
        reverse("dsar:request_new"),
        {"type": "unauthorized_profile", "email": "alice@example.org"},
    )
    visitor.post(link_path(mails("verify")[0]))
    dsr = DataSubjectRequest.objects.get()
    assert dsr.verification == DataSubjectRequest.Verification.LINK
    _fulfil(client, dsr)
    alice.refresh_from_db()
    assert is_erased(alice)
    assert mails("completed", to="alice@example.org")


def test_it_refuses_an_unauthorized_profile_verified_only_by_its_session(client, officer, alice):
    owner = Client()
    owner.force_login(alice)
    owner.post(
        reverse("dsar:request_new"),
        {"type": "unauthorized_profile", "email": "alice@example.org"},
    )
    dsr = DataSubjectRequest.objects.get()
    assert dsr.verification == DataSubjectRequest.Verification.SESSION
    response = _fulfil(client, dsr)
    assert response.status_code == 400
    assert User.objects.get(pk=alice.pk).email == "alice@example.org"
    dsr.refresh_from_db()
    assert dsr.status == DataSubjectRequest.Status.OPEN


@pytest.fixture
def recipients(monkeypatch, alice):
    """Two recipients of profile fields Alice has data in (one with a contact address, one
    without), and one of a field she left empty."""
    for key, contact in (("payco", "dpo@payco.example"), ("printco", ""), ("mapco", "a@b.example")):
        monkeypatch.setitem(
            datamap.RECIPIENTS, key, datamap.Recipient(key, key.title(), "test", contact=contact)
        )
    entry = datamap.entry_for("accounts.LearnerProfile")
    for field, key in (("phone", "payco"), ("street", "printco"), ("city", "mapco")):
        monkeypatch.setitem(
            entry.fields, field, dataclasses.replace(entry.fields[field], recipients=(key,))
        )
    LearnerProfile.objects.create(
        user=alice, first_name="Alice", last_name="Martin", phone="+3210123456", street="Rue 1"
    )


@pytest.mark.parametrize("type", ["erasure", "restriction", "rectification"])
def test_it_notifies_the_recipients_of_the_persons_data(client, officer, recipients, type):
    dsr = _entered(officer, type=type)
    assert services.recipients_for(account=dsr.account) == ["payco", "printco"]
    _fulfil(client, dsr)
    dsr.refresh_from_db()
    by_key = {notice["recipient"]: notice for notice in dsr.notices}
    assert set(by_key) == {"payco", "printco"}
    assert by_key["payco"]["method"] == "email" and by_key["payco"]["notified_at"]
    assert by_key["printco"]["method"] == "manual" and by_key["printco"]["notified_at"] is None
    (notice,) = mails("recipient_notice")
    assert notice.to_address == "dpo@payco.example"
    assert "alice@example.org" in notice.text_body
    assert not mails("recipient_notice", to="a@b.example")
    notified = AuditEntry.objects.filter(action="dsar.notify")
    assert sorted(entry.detail["recipient"] for entry in notified) == ["payco", "printco"]

    page = client.get(reverse("dsar_staff:request_detail", args=[dsr.public_id]))
    assert "à informer manuellement" in page.content.decode()
    done = reverse("dsar_staff:notice_done", args=[dsr.public_id, "printco"])
    assert client.post(done).status_code == 302
    dsr.refresh_from_db()
    assert {notice["recipient"]: notice for notice in dsr.notices}["printco"]["notified_at"]
    assert AuditEntry.objects.filter(action="dsar.notify").count() == 3


def test_it_notifies_no_recipient_of_access_requests(client, officer, recipients):
    dsr = _entered(officer, type="access")
    _fulfil(client, dsr)
    dsr.refresh_from_db()
    assert dsr.notices == []
    assert not mails("recipient_notice")


def test_it_audits_every_step_with_ids_only(client, officer, alice):
    visitor = Client()
    visitor.post(reverse("dsar:request_new"), {"type": "restriction", "email": "alice@example.org"})
    visitor.post(link_path(mails("verify")[0]))
    dsr = DataSubjectRequest.objects.get()
    client.get(reverse("dsar_staff:request_detail", args=[dsr.public_id]))
    _fulfil(client, dsr)
    assert actions("dsar.") == [
        "dsar.submit",
        "dsar.verify",
        "dsar.read",
        "dsar.read",
        "dsar.fulfil",
        "dsar.complete",
    ]
    for entry in AuditEntry.objects.filter(action__startswith="dsar."):
        assert "alice" not in str(entry.detail) + entry.target + str(entry.fields)
        assert entry.detail["request"] == str(dsr.public_id)
