"""Retention of exports: used or expired files deleted, old records deleted."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core.management import call_command
from django.utils import timezone

from cll.privacy.retention import PRUNERS
from cll.rights import export, services
from cll.rights.models import ExportJob
from cll.rights.privacy import EXPORT_FILE
from cll.rights.retention import prune_exports
from cll.rights.tasks import export_build

pytestmark = pytest.mark.django_db


def _ready(user) -> ExportJob:
    job = services.export_start(subject=user)
    export_build.call(str(job.public_id))
    job.refresh_from_db()
    return job


def test_it_is_registered_for_the_export_rule():
    assert PRUNERS[EXPORT_FILE] is prune_exports


def test_it_deletes_the_file_of_an_expired_export(alice, settings):
    job = _ready(alice)
    path = export.export_dir() / job.file_name
    assert prune_exports() == 0 and path.exists()
    later = timezone.now() + dt.timedelta(days=settings.EXPORT_EXPIRY_DAYS, minutes=1)
    with time_machine.travel(later):
        assert prune_exports(dry_run=True) == 1
        assert path.exists()
        assert prune_exports() == 1
    assert not path.exists()
    job.refresh_from_db()
    assert job.status == ExportJob.Status.EXPIRED and job.file_name == ""


def test_it_deletes_a_downloaded_file_left_behind(alice):
    job = _ready(alice)
    path = export.export_dir() / job.file_name
    ExportJob.objects.filter(pk=job.pk).update(status=ExportJob.Status.DOWNLOADED)
    assert prune_exports() == 1
    assert not path.exists()


def test_it_deletes_records_after_thirty_days(alice):
    _ready(alice)
    with time_machine.travel(timezone.now() + dt.timedelta(days=31)):
        call_command("prune_exports", verbosity=0)
    assert not ExportJob.objects.exists()
    assert not list(export.export_dir().iterdir())
