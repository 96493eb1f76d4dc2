"""Data-subject requests (GDPR Art. 15-22) from anyone, and what was done about them.

A request is about whoever controls the e-mail address it names. It holds that address sealed
with the request's *own* data key (subject ``id:public_id`` in the data map, like
``accounts.ParentalConsentRequest``): the request is evidence of how we handled someone's rights
and must outlive an erasure of their account, yet it disappears for good when its retention ends
(the row is deleted and its key destroyed). A blind index of the address lets staff and the
queue match requests to accounts without storing the address in clear text.
"""

from __future__ import annotations

import datetime
import uuid

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cll.core.encryption import BlindIndexField, EncryptedTextField

# Purpose of the blind index of requesters' addresses (its own HMAC key: cll/lib/crypto.py).
EMAIL_INDEX_PURPOSE = "dsar.request.email"


class DataSubjectRequest(models.Model):
    class Type(models.TextChoices):
        ACCESS = "access", _("Access to my data (Art. 15)")
        RECTIFICATION = "rectification", _("Correction of my data (Art. 16)")
        ERASURE = "erasure", _("Erasure of my data (Art. 17)")
        RESTRICTION = "restriction", _("Restriction of processing (Art. 18)")
        PORTABILITY = "portability", _("A copy of my data to take elsewhere (Art. 20)")
        OBJECTION = "objection", _("Objection to processing (Art. 21)")
        UNAUTHORIZED_PROFILE = (
            "unauthorized_profile",
            _("Someone made an account with my e-mail address"),
        )

    class Status(models.TextChoices):
        # Waiting for the person to follow the e-mailed link: the deadline clock is paused.
        UNVERIFIED = "unverified", _("Waiting for identity verification")
        OPEN = "open", _("Open")
        COMPLETED = "completed", _("Completed")
        REJECTED = "rejected", _("Rejected")

    class Channel(models.TextChoices):
        WEB = "web", _("Web form")
        EMAIL = "email", _("E-mail")
        POST = "post", _("Post")

    class Verification(models.TextChoices):
        LINK = "link", _("E-mailed link")
        SESSION = "session", _("Signed in to the account")
        STAFF = "staff", _("Checked by staff")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    type = models.CharField(_("type"), max_length=32, choices=Type.choices)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.UNVERIFIED
    )
    channel = models.CharField(
        _("received by"), max_length=8, choices=Channel.choices, default=Channel.WEB
    )
    # Sealed with this request's own data key; erased with the request.
    email = EncryptedTextField(_("e-mail address"))
    email_index = BlindIndexField(source="email", purpose=EMAIL_INDEX_PURPOSE)
    details = EncryptedTextField(_("details"), blank=True, max_length=4000)
    # The language the person wrote in: e-mails to them use it.
    language = models.CharField(_("language"), max_length=8, default=settings.LANGUAGE_CODE)
    # The account the request is about, once the address is proved and matches one.
    account = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    # The staff member who entered a request that arrived by e-mail or post.
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    received_at = models.DateTimeField(_("received"), default=timezone.now)
    verified_at = models.DateTimeField(_("identity verified"), null=True, blank=True)
    verification = models.CharField(
        _("verified by"), max_length=8, choices=Verification.choices, blank=True
    )
    # The single-use link: only its SHA-256 is kept; kept after use so a reused link is told apart
    # from an unknown one. NULL (not "") for requests without a link, so they never collide on
    # the unique index.
    token_hash = models.CharField(  # noqa: DJ001
        max_length=64, unique=True, null=True, editable=False
    )
    token_expires_at = models.DateTimeField(null=True, blank=True, editable=False)
    # The first deadline (one calendar month capped at 30 days, plus the verification pause).
    due_on = models.DateField(_("deadline"), null=True, blank=True)
    extended_to = models.DateField(_("extended deadline"), null=True, blank=True)
    extended_at = models.DateTimeField(null=True, blank=True)
    extension_reason = EncryptedTextField(_("reasons for the extension"), blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    # Why the request was rejected, or what was done: e-mailed to the person.
    outcome = EncryptedTextField(_("answer"), blank=True)
    # Reminder thresholds (days before the deadline) already sent to the privacy officers.
    reminders_sent = models.JSONField(default=list, blank=True)
    last_escalated_on = models.DateField(null=True, blank=True)
    # Art. 19 notices to the recipients the data map names for the person's data: one
    # {"recipient": key, "method": "email" | "manual", "notified_at": ISO time or null} each.
    # E-mailed through the outbox when the recipient has a contact address, otherwise listed for
    # staff to notify by hand and marked done when they have (who did it is in the audit ledger).
    notices = models.JSONField(default=list, blank=True)

    class Meta:
        verbose_name = _("data-subject request")
        verbose_name_plural = _("data-subject requests")
        indexes = [
            # The queue and the reminder task: open requests by deadline.
            models.Index(fields=["status", "due_on"], name="dsar_status_due"),
        ]

    def __str__(self):
        return f"dsar:{self.public_id}"

    def get_absolute_url(self):
        return reverse("dsar_staff:request_detail", args=[self.public_id])

    @property
    def deadline(self) -> datetime.date | None:
        """The deadline in force: the extended one if any."""
        return self.extended_to or self.due_on

    def days_left(self, today: datetime.date | None = None) -> int | None:
        deadline = self.deadline
        if deadline is None:
            return None
        return (deadline - (today or timezone.localdate())).days

    @property
    def is_open(self) -> bool:
        return self.status == self.Status.OPEN

    @property
    def is_overdue(self) -> bool:
        days = self.days_left()
        return self.is_open and days is not None and days < 0

    @property
    def days_overdue(self) -> int:
        days = self.days_left()
        return -days if self.is_open and days is not None and days < 0 else 0
