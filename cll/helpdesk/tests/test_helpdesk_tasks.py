"""The helpdesk's periodic jobs: closing solved tickets, announcing breached service levels."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest
import time_machine

from cll.core.models import OutboxEmail
from cll.helpdesk import services, staff_services, tasks
from cll.helpdesk.models import Status, Ticket
from cll.helpdesk.tests.test_staff_console import open_ticket
from cll.privacy.models import AuditEntry

pytestmark = pytest.mark.django_db

BRUSSELS = zoneinfo.ZoneInfo("Europe/Brussels")
# Monday 5 January 2026, 9:00 in Brussels.
MONDAY_9 = dt.datetime(2026, 1, 5, 9, tzinfo=BRUSSELS)


def overdue_mails() -> list[OutboxEmail]:
    return list(OutboxEmail.objects.filter(kind="emails/helpdesk_staff_overdue"))


def test_it_closes_tickets_solved_long_enough_ago(settings, cecile):
    settings.HELPDESK_AUTOCLOSE_DAYS = 7
    with time_machine.travel(MONDAY_9, tick=False):
        old = open_ticket()
        recent = open_ticket()
        still_open = open_ticket()
        staff_services.ticket_status_set(ticket=old, actor=cecile, status=Status.SOLVED)
    with time_machine.travel(MONDAY_9 + dt.timedelta(days=5), tick=False):
        staff_services.ticket_status_set(ticket=recent, actor=cecile, status=Status.SOLVED)
    with time_machine.travel(MONDAY_9 + dt.timedelta(days=7, minutes=1), tick=False):
        assert staff_services.tickets_autoclose() == 1
    for ticket in (old, recent, still_open):
        ticket.refresh_from_db()
    assert old.status == Status.CLOSED and old.closed_at
    assert recent.status == Status.SOLVED and still_open.status == Status.NEW
    (entry,) = AuditEntry.objects.filter(action="helpdesk.ticket.close", actor=None)
    assert entry.target == f"helpdesk.Ticket:{old.public_id}"
    assert entry.detail["by"] == "autoclose"


def test_a_message_from_the_person_saves_a_solved_ticket_from_autoclose(settings, cecile):
    settings.HELPDESK_AUTOCLOSE_DAYS = 7
    with time_machine.travel(MONDAY_9, tick=False):
        ticket = open_ticket()
        staff_services.ticket_status_set(ticket=ticket, actor=cecile, status=Status.SOLVED)
    with time_machine.travel(MONDAY_9 + dt.timedelta(days=3), tick=False):
        services.ticket_reply_by_requester(ticket=ticket, body="Not quite.", channel="portal")
    with time_machine.travel(MONDAY_9 + dt.timedelta(days=30), tick=False):
        assert staff_services.tickets_autoclose() == 0
    ticket.refresh_from_db()
    assert ticket.status == Status.OPEN


def test_it_announces_a_missed_first_answer_once(settings, cecile):
    settings.HELPDESK_FIRST_RESPONSE_HOURS = 8
    with time_machine.travel(MONDAY_9, tick=False):
        ticket = open_ticket()
    # Due Monday 17:00 (Brussels).
    assert ticket.first_response_due == MONDAY_9 + dt.timedelta(hours=8)
    assert tasks.sla_breaches_notify(now=MONDAY_9 + dt.timedelta(hours=8, minutes=14)) == 0
    assert tasks.sla_breaches_notify(now=MONDAY_9 + dt.timedelta(hours=8, minutes=15)) == 1
    assert tasks.sla_breaches_notify(now=MONDAY_9 + dt.timedelta(hours=8, minutes=30)) == 0
    (mail,) = overdue_mails()
    assert mail.to_address == cecile.email
    assert ticket.reference in mail.subject
    assert "première réponse" in mail.text_body  # French: the staff member's language
    assert "Chloé" not in mail.text_body and "Hello" not in mail.text_body.split("--")[0]


def test_it_does_not_announce_answered_or_waiting_tickets(settings, cecile):
    with time_machine.travel(MONDAY_9, tick=False):
        answered = open_ticket()
        staff_services.ticket_reply_by_staff(ticket=answered, actor=cecile, body="Hi")
    assert tasks.sla_breaches_notify(now=MONDAY_9 + dt.timedelta(hours=8, minutes=15)) == 0
    # Pending: the delay is the person's.
    resolution_due = Ticket.objects.get(pk=answered.pk).resolution_due
    assert tasks.sla_breaches_notify(now=resolution_due + dt.timedelta(minutes=15)) == 0
    assert not overdue_mails()


def test_the_scheduler_runs_both_jobs():
    from crontask import scheduler

    import cll.helpdesk.tasks  # noqa: F401  (registers its jobs, as crontask's loading does)

    names = {job.name: str(job.trigger) for job in scheduler.get_jobs()}
    assert "minute='17'" in names["helpdesk_autoclose_due"]
    assert "minute='*/15'" in names["helpdesk_sla_breaches_notify"]
