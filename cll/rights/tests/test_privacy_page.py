"""The "my privacy" page and its export download: owner only, single use, expiry, progress."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from cll.privacy.models import AuditEntry
from cll.rights import services
from cll.rights.models import ExportJob
from cll.rights.tasks import export_build

pytestmark = pytest.mark.django_db


def _ready(user) -> ExportJob:
    job = services.export_start(subject=user)
    export_build.call(str(job.public_id))
    job.refresh_from_db()
    return job


def _download_url(job) -> str:
    return reverse("rights:export_download", args=[job.public_id])


def test_it_requires_login(client):
    response = client.get(reverse("rights:home"))
    assert response.status_code == 302
    assert "login" in response["Location"]


def test_it_explains_each_right_and_links_to_it(client, alice):
    client.force_login(alice)
    response = client.get(reverse("rights:home"))
    assert response.status_code == 200
    page = response.content.decode()
    assert reverse("accounts:profile") in page
    assert reverse("accounts:deactivate") in page
    assert reverse("rights:export_request") in page
    assert reverse("rights:restriction_set") in page
    assert reverse("rights:objection_set") in page
    assert reverse("erasure:request") in page
    assert reverse("dsar:request_new") in page
    assert "no-store" in response["Cache-Control"]
    assert 'http-equiv="refresh"' not in page


def test_it_shows_progress_and_refreshes_while_the_export_is_built(client, alice):
    client.force_login(alice)
    client.post(reverse("rights:export_request"))
    job = ExportJob.objects.get(subject=alice)
    ExportJob.objects.filter(pk=job.pk).update(status=ExportJob.Status.RUNNING, progress=42)
    page = client.get(reverse("rights:home")).content.decode()
    assert '<meta http-equiv="refresh"' in page
    assert '<progress max="100" value="42"' in page
    assert "<script" not in page.split("<footer")[0].split("</header>")[-1]


def test_it_offers_the_download_when_ready_and_stops_refreshing(client, alice):
    job = _ready(alice)
    client.force_login(alice)
    page = client.get(reverse("rights:home")).content.decode()
    assert _download_url(job) in page
    assert 'http-equiv="refresh"' not in page


def test_it_lets_the_owner_download_once(client, alice):
    job = _ready(alice)
    client.force_login(alice)
    response = client.post(_download_url(job))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    assert "attachment" in response["Content-Disposition"]
    body = b"".join(response.streaming_content)
    assert body[:2] == b"PK" and len(body) == job.file_size
    job.refresh_from_db()
    assert job.status == ExportJob.Status.DOWNLOADED and job.downloaded_at is not None
    # The file is gone once read.
    from cll.rights import export

    assert not (export.export_dir() / job.file_name).exists()
    entry = AuditEntry.objects.get(action="export.download")
    assert entry.subject == alice.public_id and entry.actor == alice.public_id

    again = client.post(_download_url(job), follow=True)
    assert again.status_code == 200
    assert "a déjà été téléchargé" in again.content.decode()
    assert AuditEntry.objects.filter(action="export.download").count() == 1


def test_it_refuses_a_download_by_get(client, alice):
    job = _ready(alice)
    client.force_login(alice)
    assert client.get(_download_url(job)).status_code == 405


def test_it_hides_an_export_from_everyone_but_its_owner(client, alice, charlie, dora):
    from conftest import staff_login

    job = _ready(alice)
    client.force_login(charlie)
    assert client.post(_download_url(job)).status_code == 404
    staff_login(client, dora)
    assert client.post(_download_url(job)).status_code == 404
    job.refresh_from_db()
    assert job.status == ExportJob.Status.READY
    assert not AuditEntry.objects.filter(action="export.download").exists()


def test_it_answers_404_for_an_unknown_export(client, alice):
    import uuid

    client.force_login(alice)
    url = reverse("rights:export_download", args=[uuid.uuid4()])
    assert client.post(url).status_code == 404


def test_it_refuses_an_expired_export_with_a_clear_message(client, alice, settings):
    job = _ready(alice)
    client.force_login(alice)
    later = timezone.now() + dt.timedelta(days=settings.EXPORT_EXPIRY_DAYS, minutes=1)
    with time_machine.travel(later):
        response = client.post(_download_url(job), follow=True)
    assert "Cet export a expiré" in response.content.decode()
    job.refresh_from_db()
    assert job.status == ExportJob.Status.READY and job.downloaded_at is None


def test_it_starts_an_export_from_the_page_and_audits_it(client, alice):
    client.force_login(alice)
    response = client.post(reverse("rights:export_request"))
    assert response.status_code == 302
    job = ExportJob.objects.get(subject=alice)
    assert job.status == ExportJob.Status.PENDING
    entry = AuditEntry.objects.get(action="export.request")
    assert entry.subject == alice.public_id and entry.route == "rights:home"


def test_it_refuses_to_start_an_export_by_get(client, alice):
    client.force_login(alice)
    assert client.get(reverse("rights:export_request")).status_code == 405
    assert not ExportJob.objects.exists()


def test_it_lets_the_privacy_officer_start_an_export_for_someone(alice, dora):
    job = services.export_start(subject=alice, actor=dora)
    entry = AuditEntry.objects.get(action="export.request")
    assert entry.actor == dora.public_id and entry.actor_role == "Privacy officer"
    assert job.subject == alice


def test_it_keeps_the_single_use_when_the_file_cannot_be_read(client, alice):
    from cll.rights import export

    job = _ready(alice)
    (export.export_dir() / job.file_name).unlink()
    client.force_login(alice)
    response = client.post(_download_url(job), follow=True)
    assert "ne peut plus être lu" in response.content.decode()
    job.refresh_from_db()
    assert job.status == ExportJob.Status.READY
    assert not AuditEntry.objects.filter(action="export.download").exists()


def test_it_offers_a_new_export_once_the_last_one_expired(client, alice, settings):
    job = _ready(alice)
    client.force_login(alice)
    later = timezone.now() + dt.timedelta(days=settings.EXPORT_EXPIRY_DAYS, minutes=1)
    with time_machine.travel(later):
        page = client.get(reverse("rights:home")).content.decode()
    assert _download_url(job) not in page
    assert reverse("rights:export_request") in page


def test_it_requires_login_to_download(client, alice):
    job = _ready(alice)
    response = client.post(_download_url(job))
    assert response.status_code == 302 and "login" in response["Location"]
    job.refresh_from_db()
    assert job.status == ExportJob.Status.READY


def test_it_shows_each_person_only_their_own_export(client, alice, charlie):
    job = _ready(alice)
    client.force_login(charlie)
    page = client.get(reverse("rights:home")).content.decode()
    assert str(job.public_id) not in page
    assert reverse("rights:export_request") in page
