"""Reads of the person's side of the helpdesk, each filtered by who asks.

- A signed-in person sees the tickets whose ``person`` is their account's public id; anyone
  else's ticket is a 404 (not a 403: whether a ticket exists is not theirs to learn).
- A visitor reaches one ticket by its secret link: the public id *and* the hash of the secret
  must match; a wrong or partial secret is a 404 too.
- The person never sees internal notes: ``messages_visible_to_requester`` is the only way the
  portal reads messages, and attachments are looked up through it.
"""

from __future__ import annotations

import uuid

from django.db.models import Prefetch, QuerySet
from django.http import Http404

from cll.helpdesk.models import Ticket, TicketAttachment, TicketMessage
from cll.lib.tokens import link_token_hash


def ticket_list_for(*, user) -> QuerySet[Ticket]:
    """The tickets of ``user`` (nothing for an anonymous visitor), the latest first."""
    if not user.is_authenticated:
        return Ticket.objects.none()
    return Ticket.objects.filter(person=user.public_id).select_related("session")


def ticket_get_for(*, user, public_id: uuid.UUID) -> Ticket:
    """One of ``user``'s tickets; ``Http404`` for anyone else's or an unknown one."""
    ticket = ticket_list_for(user=user).filter(public_id=public_id).first()
    if ticket is None:
        raise Http404("No such ticket.")
    return ticket


def ticket_get_by_token(*, public_id: uuid.UUID, token: str) -> Ticket:
    """The ticket a visitor's secret link opens; ``Http404`` when the secret does not match
    (or the ticket is gone, or belongs to an account: those sign in)."""
    if not token or len(token) > 128:
        raise Http404("No such ticket.")
    ticket = (
        Ticket.objects.select_related("session")
        .filter(public_id=public_id, access_token_hash=link_token_hash(token))
        .exclude(access_token_hash="")
        .first()
    )
    if ticket is None:
        raise Http404("No such ticket.")
    return ticket


def messages_visible_to_requester(ticket: Ticket) -> QuerySet[TicketMessage]:
    """The conversation as the person sees it: every message but internal notes, oldest first,
    with their files (one query each for messages, attachments and uploads)."""
    return ticket.messages.filter(is_internal=False).prefetch_related(
        Prefetch(
            "attachments",
            queryset=TicketAttachment.objects.select_related("upload").order_by("pk"),
        )
    )


def attachment_get_for_requester(*, ticket: Ticket, upload_public_id: uuid.UUID):
    """The ``Upload`` of a file attached to a message the person can see; ``Http404``
    otherwise (a note's file, another ticket's file, an unknown id)."""
    attachment = (
        TicketAttachment.objects.select_related("upload")
        .filter(
            message__ticket=ticket,
            message__is_internal=False,
            upload__public_id=upload_public_id,
        )
        .first()
    )
    if attachment is None:
        raise Http404("No such file.")
    return attachment.upload
