"""Tickets, the staff side: answers, internal notes, assignment, status, priority, canned
replies, and the automatic closing of solved tickets. The person's side is ``services``.

Rules
-----
- **Helpdesk roles only.** Every service takes the acting staff member and refuses anyone
  without a helpdesk role (``PermissionDenied``): a view that forgot its decorator still cannot
  write. Assignees must hold a helpdesk role too.
- **One transaction per change, with its evidence.** The ticket row is locked, changed, and an
  audit entry (``helpdesk.ticket.<verb>``, ids and codes only, never text) written with it;
  e-mails are queued in the same transaction and sent after the commit.
- **Lifecycle** (models.py): the first staff answer sets ``first_responded_at``; an answer
  leaves the ticket open, pending (waiting for the person, the default) or solved; taking a
  new ticket (assigning it) opens it; solving sets ``solved_at``, closing ``closed_at``;
  reopening clears both. Closed tickets take no answer (the person opens a new request).
- **Internal notes never leave.** A note is a message with ``is_internal``: never e-mailed to
  the person (only staff answers go through ``requester_notify_staff_reply``), never in their
  portal, and it changes no status or service-level timer.
- **Priority moves the due times**, recomputed from the opening (``sla.ticket_sla_start``).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cll.accounts.models import User
from cll.helpdesk.models import (
    CannedReply,
    Channel,
    Priority,
    Status,
    Ticket,
    TicketMessage,
)
from cll.helpdesk.services import attachments_store, requester_notify_staff_reply, ticket_open
from cll.helpdesk.sla import ticket_sla_start
from cll.helpdesk.staff_selectors import helpdesk_colleagues, require_helpdesk_role
from cll.privacy.services import audit_record

# What an answer may leave the ticket as (the reply form's choice).
REPLY_STATUSES = (Status.OPEN, Status.PENDING, Status.SOLVED)


def _locked(ticket: Ticket) -> Ticket:
    return Ticket.objects.select_for_update().get(pk=ticket.pk)


def _audit(ticket: Ticket, verb: str, *, actor: User, role: str, fields=(), **detail) -> None:
    audit_record(
        actor=actor,
        role=role,
        action=f"helpdesk.ticket.{verb}",
        target=ticket,
        fields=fields,
        detail={"ticket": ticket.public_id, **detail},
    )


def _refresh(ticket: Ticket, row: Ticket) -> None:
    # The caller's instance shows what was saved (views render it after the change).
    for field in (
        "status",
        "priority",
        "assignee_id",
        "first_responded_at",
        "first_response_due",
        "resolution_due",
        "solved_at",
        "closed_at",
        "updated_at",
    ):
        setattr(ticket, field, getattr(row, field))


def _status_fields(row: Ticket, status: str, now: datetime) -> list[str]:
    """Move ``row`` to ``status`` with its timestamps; the fields changed."""
    if row.status == status:
        return []
    row.status = status
    if status == Status.SOLVED:
        row.solved_at = now
        return ["status", "solved_at"]
    if status == Status.CLOSED:
        row.closed_at = now
        return ["status", "closed_at"]
    # Open again (or waiting): no longer solved nor closed.
    row.solved_at = row.closed_at = None
    return ["status", "solved_at", "closed_at"]


def _message_add(
    row: Ticket, *, actor: User, body: str, internal: bool, files: Sequence[UploadedFile]
) -> TicketMessage:
    message = TicketMessage.objects.create(
        ticket=row,
        person=row.person,
        author_kind=TicketMessage.Author.STAFF,
        author=actor,
        # Browsers send textarea lines as CRLF: stored as plain newlines.
        body=body.replace("\r\n", "\n").strip(),
        is_internal=internal,
        channel=Channel.STAFF,
    )
    # Staff files are sealed with the person's key like theirs.
    attachments_store(message=message, files=files)
    return message


def ticket_reply_by_staff(
    *,
    ticket: Ticket,
    actor: User,
    body: str,
    status: str = Status.PENDING,
    files: Sequence[UploadedFile] = (),
) -> TicketMessage:
    """Answer the person: the message is saved, e-mailed to them (``requester_notify_staff_
    reply``), the first answer recorded, and the ticket left ``status`` (open, pending or
    solved). An unassigned ticket is taken by whoever answers it. A closed ticket refuses it
    (``ValidationError``). Audit ``helpdesk.ticket.answer``."""
    role = require_helpdesk_role(actor)
    if status not in REPLY_STATUSES:
        raise ValueError(f"An answer cannot leave a ticket {status!r}.")
    if not body.strip():
        raise ValidationError(_("Write an answer first."), code="empty")
    now = timezone.now()
    with transaction.atomic():
        row = _locked(ticket)
        if row.status == Status.CLOSED:
            raise ValidationError(
                _("This ticket is closed: it cannot be answered any more."), code="closed"
            )
        message = _message_add(row, actor=actor, body=body, internal=False, files=files)
        fields = ["updated_at", *_status_fields(row, status, now)]
        if row.first_responded_at is None:
            row.first_responded_at = now
            fields.append("first_responded_at")
        if row.assignee_id is None:
            row.assignee = actor
            fields.append("assignee")
        row.save(update_fields=fields)
        message.ticket = row
        _audit(
            row,
            "answer",
            actor=actor,
            role=role,
            fields=("messages", *fields),
            message=message.public_id,
            status=row.status,
            attachments=len(files),
        )
        requester_notify_staff_reply(message=message)
    _refresh(ticket, row)
    return message


def ticket_note_add(
    *, ticket: Ticket, actor: User, body: str, files: Sequence[UploadedFile] = ()
) -> TicketMessage:
    """An internal note for colleagues: saved, never e-mailed nor shown to the person; changes no
    status or timer. Audit ``helpdesk.ticket.note``."""
    role = require_helpdesk_role(actor)
    if not body.strip():
        raise ValidationError(_("Write the note first."), code="empty")
    with transaction.atomic():
        row = _locked(ticket)
        message = _message_add(row, actor=actor, body=body, internal=True, files=files)
        row.save(update_fields=["updated_at"])
        _audit(
            row,
            "note",
            actor=actor,
            role=role,
            fields=("messages",),
            message=message.public_id,
            attachments=len(files),
        )
    _refresh(ticket, row)
    return message


def ticket_assign(*, ticket: Ticket, actor: User, assignee: User | None) -> bool:
    """Give the ticket to ``assignee`` (a colleague with a helpdesk role; None: back to the
    queue). A new ticket taken by someone opens. False when nothing changed. Audit
    ``helpdesk.ticket.assign``."""
    role = require_helpdesk_role(actor)
    if assignee is not None and not helpdesk_colleagues().filter(pk=assignee.pk).exists():
        raise ValidationError(
            _("A ticket can only be assigned to a member of Customer service."), code="assignee"
        )
    with transaction.atomic():
        row = _locked(ticket)
        if row.assignee_id == (assignee.pk if assignee else None):
            return False
        row.assignee = assignee
        fields = ["assignee", "updated_at"]
        if assignee is not None and row.status == Status.NEW:
            fields += _status_fields(row, Status.OPEN, timezone.now())
        row.save(update_fields=fields)
        _audit(
            row,
            "assign",
            actor=actor,
            role=role,
            fields=fields,
            assignee=assignee.public_id if assignee else None,
        )
    _refresh(ticket, row)
    ticket.assignee = assignee
    return True


def ticket_status_set(*, ticket: Ticket, actor: User, status: str) -> bool:
    """Move the ticket to ``status`` (solved sets ``solved_at``, closed ``closed_at``, any other
    clears them). False when it already was. Audit ``helpdesk.ticket.status``."""
    role = require_helpdesk_role(actor)
    if status not in Status.values:
        raise ValueError(f"Unknown status {status!r}.")
    with transaction.atomic():
        row = _locked(ticket)
        before = row.status
        fields = _status_fields(row, status, timezone.now())
        if not fields:
            return False
        row.save(update_fields=[*fields, "updated_at"])
        _audit(row, "status", actor=actor, role=role, fields=fields, before=before, after=status)
    _refresh(ticket, row)
    return True


def ticket_priority_set(*, ticket: Ticket, actor: User, priority: str) -> bool:
    """Change the priority and recompute the due times from the opening (``sla``). False when
    unchanged. Audit ``helpdesk.ticket.priority``."""
    role = require_helpdesk_role(actor)
    if priority not in Priority.values:
        raise ValueError(f"Unknown priority {priority!r}.")
    with transaction.atomic():
        row = _locked(ticket)
        if row.priority == priority:
            return False
        before = row.priority
        row.priority = priority
        ticket_sla_start(ticket=row)
        fields = ["priority", "first_response_due", "resolution_due"]
        row.save(update_fields=[*fields, "updated_at"])
        _audit(
            row, "priority", actor=actor, role=role, fields=fields, before=before, after=priority
        )
    _refresh(ticket, row)
    return True


def ticket_open_for_caller(
    *, actor: User, name: str, email: str, subject: str, body: str, topic: str, language: str
) -> Ticket:
    """Open a ticket for someone who called or came to the desk (channel "staff console"),
    given to ``actor``: one transaction, so the ticket never exists without the record of who
    opened it (``helpdesk.ticket.open`` and ``helpdesk.ticket.staff_open``)."""
    with transaction.atomic():
        opened = ticket_open(
            name=name,
            email=email,
            subject=subject,
            body=body,
            topic=topic,
            language=language,
            channel=Channel.STAFF,
        )
        ticket_opened_by_staff(ticket=opened.ticket, actor=actor)
    return opened.ticket


def ticket_opened_by_staff(*, ticket: Ticket, actor: User) -> None:
    """Record that ``actor`` opened ``ticket`` for the person (a call, a visit at the desk) and
    give it to them: they hold the conversation. Audit ``helpdesk.ticket.staff_open``."""
    role = require_helpdesk_role(actor)
    with transaction.atomic():
        row = _locked(ticket)
        fields = []
        if row.assignee_id is None:
            row.assignee = actor
            fields.append("assignee")
            fields += _status_fields(row, Status.OPEN, timezone.now())
            row.save(update_fields=[*fields, "updated_at"])
        _audit(row, "staff_open", actor=actor, role=role, fields=fields)
    _refresh(ticket, row)


def tickets_autoclose(*, now: datetime | None = None) -> int:
    """Close the tickets solved more than ``HELPDESK_AUTOCLOSE_DAYS`` ago without an answer from
    the person since (their message would have reopened them): their retention period starts.
    One transaction and one audit entry (``helpdesk.ticket.close``, by the system) per ticket,
    so a failure leaves the others closed. Returns how many were closed."""
    now = now or timezone.now()
    cutoff = now - timedelta(days=settings.HELPDESK_AUTOCLOSE_DAYS)
    closed = 0
    due = Ticket.objects.filter(status=Status.SOLVED, solved_at__lte=cutoff)
    for pk in list(due.values_list("pk", flat=True)):
        with transaction.atomic():
            row = Ticket.objects.select_for_update().filter(pk=pk).first()
            # Reopened or changed since the list was read.
            if row is None or row.status != Status.SOLVED or row.solved_at > cutoff:
                continue
            row.status, row.closed_at = Status.CLOSED, now
            row.save(update_fields=["status", "closed_at", "updated_at"])
            audit_record(
                action="helpdesk.ticket.close",
                target=row,
                fields=("status", "closed_at"),
                detail={"ticket": row.public_id, "by": "autoclose"},
            )
            closed += 1
    return closed


# -- Canned replies ------------------------------------------------------------------------------


def _canned_audit(reply: CannedReply, verb: str, *, actor: User, role: str) -> None:
    # Not personal data, but who changed the team's ready answers is worth keeping.
    audit_record(
        actor=actor,
        role=role,
        action=f"helpdesk.canned.{verb}",
        target=reply,
        detail={"canned": reply.public_id},
    )


def canned_reply_create(
    *, actor: User, title: str, language: str, topic: str, body: str
) -> CannedReply:
    """A new ready answer (any helpdesk member). Audit ``helpdesk.canned.create``."""
    role = require_helpdesk_role(actor)
    with transaction.atomic():
        reply = CannedReply.objects.create(
            title=title.strip(),
            language=language,
            topic=topic,
            body=body.strip(),
            created_by=actor,
        )
        _canned_audit(reply, "create", actor=actor, role=role)
    return reply


def canned_reply_update(
    *, reply: CannedReply, actor: User, title: str, language: str, topic: str, body: str
) -> CannedReply:
    """Change a ready answer. Audit ``helpdesk.canned.update``."""
    role = require_helpdesk_role(actor)
    with transaction.atomic():
        reply.title, reply.language, reply.topic = title.strip(), language, topic
        reply.body = body.strip()
        reply.save()
        _canned_audit(reply, "update", actor=actor, role=role)
    return reply


def canned_reply_delete(*, reply: CannedReply, actor: User) -> None:
    """Delete a ready answer (tickets keep the text that was sent). Audit
    ``helpdesk.canned.delete``."""
    role = require_helpdesk_role(actor)
    with transaction.atomic():
        _canned_audit(reply, "delete", actor=actor, role=role)
        reply.delete()
