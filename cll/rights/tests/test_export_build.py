"""Building an export: the file, its encryption, progress, the e-mail and the audit entries."""

from __future__ import annotations

import pytest
from django.core import mail

from cll.core import encryption as crypto
from cll.core.models import OutboxEmail
from cll.privacy.models import AuditEntry
from cll.rights import export, services
from cll.rights.models import ExportJob
from cll.rights.tasks import export_build
from cll.rights.tests.conftest import export_json, read_export

pytestmark = pytest.mark.django_db


def _built(user) -> ExportJob:
    job = services.export_start(subject=user)
    assert export_build.call(str(job.public_id)) == ExportJob.Status.READY
    job.refresh_from_db()
    return job


def test_it_builds_a_zip_with_json_and_html(alice):
    job = _built(alice)
    assert job.status == ExportJob.Status.READY
    assert job.progress == 100
    assert job.expires_at is not None and job.finished_at is not None
    archive = read_export(job)
    assert archive.namelist() == ["data.json", "index.html"]
    data = export_json(job)
    assert data["schema"] == "cll.data-export"
    assert data["version"] == export.SCHEMA_VERSION
    assert data["subject"] == str(alice.public_id)
    users = next(r for r in data["records"] if r["model"] == "accounts.User")
    assert users["rows"][0]["email"] == "alice@example.org"
    assert "withheld" in users["fields"]["password"]
    assert "password" not in users["rows"][0]
    page = archive.read("index.html").decode()
    assert "alice@example.org" in page
    assert "<script" not in page and "http://" not in page and "https://" not in page


def test_it_stores_the_file_encrypted_with_the_persons_key(alice):
    job = _built(alice)
    raw = (export.export_dir() / job.file_name).read_bytes()
    assert b"alice@example.org" not in raw
    assert b"data.json" not in raw
    assert job.file_size == sum(
        len(c)
        for c in export.sealed_chunks(export.export_dir() / job.file_name, subject=alice.public_id)
    )
    # Erasure shreds the key: the file can no longer be opened.
    crypto.data_key_destroy(subject=alice.public_id)
    with pytest.raises(export.ExportUnreadable):
        b"".join(export.sealed_chunks(export.export_dir() / job.file_name, subject=alice.public_id))


def test_it_refuses_an_altered_or_truncated_file(alice):
    job = _built(alice)
    path = export.export_dir() / job.file_name
    raw = path.read_bytes()
    path.write_bytes(raw[:-1])
    with pytest.raises(export.ExportUnreadable):
        b"".join(export.sealed_chunks(path, subject=alice.public_id))
    flipped = bytearray(raw)
    flipped[40] ^= 1
    path.write_bytes(bytes(flipped))
    with pytest.raises(export.ExportUnreadable):
        b"".join(export.sealed_chunks(path, subject=alice.public_id))


def test_it_emails_the_owner_a_link_to_their_privacy_page(alice):
    job = _built(alice)
    email = OutboxEmail.objects.get(person=alice.public_id, kind="emails/rights_export_ready")
    assert email.to_address == "alice@example.org"
    assert "/account/privacy/" in email.text_body
    assert str(job.public_id) not in email.text_body
    assert not mail.outbox  # through the outbox, never sent in the request


def test_it_records_request_and_build_in_the_ledger(alice):
    job = _built(alice)
    actions = list(
        AuditEntry.objects.filter(subject=alice.public_id).values_list("action", flat=True)
    )
    assert "export.request" in actions and "export.build" in actions
    build = AuditEntry.objects.get(subject=alice.public_id, action="export.build")
    assert build.detail["job"] == str(job.public_id)


def test_it_reports_progress_as_it_goes(alice, monkeypatch):
    seen = []
    original = export.write_export

    def spy(**kwargs):
        progress = kwargs["progress"]

        def record(percent):
            progress(percent)
            seen.append(ExportJob.objects.get(subject=alice).progress)

        return original(**{**kwargs, "progress": record})

    monkeypatch.setattr(export, "write_export", spy)
    monkeypatch.setattr(export, "BATCH", 1)
    _built(alice)
    assert seen and seen == sorted(seen) and 0 < max(seen) < 100


def test_it_returns_the_running_job_instead_of_starting_another(alice):
    first = services.export_start(subject=alice)
    again = services.export_start(subject=alice)
    assert again.pk == first.pk
    assert ExportJob.objects.filter(subject=alice).count() == 1


def test_it_enqueues_the_build_when_the_request_commits(alice, django_capture_on_commit_callbacks):
    from django_tasks_db.models import DBTaskResult

    with django_capture_on_commit_callbacks(execute=True):
        job = services.export_start(subject=alice)
    task = DBTaskResult.objects.get(task_path="cll.rights.tasks.export_build")
    assert task.args_kwargs["args"] == [str(job.public_id)]


def test_it_marks_a_failed_build_and_leaves_no_file(alice, monkeypatch):
    def boom(**kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(export, "write_export", boom)
    job = services.export_start(subject=alice)
    with pytest.raises(RuntimeError):
        export_build.call(str(job.public_id))
    job.refresh_from_db()
    assert job.status == ExportJob.Status.FAILED
    assert not list(export.export_dir().iterdir())


def test_it_keeps_cells_aligned_when_a_value_holds_control_characters(alice):
    from cll.accounts.models import LearnerProfile

    LearnerProfile.objects.create(
        user=alice, first_name="Alice", last_name="L", other_details="a\x01b\x00c"
    )
    job = _built(alice)
    page = read_export(job).read("index.html").decode()
    assert "a\ufffdb\ufffdc" in page
    assert "\x00" not in page and "\x01" not in page
    data = export_json(job)
    profile = next(r for r in data["records"] if r["model"] == "accounts.LearnerProfile")
    assert profile["rows"][0]["other_details"] == "a\x01b\x00c"


def test_it_replaces_an_export_stuck_after_a_worker_died(alice):
    import datetime as dt

    import time_machine
    from django.utils import timezone

    stuck = services.export_start(subject=alice)
    with time_machine.travel(timezone.now() + services.STUCK_AFTER + dt.timedelta(minutes=1)):
        fresh = services.export_start(subject=alice)
    assert fresh.pk != stuck.pk
    stuck.refresh_from_db()
    assert stuck.status == ExportJob.Status.FAILED
    # The late worker, if it ever runs, leaves the failed job alone.
    assert export_build.call(str(stuck.public_id)) == ExportJob.Status.FAILED
