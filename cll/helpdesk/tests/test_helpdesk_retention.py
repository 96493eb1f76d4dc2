"""Retention of tickets (rule ``helpdesk-ticket``): closed tickets older than the period go with
their messages and files; a visitor's ticket takes its data key with it, an account's does not."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from cll.core.encryption import DataKey
from cll.core.models import OutboxEmail, Upload
from cll.helpdesk import services
from cll.helpdesk.models import Channel, Status, Ticket, TicketAttachment, TicketMessage, Topic
from cll.helpdesk.retention import prune_tickets
from cll.privacy.retention import PRUNERS

pytestmark = pytest.mark.django_db


def closed_ticket(account=None, *, files=()) -> Ticket:
    ticket = services.ticket_open(
        name="Chloé",
        email=account.email if account else "chloe@example.org",
        subject="Question",
        body="Hello",
        topic=Topic.OTHER,
        language="fr",
        channel=Channel.FORM,
        account=account,
        files=files,
    ).ticket
    services.ticket_close_by_requester(ticket=ticket)
    return ticket


def test_it_is_the_pruner_of_the_rule():
    assert PRUNERS["helpdesk-ticket"] is prune_tickets


def test_it_keeps_a_ticket_one_day_younger_than_the_limit_and_deletes_one_older(settings):
    days = settings.HELPDESK_TICKET_DAYS
    now = timezone.now()
    with time_machine.travel(now - dt.timedelta(days=days + 1), tick=False):
        old = closed_ticket()
    with time_machine.travel(now - dt.timedelta(days=days - 1), tick=False):
        young = closed_ticket()
    assert prune_tickets(dry_run=True) == 1
    assert Ticket.objects.count() == 2
    assert prune_tickets(dry_run=False) == 1
    assert list(Ticket.objects.all()) == [young]
    assert not TicketMessage.objects.filter(ticket_id=old.pk).exists()


def test_open_tickets_stay_however_old(settings):
    with time_machine.travel(timezone.now() - dt.timedelta(days=settings.HELPDESK_TICKET_DAYS * 2)):
        ticket = closed_ticket()
        Ticket.objects.filter(pk=ticket.pk).update(status=Status.SOLVED, closed_at=None)
    assert prune_tickets(dry_run=False) == 0


def test_a_visitors_ticket_goes_with_its_files_and_its_key(
    settings, clamd, django_capture_on_commit_callbacks
):
    with time_machine.travel(timezone.now() - dt.timedelta(days=settings.HELPDESK_TICKET_DAYS + 1)):
        ticket = closed_ticket(files=[SimpleUploadedFile("a.txt", b"hello\n")])
    person = ticket.person
    assert DataKey.objects.filter(subject=person).exists()
    with django_capture_on_commit_callbacks(execute=True):
        assert prune_tickets(dry_run=False) == 1
    assert not Upload.objects.exists() and not TicketAttachment.objects.exists()
    assert not any(settings.UPLOAD_DIR.iterdir())
    # The acknowledgement still in the outbox cannot be read any more.
    assert DataKey.objects.get(subject=person).destroyed_at is not None
    assert OutboxEmail.objects.filter(person=person).exists()


def test_an_accounts_key_stays(settings, alice):
    with time_machine.travel(timezone.now() - dt.timedelta(days=settings.HELPDESK_TICKET_DAYS + 1)):
        closed_ticket(alice)
    assert prune_tickets(dry_run=False) == 1
    assert DataKey.objects.get(subject=alice.public_id).destroyed_at is None
