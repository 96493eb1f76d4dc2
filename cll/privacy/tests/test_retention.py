"""Third-party tables are pruned by the periods their data-map rules declare."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.admin.models import ADDITION, LogEntry
from django.contrib.contenttypes.models import ContentType
from django.contrib.sessions.models import Session
from django.core.management import call_command
from django.utils import timezone

from cll.privacy import thirdparty
from cll.privacy.datamap import RETENTION
from cll.privacy.tasks import retention_run_daily


def _log(user, age: timedelta) -> LogEntry:
    entry = LogEntry.objects.create(
        user=user,
        content_type=ContentType.objects.get_for_model(user),
        object_id=str(user.pk),
        object_repr="x",
        action_flag=ADDITION,
    )
    LogEntry.objects.filter(pk=entry.pk).update(action_time=timezone.now() - age)
    return entry


def test_it_prunes_admin_log_rows_past_the_rule_and_keeps_younger_ones(dora):
    days = RETENTION[thirdparty.ADMIN_LOG].days
    old = _log(dora, timedelta(days=days, hours=1))
    young = _log(dora, timedelta(days=days - 1))

    call_command("prune_admin_log", "--dry-run")
    assert LogEntry.objects.filter(pk=old.pk).exists()

    assert retention_run_daily.call()["admin-log"] == 1
    assert not LogEntry.objects.filter(pk=old.pk).exists()
    assert LogEntry.objects.filter(pk=young.pk).exists()


@pytest.mark.django_db
def test_it_clears_expired_sessions():
    Session.objects.create(
        session_key="expired", session_data="", expire_date=timezone.now() - timedelta(seconds=1)
    )
    Session.objects.create(
        session_key="live", session_data="", expire_date=timezone.now() + timedelta(days=1)
    )
    retention_run_daily.call()
    assert list(Session.objects.values_list("session_key", flat=True)) == ["live"]
