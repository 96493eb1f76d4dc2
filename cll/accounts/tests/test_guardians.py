"""Children under the digital consent age: parental consent by e-mailed link, guardians."""

from __future__ import annotations

import datetime
import io
import json
import re
import zipfile

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from cll.accounts.models import Guardianship, LearnerProfile, ParentalConsentRequest, User
from cll.core.models import DataKey
from cll.core.outbox import outbox_deliver_due
from cll.privacy.models import AuditEntry
from conftest import PASSWORD

pytestmark = pytest.mark.django_db

TEN_YEARS_AGO = (timezone.localdate() - datetime.timedelta(days=365 * 10 + 3)).isoformat()
CHILD = {
    "first_name": "Lotte",
    "last_name": "Peeters",
    "birth_date": TEN_YEARS_AGO,
    "native_language": "Nederlands",
    "learning_languages": "Français",
    "level": "A1",
}


def _child_signup(client) -> None:
    response = client.post(
        reverse("account_signup"),
        {
            "email": "lotte@example.org",
            "password1": PASSWORD,
            "password2": PASSWORD,
            **CHILD,
        },
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:parental_consent_start")


def _request_consent(client, smtp_server, parent_email="gina@example.org") -> str:
    response = client.post(
        reverse("accounts:parental_consent_start"), {"parent_email": parent_email}
    )
    assert response.status_code == 200
    outbox_deliver_due()
    (received,) = smtp_server.wait_for(1)
    assert received.rcpt_tos == (parent_email,)
    body = received.message.get_body(preferencelist=("plain",)).get_content()
    return re.search(r"https?://[^/\s]+(/\S+)", body).group(1)


def test_a_child_registers_through_a_parent(client, smtp_server, gina):
    _child_signup(client)
    # Nothing the child typed is kept: no account, no profile.
    assert not User.objects.filter(email="lotte@example.org").exists()
    assert not LearnerProfile.objects.exists()

    link = _request_consent(client, smtp_server)
    (request,) = ParentalConsentRequest.objects.all()
    assert request.parent_email == "gina@example.org"  # sealed at rest, nothing else kept

    # The parent follows the link: signs in first, then completes the child's profile.
    parent = Client()
    response = parent.get(link)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))
    parent.force_login(gina)
    assert parent.get(link).status_code == 200
    response = parent.post(link, CHILD)
    assert response.status_code == 302

    (guardianship,) = Guardianship.objects.filter(guardian=gina)
    child = guardianship.child
    assert child.profile.first_name == "Lotte"
    assert not child.has_usable_password()
    (consent,) = AuditEntry.objects.filter(action="consent.parental")
    assert consent.actor == gina.public_id
    assert consent.subject == child.public_id
    assert consent.detail["guardian"] == str(gina.public_id)
    assert consent.detail["child"] == str(child.public_id)
    assert consent.detail["policy_version"] == guardianship.policy_version
    # The request and its key are gone.
    assert not ParentalConsentRequest.objects.exists()
    assert DataKey.objects.get(subject=request.public_id).destroyed_at is not None

    # The link cannot be used twice.
    assert parent.get(link).status_code == 404
    assert parent.post(link, CHILD).status_code == 404
    assert Guardianship.objects.count() == 1

    # The guardian sees, exports and deletes the child's data.
    assert "Lotte" in parent.get(reverse("accounts:profile")).content.decode()
    export = parent.get(reverse("rights:child_export", args=[child.public_id]))
    assert export.status_code == 200
    # The same export as "download all my data" (the data-map engine), about the child.
    with zipfile.ZipFile(io.BytesIO(b"".join(export.streaming_content))) as archive:
        data = json.loads(archive.read("data.json"))
    assert data["subject"] == str(child.public_id)
    (profile,) = [r for r in data["records"] if r["model"] == "accounts.LearnerProfile"]
    assert profile["rows"][0]["first_name"] == "Lotte"
    assert AuditEntry.objects.filter(
        action="guardianship.export", subject=child.public_id, actor=gina.public_id
    ).exists()
    assert parent.post(reverse("erasure:child_delete", args=[child.public_id])).status_code == 302
    child.refresh_from_db()
    assert not LearnerProfile.objects.filter(user=child).exists()
    assert not child.is_active
    assert not Guardianship.objects.filter(child=child).exists()
    assert (
        reverse("rights:child_export", args=[child.public_id])
        not in parent.get(reverse("accounts:profile")).content.decode()
    )
    assert AuditEntry.objects.filter(
        action="account.delete", subject=child.public_id, actor=gina.public_id
    ).exists()


def test_an_expired_link_is_refused(client, smtp_server, gina):
    link = _request_consent(client, smtp_server)
    ParentalConsentRequest.objects.update(expires_at=timezone.now() - datetime.timedelta(seconds=1))
    parent = Client()
    parent.force_login(gina)
    assert parent.get(link).status_code == 404
    assert parent.post(link, CHILD).status_code == 404
    assert not Guardianship.objects.exists()


def test_an_unknown_link_is_refused(gina):
    parent = Client()
    parent.force_login(gina)
    url = reverse("accounts:parental_consent", args=["not-a-real-token"])
    assert parent.get(url).status_code == 404


def test_a_stranger_cannot_see_or_manage_someone_elses_child(client, smtp_server, gina, charlie):
    link = _request_consent(client, smtp_server)
    parent = Client()
    parent.force_login(gina)
    parent.post(link, CHILD)
    child = Guardianship.objects.get(guardian=gina).child

    stranger = Client()
    stranger.force_login(charlie)
    assert "Lotte" not in stranger.get(reverse("accounts:profile")).content.decode()
    assert stranger.get(reverse("rights:child_export", args=[child.public_id])).status_code == 404
    url = reverse("erasure:child_delete", args=[child.public_id])
    assert stranger.get(url).status_code == 404
    assert stranger.post(url).status_code == 404
    assert LearnerProfile.objects.filter(user=child).exists()


def test_an_adult_registers_normally(client, smtp_server):
    response = client.post(
        reverse("account_signup"),
        {
            "email": "adult@example.org",
            "password1": PASSWORD,
            "password2": PASSWORD,
            **CHILD,
            "birth_date": "1990-01-01",
        },
    )
    assert response.status_code == 302
    assert User.objects.filter(email="adult@example.org").exists()


def test_a_child_who_reached_the_age_takes_over_their_account(client, smtp_server, gina, charlie):
    link = _request_consent(client, smtp_server)
    parent = Client()
    parent.force_login(gina)
    parent.post(link, CHILD)
    child = Guardianship.objects.get(guardian=gina).child
    url = reverse("accounts:child_handover", args=[child.public_id])
    # Too young yet.
    assert parent.get(url).status_code == 404

    profile = child.profile
    profile.birth_date = timezone.localdate() - datetime.timedelta(days=365 * 13 + 5)
    profile.save()
    stranger = Client()
    stranger.force_login(charlie)
    assert stranger.get(url).status_code == 404
    assert parent.get(url).status_code == 200
    response = parent.post(
        url, {"email": "Lotte@Example.org", "password1": PASSWORD, "password2": PASSWORD}
    )
    assert response.status_code == 302
    child.refresh_from_db()
    assert child.email == "lotte@example.org"
    assert child.check_password(PASSWORD)
    assert Guardianship.objects.get(child=child).status == Guardianship.Status.HANDED_OVER
    assert AuditEntry.objects.filter(
        action="guardianship.handover", subject=child.public_id, actor=gina.public_id
    ).exists()
    # The guardian no longer manages the account.
    assert parent.get(reverse("rights:child_export", args=[child.public_id])).status_code == 404


def test_a_guardian_adds_a_child_from_their_profile(gina):
    parent = Client()
    parent.force_login(gina)
    page = parent.get(reverse("accounts:profile")).content.decode()
    assert reverse("accounts:child_add") in page
    assert parent.get(reverse("accounts:child_add")).status_code == 200
    assert parent.post(reverse("accounts:child_add"), CHILD).status_code == 302
    child = Guardianship.objects.get(guardian=gina).child
    assert child.profile.last_name == "Peeters"
    assert AuditEntry.objects.filter(action="consent.parental", subject=child.public_id).exists()


def test_expired_requests_are_purged_with_their_key(client, smtp_server):
    from cll.accounts.services import parental_consent_requests_purge

    _request_consent(client, smtp_server)
    (request,) = ParentalConsentRequest.objects.all()
    assert parental_consent_requests_purge() == 0
    ParentalConsentRequest.objects.update(expires_at=timezone.now())
    assert parental_consent_requests_purge() == 1
    assert not ParentalConsentRequest.objects.exists()
    assert DataKey.objects.get(subject=request.public_id).destroyed_at is not None
