"""The helpdesk: tickets opened from the contact form, the portal, e-mail or a chat.

A ticket belongs to a person: ``person`` is the account's public id when the requester has an
account, else a random id of the ticket's own (a visitor who wrote through the contact form).
Every personal field of a ticket and of its messages is sealed with that person's data key, so
an account's export and erasure find its tickets (``id:person`` in the data map) and pruning a
visitor's ticket destroys its key, backups included.

Life of a ticket (services.py, staff_services.py)::

    NEW --a staff member answers or takes it--> OPEN --waiting for the person--> PENDING
        --the person answers--> OPEN ... --solved by staff--> SOLVED --no answer for a few
    days, or the person closes it--> CLOSED   (a message from the person reopens SOLVED)

Internal notes are messages with ``is_internal``: staff only, never shown to the person, never
e-mailed to them, never in their portal; the person's export includes them only as the law
requires (GDPR Art. 15 covers data *about* them: the privacy officer decides, not the code).
URLs carry ``public_id`` (or the short ``reference`` in e-mail subjects), never a primary key.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from cll.core.encryption import BlindIndexField, EncryptedCharField, EncryptedTextField
from cll.core.models import Upload
from cll.courses.models import Session

EMAIL_INDEX_PURPOSE = "helpdesk.ticket.email"


class Topic(models.TextChoices):
    """What the contact form asks first; each topic is a queue of the staff console.

    (Privacy questions are not tickets: the contact form sends them to the privacy request
    form, which runs the legal deadline.)
    """

    COURSES = "courses", _("Courses and enrolment")
    BILLING = "billing", _("Billing and payments")
    COMPANY = "company", _("Company training")
    OTHER = "other", _("Something else")


class Status(models.TextChoices):
    NEW = "new", _("New")
    OPEN = "open", _("Open")
    PENDING = "pending", _("Waiting for your answer")
    SOLVED = "solved", _("Solved")
    CLOSED = "closed", _("Closed")


class Priority(models.TextChoices):
    LOW = "low", _("Low")
    NORMAL = "normal", _("Normal")
    HIGH = "high", _("High")
    URGENT = "urgent", _("Urgent")


class Channel(models.TextChoices):
    """Where a ticket or a message came from."""

    FORM = "form", _("Contact form")
    PORTAL = "portal", _("Support portal")
    EMAIL = "email", _("E-mail")
    CHAT = "chat", _("Live chat")
    STAFF = "staff", _("Staff console")


class Ticket(models.Model):
    """A question or request from one person, answered by Customer service."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    # What people quote and what e-mail subjects carry ("[CLL-7K3F9QXM]"): short, random.
    reference = models.CharField(_("reference"), max_length=16, unique=True, editable=False)
    # The account's public id, or a random one of the ticket's own for a visitor (see above).
    person = models.UUIDField(_("person"), editable=False)
    account = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="tickets",
        verbose_name=_("account"),
    )
    name = EncryptedCharField(_("name"), max_length=200)
    email = EncryptedCharField(_("e-mail address"), max_length=254)
    # Finds a visitor's tickets by address (a reply by e-mail, a later account) without
    # decrypting every row.
    email_index = BlindIndexField(source="email", purpose=EMAIL_INDEX_PURPOSE)
    # The language the person wrote in: every e-mail about the ticket is written in it.
    language = models.CharField(_("language"), max_length=8)
    topic = models.CharField(_("topic"), max_length=16, choices=Topic, default=Topic.OTHER)
    # "Ask about this session": the session the question is about.
    session = models.ForeignKey(
        Session,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("session"),
    )
    subject = EncryptedCharField(_("subject"), max_length=200)
    status = models.CharField(_("status"), max_length=16, choices=Status, default=Status.NEW)
    priority = models.CharField(
        _("priority"), max_length=16, choices=Priority, default=Priority.NORMAL
    )
    channel = models.CharField(_("opened from"), max_length=16, choices=Channel)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="assigned_tickets",
        verbose_name=_("assigned to"),
    )
    # The portal link of a requester without an account (their access to this one ticket):
    # found by the secret's hash; the secret itself is kept only sealed with the person's data
    # key, so every e-mail about the ticket can carry the same link (a fresh secret per e-mail
    # would break the links of the earlier ones) while a copy of the database opens nothing.
    access_token_hash = models.CharField(max_length=64, blank=True, editable=False)
    access_token = EncryptedCharField(max_length=64, blank=True, editable=False)
    # Address part of reply-to ("support+<reply_key>@..."): an e-mailed answer lands here.
    reply_key = models.CharField(max_length=32, unique=True, editable=False)
    created_at = models.DateTimeField(_("opened at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("last activity"), auto_now=True)
    # Service levels (sla.py): due times counted in business hours from the settings.
    first_response_due = models.DateTimeField(_("first answer due"), null=True, blank=True)
    first_responded_at = models.DateTimeField(_("first answered at"), null=True, blank=True)
    resolution_due = models.DateTimeField(_("resolution due"), null=True, blank=True)
    solved_at = models.DateTimeField(_("solved at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("ticket")
        verbose_name_plural = _("tickets")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="closed") | Q(closed_at__isnull=False),
                name="helpdesk_ticket_closed_has_closed_at",
            ),
        ]
        indexes = [
            # The staff console's queues: open work per topic and status, oldest due first.
            models.Index(fields=["topic", "status", "created_at"], name="helpdesk_queue_idx"),
            # "Assigned to me".
            models.Index(fields=["assignee", "status"], name="helpdesk_assignee_idx"),
            # Export, erasure and the portal's list find a person's tickets.
            models.Index(fields=["person"], name="helpdesk_ticket_person_idx"),
            # A reply by e-mail or a new account finds a visitor's tickets by address.
            models.Index(fields=["email_index"], name="helpdesk_ticket_email_idx"),
        ]

    def __str__(self) -> str:
        # No subject or name: __str__ ends up in logs and admin messages.
        return self.reference


class TicketMessage(models.Model):
    """One message of a ticket: from the person, from staff, or an internal note."""

    class Author(models.TextChoices):
        REQUESTER = "requester", _("The person")
        STAFF = "staff", _("Staff")
        SYSTEM = "system", _("Automatic message")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="messages")
    # The ticket's person, copied so that each message is sealed with (and found by) it.
    person = models.UUIDField(editable=False)
    author_kind = models.CharField(_("from"), max_length=16, choices=Author)
    # The staff member who wrote it (staff messages and notes); null for the person.
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("written by"),
    )
    body = EncryptedTextField(_("message"), max_length=20000)
    # Staff only, never shown or e-mailed to the person.
    is_internal = models.BooleanField(_("internal note"), default=False)
    channel = models.CharField(_("sent from"), max_length=16, choices=Channel)
    # Message-ID of an inbound e-mail (the same mail processed twice adds one message), or of
    # the notification we sent (threading headers of the next one).
    email_message_id = models.CharField(max_length=255, blank=True, editable=False)
    created_at = models.DateTimeField(_("sent at"), auto_now_add=True)

    class Meta:
        verbose_name = _("ticket message")
        verbose_name_plural = _("ticket messages")
        ordering = ["created_at", "id"]
        constraints = [
            # A note is written by staff.
            models.CheckConstraint(
                condition=Q(is_internal=False) | Q(author_kind="staff"),
                name="helpdesk_note_by_staff",
            ),
            models.UniqueConstraint(
                fields=["ticket", "email_message_id"],
                condition=~Q(email_message_id=""),
                name="helpdesk_message_email_once",
            ),
        ]
        indexes = [
            models.Index(fields=["person"], name="helpdesk_message_person_idx"),
        ]

    def __str__(self) -> str:
        return str(self.public_id)


class TicketAttachment(models.Model):
    """A file attached to a message (scanned and sealed by cll.core.uploads)."""

    message = models.ForeignKey(TicketMessage, on_delete=models.CASCADE, related_name="attachments")
    # Deleting the file (erasure, retention) removes the link with it.
    upload = models.OneToOneField(Upload, on_delete=models.CASCADE, related_name="+")
    person = models.UUIDField(editable=False)

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        indexes = [models.Index(fields=["person"], name="helpdesk_attachment_person_idx")]

    def __str__(self) -> str:
        return str(self.upload.public_id)


class CannedReply(models.Model):
    """A ready answer staff insert and adapt ("How do I get my invoice?"), per language."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    title = models.CharField(_("title"), max_length=120)
    language = models.CharField(_("language"), max_length=8, choices=settings.LANGUAGES)
    topic = models.CharField(_("topic"), max_length=16, choices=Topic, blank=True)
    body = models.TextField(_("text"), max_length=10000)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("canned reply")
        verbose_name_plural = _("canned replies")
        ordering = ["title"]

    def __str__(self) -> str:
        return self.title
