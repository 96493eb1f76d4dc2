"""Retention of the helpdesk (rule ``helpdesk-ticket`` in privacy.py)."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db import transaction

from cll.core.encryption import data_key_destroy
from cll.core.models import Upload
from cll.core.uploads import upload_delete
from cll.helpdesk.models import Status, Ticket
from cll.privacy.retention import cutoff, pruner


def _ticket_delete(ticket: Ticket) -> None:
    """One ticket with its messages and files; a visitor's data key with it when nothing else
    of theirs is left. An account's key stays: it seals the rest of the account."""
    with transaction.atomic():
        files = Upload.objects.filter(
            pk__in=ticket.messages.values("attachments__upload").exclude(attachments__upload=None)
        )
        for upload in files:
            # The sealed file on disk and its row (the attachment link goes with it).
            upload_delete(upload=upload)
        person = ticket.person
        ticket.delete()
        is_account = get_user_model().objects.filter(public_id=person).exists()
        if not is_account and not Ticket.objects.filter(person=person).exists():
            # Copies elsewhere (e-mails in the outbox, backups) become unreadable.
            data_key_destroy(subject=person)


@pruner("helpdesk-ticket")
def prune_tickets(*, dry_run: bool = False) -> int:
    """Tickets closed longer ago than the helpdesk-ticket period: deleted with their messages
    and files; a visitor's ticket (its own data subject) also loses its data key, so e-mails
    about it and copies in backups become unreadable. Open, pending and solved tickets stay
    (a solved ticket is closed automatically first)."""
    rows = Ticket.objects.filter(status=Status.CLOSED, closed_at__lt=cutoff("helpdesk-ticket"))
    if dry_run:
        return rows.count()
    count = 0
    for ticket in rows.only("pk", "person").iterator():
        _ticket_delete(ticket)
        count += 1
    return count
