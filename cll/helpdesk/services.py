"""Tickets, the person's side: opening one (contact form, chat, e-mail), answering, closing,
and the e-mails the person receives. Staff actions are ``staff_services``.

Rules
-----
- **One transaction per change, with its evidence.** Opening, replying and closing each write
  the ticket, its message and attachments, and an audit entry (ids and codes only) together;
  e-mails are queued in the same transaction (the outbox sends them after the commit), so a
  refused attachment (malware) or any failure leaves nothing half-saved and nothing sent.
- **No relay for spam.** The contact form is open to anyone, so the acknowledgement goes to
  whatever address was typed: it carries our text, the reference and the portal link, never
  what the sender wrote. Submissions from the form (``client_ip`` given) are counted per client
  IP and per address (its blind index) and refused over the limits of the settings.
- **The person's key.** ``person`` is the account's public id, or a random id of the ticket's
  own for a visitor; every sealed field, file and e-mail about the ticket uses that key, so an
  erasure or the pruning of a visitor's ticket makes every copy unreadable.
- **The visitor's link.** A visitor without an account reaches their ticket through a link
  carrying a 256-bit secret (``cll.lib.tokens``): only its hash is looked up, the secret is kept
  sealed with the person's key so that every e-mail about the ticket carries the same link. It
  works as long as the ticket exists (retention deletes it), like the reference people quote.
- **Internal notes never leave.** Nothing here e-mails an internal note; the person's
  e-mails carry staff answers only.
"""

from __future__ import annotations

import re
import secrets
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from cll.core.antispam import submission_rate_allows
from cll.core.outbox import email_queue_template
from cll.core.uploads import upload_store
from cll.courses.models import Session
from cll.helpdesk.models import (
    EMAIL_INDEX_PURPOSE,
    Status,
    Ticket,
    TicketAttachment,
    TicketMessage,
)
from cll.helpdesk.sla import ticket_sla_start
from cll.helpdesk.staff_notifications import (
    staff_notify_requester_replied,
    staff_notify_ticket_opened,
)
from cll.lib.tokens import link_token_new
from cll.privacy.datamap import RETENTION
from cll.privacy.services import audit_record

# What we promise the person after the contact form and in the acknowledgement.
ANSWER_WORKING_DAYS = 2
# What ``Upload.purpose`` says of a ticket's files (who may download them is decided here).
ATTACHMENT_PURPOSE = "helpdesk.attachment"
# References people quote and e-mail subjects carry ("CLL-7K3F9QXM"): no 0/O, 1/I/L to misread.
REFERENCE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
REFERENCE_LENGTH = 8
REFERENCE_PREFIX = "CLL-"
# Finds a reference in an e-mail subject ("Re: [CLL-7K3F9QXM] ...").
REFERENCE_RE = re.compile(
    rf"\[({REFERENCE_PREFIX}[{REFERENCE_ALPHABET}]{{{REFERENCE_LENGTH}}})\]", re.IGNORECASE
)
# Statuses a message from the person reopens (the ball is back with Customer service).
_REOPENED_BY_REQUESTER = (Status.SOLVED, Status.PENDING)


class TicketRateLimited(ValidationError):
    """Too many contact-form submissions from one client IP or for one address."""

    def __init__(self):
        super().__init__(
            _("Too many requests in a short time. Please try again later."), code="rate_limited"
        )


@dataclass(frozen=True)
class TicketOpened:
    ticket: Ticket
    access_token: str | None  # the secret of the portal link e-mailed to a visitor without account


def _normalise(email: str) -> str:
    return email.strip().lower()


def _new_reference() -> str:
    while True:
        reference = REFERENCE_PREFIX + "".join(
            secrets.choice(REFERENCE_ALPHABET) for _ in range(REFERENCE_LENGTH)
        )
        if not Ticket.objects.filter(reference=reference).exists():
            return reference


def retention_text() -> str:
    """How long a ticket is kept, in the words of the data map (shown next to the form)."""
    return str(RETENTION["helpdesk-ticket"].description)


def ticket_rate_allows(*, ip: str, email: str) -> bool:
    """Count one contact-form submission from ``ip`` for ``email``; False over the limits
    (``HELPDESK_RATE_PER_IP_HOUR``, ``HELPDESK_RATE_PER_ADDRESS_DAY``)."""
    return submission_rate_allows(
        scope="helpdesk:contact",
        ip=ip,
        email=email,
        email_purpose=EMAIL_INDEX_PURPOSE,
        per_ip_hour=settings.HELPDESK_RATE_PER_IP_HOUR,
        per_address_day=settings.HELPDESK_RATE_PER_ADDRESS_DAY,
    )


def ticket_portal_url(*, ticket: Ticket) -> str:
    """The absolute link of the ticket on the person's portal, in the ticket's language: the
    signed-in page for an account, else the visitor's secret link."""
    with translation.override(ticket.language):
        if ticket.account_id is not None or not ticket.access_token:
            path = reverse("helpdesk:ticket_detail", args=[ticket.public_id])
        else:
            path = reverse("helpdesk:ticket_by_token", args=[ticket.public_id, ticket.access_token])
    return settings.SITE_URL.rstrip("/") + path


def attachments_store(*, message: TicketMessage, files: Sequence[UploadedFile]) -> int:
    """Attach ``files`` to ``message`` (the person's or staff's), sealed with the ticket's person;
    returns how many. Call it in the transaction that saves the message."""
    # upload_store scans each file; an infected one raises UploadRejected (a ValidationError),
    # which rolls back the caller's transaction: the message is not kept without its files.
    for file in files:
        upload = upload_store(file=file, subject=message.person, purpose=ATTACHMENT_PURPOSE)
        TicketAttachment.objects.create(message=message, upload=upload, person=message.person)
    return len(files)


def _requester_message(
    ticket: Ticket,
    body: str,
    channel: str,
    email_message_id: str,
    files: Sequence[UploadedFile],
) -> tuple[TicketMessage, int]:
    """The person's message with its files (and how many), sealed with the ticket's person."""
    message = TicketMessage.objects.create(
        ticket=ticket,
        person=ticket.person,
        author_kind=TicketMessage.Author.REQUESTER,
        body=body.strip(),
        channel=channel,
        email_message_id=email_message_id,
    )
    return message, attachments_store(message=message, files=files)


def _audit(ticket: Ticket, verb: str, **detail) -> None:
    audit_record(
        actor=ticket.account,
        action=f"helpdesk.ticket.{verb}",
        target=ticket,
        detail={"ticket": ticket.public_id, **detail},
    )


def _acknowledge(ticket: Ticket, first: TicketMessage) -> None:
    sent = email_queue_template(
        to=ticket.email,
        template_prefix="emails/helpdesk_ticket_opened",
        context={
            "reference": ticket.reference,
            "link": ticket_portal_url(ticket=ticket),
            "days": ANSWER_WORKING_DAYS,
            "has_account": ticket.account_id is not None,
        },
        language=ticket.language,
        subject_person=ticket.person,
        headers=_reply_to(ticket),
    )
    if not first.email_message_id:
        # The thread starts with our acknowledgement: answers refer to it.
        first.email_message_id = sent.message_id
        first.save(update_fields=["email_message_id"])


def ticket_open(
    *,
    name: str,
    email: str,
    subject: str,
    body: str,
    topic: str,
    language: str,
    channel: str,
    account=None,
    session: Session | None = None,
    files: Sequence[UploadedFile] = (),
    client_ip: str | None = None,
    email_message_id: str = "",
) -> TicketOpened:
    """Open a ticket with its first message (from the person) and its files, start its service
    levels, acknowledge it to the person and announce it to Customer service, in one
    transaction (audit ``helpdesk.ticket.open``).

    ``account``: the signed-in requester (their public id becomes the ticket's person, they
    find it on their portal); without one the ticket is its own subject and gets a secret
    portal link, returned once in ``access_token``. ``client_ip`` (the contact form's) applies
    the flood limits: ``TicketRateLimited`` over them, nothing saved. ``email_message_id``: the
    Message-ID of the e-mail that opened the ticket, if any (threading). An infected file
    raises ``UploadRejected``; nothing is saved then either.
    """
    if account is not None and not account.is_authenticated:
        account = None
    email = _normalise(email)
    if client_ip is not None and not ticket_rate_allows(ip=client_ip, email=email):
        raise TicketRateLimited
    token = link_token_new(lifetime=None) if account is None else None
    with transaction.atomic():
        ticket = Ticket(
            reference=_new_reference(),
            person=account.public_id if account is not None else uuid.uuid4(),
            account=account,
            name=name.strip(),
            email=email,
            language=language,
            topic=topic,
            session=session,
            subject=subject.strip(),
            channel=channel,
            access_token_hash=token.hash if token else "",
            access_token=token.token if token else "",
            reply_key=secrets.token_hex(16),
        )
        ticket_sla_start(ticket=ticket)
        ticket.save()
        first, count = _requester_message(ticket, body, channel, email_message_id, files)
        _audit(
            ticket,
            "open",
            channel=channel,
            topic=topic,
            attachments=count,
            with_session=session is not None,
        )
        _acknowledge(ticket, first)
        staff_notify_ticket_opened(ticket=ticket)
    return TicketOpened(ticket=ticket, access_token=token.token if token else None)


def ticket_reply_by_requester(
    *,
    ticket: Ticket,
    body: str,
    channel: str,
    files: Sequence[UploadedFile] = (),
    email_message_id: str = "",
) -> TicketMessage:
    """Add the person's message (and files) to ``ticket``; a solved or pending ticket opens
    again. A closed ticket refuses it (``ValidationError``, translated: the person opens a new
    request). The same inbound e-mail (``email_message_id``) processed twice adds one message.
    Customer service is told; audit ``helpdesk.ticket.reply``."""
    with transaction.atomic():
        row = Ticket.objects.select_for_update().get(pk=ticket.pk)
        if email_message_id:
            known = row.messages.filter(email_message_id=email_message_id).first()
            if known is not None:
                return known
        if row.status == Status.CLOSED:
            raise ValidationError(
                _(
                    "This request is closed, so it cannot be answered any more. Please send us "
                    "a new request."
                ),
                code="closed",
            )
        message, count = _requester_message(row, body, channel, email_message_id, files)
        fields = ["updated_at"]
        if row.status in _REOPENED_BY_REQUESTER:
            row.status, row.solved_at = Status.OPEN, None
            fields += ["status", "solved_at"]
        row.save(update_fields=fields)
        _audit(row, "reply", message=message.public_id, channel=channel, attachments=count)
        staff_notify_requester_replied(message=message)
    ticket.status, ticket.solved_at, ticket.updated_at = row.status, row.solved_at, row.updated_at
    return message


def ticket_close_by_requester(*, ticket: Ticket) -> None:
    """The person closes their ticket (their question is answered or no longer matters); its
    retention period starts now. Closing a closed ticket changes nothing. Audit
    ``helpdesk.ticket.close``."""
    with transaction.atomic():
        row = Ticket.objects.select_for_update().get(pk=ticket.pk)
        if row.status == Status.CLOSED:
            return
        row.status, row.closed_at = Status.CLOSED, timezone.now()
        row.save(update_fields=["status", "closed_at", "updated_at"])
        _audit(row, "close", by="requester")
    ticket.status, ticket.closed_at = row.status, row.closed_at


def _msgid(value: str) -> str:
    value = value.strip()
    return value if value.startswith("<") else f"<{value}>"


def _reply_to(ticket: Ticket) -> dict[str, str]:
    """``Reply-To: support+<reply_key>@…`` when inbound mail is configured, so that an answer
    by e-mail lands in this ticket; nothing otherwise (replies go to the general mailbox)."""
    address = settings.HELPDESK_REPLY_ADDRESS
    if not address or "@" not in address:
        return {}
    local, domain = address.rsplit("@", 1)
    return {"Reply-To": f"{local}+{ticket.reply_key}@{domain}"}


def _threading(message: TicketMessage) -> dict[str, str]:
    """In-Reply-To and References: the Message-IDs of the earlier messages of the thread (ours
    and the person's), oldest first, so mail clients show one conversation."""
    earlier = list(
        message.ticket.messages.filter(is_internal=False)
        .exclude(pk=message.pk)
        .exclude(email_message_id="")
        .filter(created_at__lte=message.created_at)
        .order_by("created_at", "id")
        .values_list("email_message_id", flat=True)
    )
    if not earlier:
        return {}
    ids = [_msgid(value) for value in earlier]
    # Long threads: the first and the latest ids are what clients use (RFC 5322 3.6.4).
    references = ids if len(ids) <= 10 else [ids[0], *ids[-9:]]
    return {"In-Reply-To": ids[-1], "References": " ".join(references)}


def requester_notify_staff_reply(*, message: TicketMessage) -> None:
    """E-mail the person a staff answer: its text (plain text; the HTML part escapes it), the
    reference and the portal link, threaded after the earlier messages and with the ticket's
    reply address. Never an internal note (``ValueError``). The answer keeps the Message-ID of
    the e-mail, which the next message refers to. Call it in the transaction of the answer."""
    if message.is_internal or message.author_kind != TicketMessage.Author.STAFF:
        raise ValueError("Only staff answers are e-mailed to the person.")
    ticket = message.ticket
    with transaction.atomic():
        sent = email_queue_template(
            to=ticket.email,
            template_prefix="emails/helpdesk_answer",
            context={
                "reference": ticket.reference,
                "answer": message.body,
                "link": ticket_portal_url(ticket=ticket),
                "solved": ticket.status == Status.SOLVED,
                "autoclose_days": settings.HELPDESK_AUTOCLOSE_DAYS,
            },
            language=ticket.language,
            subject_person=ticket.person,
            headers={**_threading(message), **_reply_to(ticket)},
        )
        if not message.email_message_id:
            message.email_message_id = sent.message_id
            message.save(update_fields=["email_message_id"])
