"""scripts/run.sh shows a helpdesk in use: ``load_demo_helpdesk`` gives Customer service a
member (cecile), canned replies in the three languages and eight tickets in every state and
from every channel, written through the helpdesk's services (sealed, audited, e-mailed through
the outbox), one of them overdue, with internal notes that are never e-mailed. Running
it twice changes nothing."""

from __future__ import annotations

import datetime as dt
import io
import zoneinfo

import pytest
import time_machine
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from cll.accounts.models import User
from cll.core.models import OutboxEmail
from cll.core.roles import Role, staff_roles_of
from cll.helpdesk import demo
from cll.helpdesk.models import CannedReply, Channel, Status, Ticket, TicketMessage
from cll.helpdesk.sla import SlaState, sla_state
from cll.privacy.models import AuditEntry
from conftest import staff_login

pytestmark = pytest.mark.django_db


def load_school() -> None:
    call_command("load_demo", sessions=12, stdout=io.StringIO())
    call_command("load_demo_accounts", stdout=io.StringIO())


def load_helpdesk() -> str:
    out = io.StringIO()
    call_command("load_demo_helpdesk", verbosity=2, stdout=out)
    return out.getvalue()


def counts() -> dict[str, int]:
    return {
        "tickets": Ticket.objects.count(),
        "messages": TicketMessage.objects.count(),
        "canned": CannedReply.objects.count(),
        "audit": AuditEntry.objects.count(),
        "outbox": OutboxEmail.objects.count(),
        "users": User.objects.count(),
    }


def test_it_fills_the_helpdesk_through_its_services_once():
    load_school()
    output = load_helpdesk()
    assert "8 tickets, 6 canned replies" in output
    first = counts()

    assert "0 tickets, 0 canned replies" in load_helpdesk()
    assert counts() == first

    tickets = list(Ticket.objects.all())
    assert len(tickets) == 8
    assert {t.status for t in tickets} == set(Status.values)
    assert {t.channel for t in tickets} == {Channel.FORM, Channel.EMAIL, Channel.STAFF}
    # Demo learners' tickets are on their accounts; visitors' carry their secret link.
    assert {t.account.email for t in tickets if t.account} == {
        f"{name}@demo.cll.be" for name in ("alice", "lucas", "sofia", "gina")
    }
    assert all(t.access_token for t in tickets if t.account is None)
    assert Ticket.objects.filter(session__isnull=False).count() == 1
    # Each ticket was opened through the service, with its audit entry.
    assert AuditEntry.objects.filter(action="helpdesk.ticket.open").count() == 8


BRUSSELS = zoneinfo.ZoneInfo("Europe/Brussels")


# Loaded on a Monday before opening time, on a Wednesday just before closing time and on a
# Sunday night: the demo's queue looks the same (exactly one ticket overdue) whenever it is loaded.
@pytest.mark.parametrize(
    "loaded_at",
    [
        dt.datetime(2026, 3, 2, 7, 30, tzinfo=BRUSSELS),
        dt.datetime(2026, 3, 4, 16, 55, tzinfo=BRUSSELS),
        dt.datetime(2026, 3, 8, 23, 40, tzinfo=BRUSSELS),
    ],
)
def test_it_gives_customer_service_a_member_with_work_and_an_overdue_ticket(loaded_at):
    with time_machine.travel(loaded_at, tick=False):
        load_school()
        load_helpdesk()
        now = timezone.now()
        states = [sla_state(ticket, now).state for ticket in Ticket.objects.all()]
    agent = User.objects.get(email=demo.AGENT_EMAIL)
    assert staff_roles_of(agent) == {Role.CUSTOMER_SERVICE}
    assert Ticket.objects.filter(assignee=agent).count() >= 3

    assert states.count(SlaState.BREACHED) == 1
    overdue = Ticket.objects.get(first_responded_at__isnull=True, first_response_due__lt=now)
    assert overdue.created_at < now - dt.timedelta(days=2)
    # Conversations run forward in time from the opening, all of it before the load.
    for ticket in Ticket.objects.prefetch_related("messages"):
        times = [m.created_at for m in ticket.messages.all()]
        assert times == sorted(times) and times[0] == ticket.created_at
        assert times[-1] <= now


def test_its_internal_notes_are_never_emailed():
    load_school()
    load_helpdesk()
    assert TicketMessage.objects.filter(is_internal=True).count() == 2
    # One e-mail per staff answer to the person: none for a note.
    answers = TicketMessage.objects.filter(author_kind="staff", is_internal=False)
    emailed = OutboxEmail.objects.filter(kind="emails/helpdesk_answer")
    assert emailed.count() == answers.count() == 4
    assert set(emailed.values_list("message_id", flat=True)) == set(
        answers.values_list("email_message_id", flat=True)
    )


def test_it_has_canned_replies_in_each_language():
    load_school()
    load_helpdesk()
    languages = set(CannedReply.objects.values_list("language", flat=True))
    assert languages == {"fr", "en", "nl"}


def test_the_demo_shows_in_the_portal_and_the_console(client):
    load_school()
    load_helpdesk()
    alice = User.objects.get(email="alice@demo.cll.be")
    client.force_login(alice)
    ticket = Ticket.objects.get(account=alice)
    page = client.get("/fr/support/").content.decode()
    assert ticket.reference in page

    agent = User.objects.get(email=demo.AGENT_EMAIL)
    client.logout()
    staff_login(client, agent)
    page = client.get("/fr/staff/helpdesk/?queue=open").content.decode()
    assert all(t.reference in page for t in Ticket.objects.exclude(status__in=["solved", "closed"]))


def test_it_asks_for_the_demo_school_first():
    with pytest.raises(CommandError, match="load_demo_accounts"):
        call_command("load_demo_helpdesk", stdout=io.StringIO())


def test_it_refuses_to_run_in_production(settings):
    settings.PRODUCTION = True
    with pytest.raises(CommandError, match="production"):
        call_command("load_demo_helpdesk", stdout=io.StringIO())
