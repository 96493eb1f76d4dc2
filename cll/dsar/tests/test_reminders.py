"""Reminders 7, 3 and 1 days before a deadline, and daily escalation once overdue."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from cll.dsar import services
from cll.dsar.models import DataSubjectRequest
from cll.dsar.tasks import dsar_deadlines_check
from cll.dsar.tests.conftest import mails
from cll.privacy.models import AuditEntry

pytestmark = pytest.mark.django_db

START = datetime.datetime(2025, 3, 1, 9, tzinfo=datetime.UTC)  # deadline: 31 March


def _at(time_machine, day: datetime.date) -> None:
    time_machine.move_to(datetime.datetime.combine(day, datetime.time(8, tzinfo=datetime.UTC)))


def _request(actor) -> DataSubjectRequest:
    return services.request_enter(
        actor=actor,
        type="access",
        email="alice@example.org",
        details="",
        language="fr",
        channel="email",
        received_at=timezone.now(),
        identity_verified=True,
    )


def test_it_reminds_7_3_and_1_days_before_then_escalates_daily(time_machine, dora, adam, alice):
    time_machine.move_to(START, tick=False)
    dsr = _request(dora)
    assert dsr.due_on == datetime.date(2025, 3, 31)
    sent_on: dict[datetime.date, list[tuple[str, str]]] = {}
    day = datetime.date(2025, 3, 1)
    while day <= datetime.date(2025, 4, 3):
        _at(time_machine, day)
        before = {row.pk for row in mails("reminder") + mails("overdue")}
        # Twice a day: the second run sends nothing new.
        dsar_deadlines_check.call()
        dsar_deadlines_check.call()
        new = [row for row in mails("reminder") + mails("overdue") if row.pk not in before]
        if new:
            sent_on[day] = sorted((row.kind.rsplit("_", 1)[1], row.to_address) for row in new)
        day += datetime.timedelta(days=1)

    officer = "dora@example.org"
    admin = "adam@example.org"
    assert sent_on == {
        datetime.date(2025, 3, 24): [("reminder", officer)],
        datetime.date(2025, 3, 28): [("reminder", officer)],
        datetime.date(2025, 3, 30): [("reminder", officer)],
        datetime.date(2025, 4, 1): [("overdue", admin), ("overdue", officer)],
        datetime.date(2025, 4, 2): [("overdue", admin), ("overdue", officer)],
        datetime.date(2025, 4, 3): [("overdue", admin), ("overdue", officer)],
    }
    # Staff e-mails name the request, never the person.
    for row in mails("reminder") + mails("overdue"):
        assert "alice" not in row.text_body
        assert str(dsr.public_id) in row.text_body
    assert AuditEntry.objects.filter(action="dsar.remind").count() == 3
    assert AuditEntry.objects.filter(action="dsar.escalate").count() == 3


def test_it_catches_up_a_missed_reminder_with_one_message(time_machine, dora):
    time_machine.move_to(START, tick=False)
    _request(dora)
    # The scheduler was down until two days before the deadline.
    _at(time_machine, datetime.date(2025, 3, 29))
    assert services.deadlines_check() == {"reminded": 1, "escalated": 0}
    (reminder,) = mails("reminder")
    assert "2" in reminder.subject
    assert DataSubjectRequest.objects.get().reminders_sent == [7, 3]
    _at(time_machine, datetime.date(2025, 3, 30))
    assert services.deadlines_check()["reminded"] == 1


def test_it_counts_down_again_to_an_extended_deadline(time_machine, dora):
    time_machine.move_to(START, tick=False)
    dsr = _request(dora)
    _at(time_machine, datetime.date(2025, 3, 30))
    services.deadlines_check()
    services.request_extend(request=dsr, actor=dora, months=1, reason="Complex request.")
    assert DataSubjectRequest.objects.get().reminders_sent == []
    _at(time_machine, datetime.date(2025, 4, 1))
    # Not overdue any more: the deadline is now 30 April.
    assert services.deadlines_check() == {"reminded": 0, "escalated": 0}
    _at(time_machine, datetime.date(2025, 4, 23))
    assert services.deadlines_check()["reminded"] == 1


def test_it_leaves_closed_and_unverified_requests_alone(time_machine, dora):
    time_machine.move_to(START, tick=False)
    closed = _request(dora)
    services.request_complete(request=closed, actor=dora)
    services.request_enter(
        actor=dora,
        type="access",
        email="x@example.org",
        details="",
        language="fr",
        channel="post",
        received_at=timezone.now(),
        identity_verified=False,
    )
    _at(time_machine, datetime.date(2025, 5, 1))
    assert services.deadlines_check() == {"reminded": 0, "escalated": 0}
    assert not mails("reminder") and not mails("overdue")


def test_it_is_scheduled_daily():
    from crontask import scheduler

    (job,) = [job for job in scheduler.get_jobs() if job.name == "dsar_deadlines_check"]
    assert "hour='8'" in str(job.trigger) and "minute='0'" in str(job.trigger)
