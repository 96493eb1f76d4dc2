"""Retention of requests: closed ones after 3 years, unverified ones 7 days after their link
expired; each deleted with its data key."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from cll.core.models import DataKey
from cll.dsar import services
from cll.dsar.models import DataSubjectRequest
from cll.dsar.retention import prune_closed_requests, prune_unverified_requests
from cll.privacy.datamap import RETENTION
from cll.privacy.retention import PRUNERS

pytestmark = pytest.mark.django_db


def _request(actor, *, verified: bool) -> DataSubjectRequest:
    return services.request_enter(
        actor=actor,
        type="access",
        email="someone@example.org",
        details="",
        language="fr",
        channel="email",
        received_at=timezone.now(),
        identity_verified=verified,
    )


def _live_key(dsr) -> bool:
    return DataKey.objects.filter(subject=dsr.public_id, destroyed_at__isnull=True).exists()


def test_it_registers_a_pruner_for_each_rule():
    assert PRUNERS["dsar-request"] is prune_closed_requests
    assert PRUNERS["dsar-unverified"] is prune_unverified_requests
    assert RETENTION["dsar-request"].days == 3 * 365
    assert "3 years" in prune_closed_requests.__doc__


def test_it_deletes_closed_requests_after_three_years(time_machine, dora):
    time_machine.move_to(datetime.datetime(2022, 1, 10, tzinfo=datetime.UTC), tick=False)
    old = _request(dora, verified=True)
    services.request_complete(request=old, actor=dora)
    time_machine.move_to(datetime.datetime(2025, 1, 8, tzinfo=datetime.UTC), tick=False)
    recent = _request(dora, verified=True)
    services.request_complete(request=recent, actor=dora)
    still_open = _request(dora, verified=True)
    # 3 x 365 days and one more.
    time_machine.move_to(datetime.datetime(2025, 1, 10, tzinfo=datetime.UTC), tick=False)
    assert prune_closed_requests(dry_run=True) == 1
    assert DataSubjectRequest.objects.count() == 3
    assert prune_closed_requests() == 1
    assert set(DataSubjectRequest.objects.values_list("pk", flat=True)) == {
        recent.pk,
        still_open.pk,
    }
    assert not _live_key(old) and _live_key(recent)


def test_it_deletes_unverified_requests_a_week_after_the_link_expired(time_machine, dora):
    time_machine.move_to(datetime.datetime(2025, 1, 1, tzinfo=datetime.UTC), tick=False)
    waiting = _request(dora, verified=False)
    verified = _request(dora, verified=True)
    # Link valid 48 h, then 7 days: gone on the 10th day, not on the 9th.
    time_machine.move_to(datetime.datetime(2025, 1, 9, 23, tzinfo=datetime.UTC), tick=False)
    assert prune_unverified_requests() == 0
    time_machine.move_to(datetime.datetime(2025, 1, 10, 1, tzinfo=datetime.UTC), tick=False)
    assert prune_unverified_requests() == 1
    assert list(DataSubjectRequest.objects.all()) == [verified]
    assert not _live_key(waiting)


def test_its_command_states_the_rules_and_prunes(time_machine, dora):
    from io import StringIO

    from django.core.management import call_command, load_command_class

    help_text = load_command_class("cll.dsar", "prune_dsar_requests").help
    assert "3 years" in help_text and "7 days" in help_text
    time_machine.move_to(datetime.datetime(2025, 1, 1, tzinfo=datetime.UTC), tick=False)
    _request(dora, verified=False)
    time_machine.move_to(datetime.datetime(2025, 2, 1, tzinfo=datetime.UTC), tick=False)
    out = StringIO()
    call_command("prune_dsar_requests", "--dry-run", stdout=out)
    assert "0 closed and 1 unverified" in out.getvalue()
    assert DataSubjectRequest.objects.count() == 1
    call_command("prune_dsar_requests", stdout=StringIO())
    assert not DataSubjectRequest.objects.exists()
