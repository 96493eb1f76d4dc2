from __future__ import annotations

import uuid

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cll.core.encryption import DataKey, EncryptedJSONField, EncryptedTextField

__all__ = ["DataKey", "OutboxEmail", "PublicContentVersion", "Upload"]


class OutboxEmail(models.Model):
    """One e-mail to one recipient, written in the transaction of the change that causes it.

    A worker delivers it later (``cll.core.outbox``); nothing is sent inside a request. The row
    is personal data (who we wrote to and what we said): it is deleted 30 days after its last
    delivery attempt (``prune_outbox``) and its text is sealed with the recipient's data key.

    ``message_id`` is fixed when the message is queued, so every retry of the same message
    carries the same Message-ID and a receiving system can recognise a rare duplicate.
    """

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    created_at = models.DateTimeField(_("queued at"), default=timezone.now, editable=False)
    # Public id of the person the message is about (accounts.User.public_id); null for a
    # visitor without an account (e.g. a contact-form acknowledgement).
    person = models.UUIDField(_("person"), null=True, blank=True, editable=False)
    # What kind of message this is (the template prefix): lets staff see which messages fail
    # without reading anyone's mail.
    kind = models.CharField(_("kind"), max_length=100, blank=True, editable=False)
    # Sealed with the person's data key (the system key when person is null): erasing the
    # person makes these unreadable everywhere, backups included.
    to_address = EncryptedTextField(_("to"), editable=False)
    subject = EncryptedTextField(_("subject"), editable=False)
    text_body = EncryptedTextField(_("text body"), editable=False)
    html_body = EncryptedTextField(_("HTML body"), blank=True, editable=False)
    # Encrypted too: List-Unsubscribe carries a per-person token.
    headers = EncryptedJSONField(_("extra headers"), default=dict, blank=True, editable=False)
    message_id = models.CharField(_("Message-ID"), max_length=255, unique=True, editable=False)

    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.QUEUED
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    # Earliest time of the next attempt while queued; null once sent or failed.
    next_attempt_at = models.DateTimeField(
        _("next attempt"), null=True, blank=True, default=timezone.now
    )
    # Set when a worker claims the row: a row "sending" for too long belongs to a dead worker.
    last_attempt_at = models.DateTimeField(_("last attempt"), null=True, blank=True)
    # SMTP reply code and exception class only: the server's text may quote the address.
    last_error = models.CharField(_("last error"), max_length=200, blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)

    class Meta:
        verbose_name = _("outgoing e-mail")
        verbose_name_plural = _("outgoing e-mails")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(status="sent") | models.Q(sent_at__isnull=False),
                name="core_outbox_sent_has_sent_at",
            ),
            models.CheckConstraint(
                condition=~models.Q(status="queued") | models.Q(next_attempt_at__isnull=False),
                name="core_outbox_queued_has_next_attempt",
            ),
        ]
        indexes = [
            # The sweeper (outbox_flush): queued rows whose next_attempt_at has passed, and
            # rows stuck in "sending" (status prefix).
            models.Index(fields=["status", "next_attempt_at"], name="core_outbox_due_idx"),
            # prune_outbox: sent rows whose sent_at is older than the retention period.
            models.Index(fields=["status", "sent_at"], name="core_outbox_prune_idx"),
            # Export and erasure find a person's messages (datamap.subject_filter).
            models.Index(fields=["person"], name="core_outbox_person_idx"),
        ]

    def __str__(self):
        # No address or subject here: __str__ ends up in admin messages and logs.
        return f"{self.kind or 'e-mail'} {self.id} ({self.status})"


class PublicContentVersion(models.Model):
    """A counter bumped whenever public content changes (catalogue, news): one row.

    Cached public pages are keyed on it (``cll.core.pagecache``), so a change made by any
    process — the admin, a worker — retires every cached page at once, on every web worker.
    """

    id = models.PositiveSmallIntegerField(primary_key=True, default=1, editable=False)
    version = models.PositiveBigIntegerField(default=0)
    changed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("public content version")
        constraints = [
            models.CheckConstraint(condition=models.Q(id=1), name="core_content_version_single_row")
        ]

    def __str__(self):
        return f"v{self.version}"


class Upload(models.Model):
    """A file someone sent us (a ticket attachment, a scanned written agreement...).

    Every upload is scanned by ClamAV before it is accepted (``cll.core.uploads``): an infected
    file is refused and never stored; when the scanner cannot be reached the file is kept
    *quarantined* (``PENDING``) and never served until a later scan finds it clean (fail
    closed). The bytes live outside the web root under a random name, sealed with the data key
    of the person they belong to (``subject``), so erasing that person makes every copy
    unreadable, backups included. They are only ever served as a download to people the owning
    app lets in, with ``Content-Disposition: attachment``, ``nosniff`` and a sandboxing CSP.
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("Quarantined: waiting for the malware scan")
        CLEAN = "clean", _("Scanned, no malware found")
        INFECTED = "infected", _("Malware found: blocked")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    # Public id of the person the file belongs to (the data key that seals it), e.g. the
    # ticket's own subject for a visitor without an account, else the account's public id.
    subject = models.UUIDField(_("belongs to"), editable=False)
    # What the file is for ("helpdesk.attachment", "newsletter.agreement"): the owning app
    # decides who may download it.
    purpose = models.CharField(_("purpose"), max_length=60, editable=False)
    # Random name of the sealed file under CLL_UPLOAD_DIR (never derived from the user's name).
    storage_name = models.CharField(max_length=64, unique=True, editable=False)
    # The name the person gave the file, shown back to them (sealed: it may say who they are).
    filename = EncryptedTextField(_("file name"), editable=False)
    # Detected from the content, never taken from the browser or the extension.
    content_type = models.CharField(_("type"), max_length=100, editable=False)
    size = models.PositiveIntegerField(_("size in bytes"), editable=False)
    sha256 = models.CharField(max_length=64, editable=False)
    status = models.CharField(
        _("scan status"), max_length=16, choices=Status.choices, default=Status.PENDING
    )
    scanned_at = models.DateTimeField(_("scanned at"), null=True, blank=True)
    # The signature ClamAV reported (infected files only; their bytes are not kept).
    signature = models.CharField(_("malware found"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("received at"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("uploaded file")
        verbose_name_plural = _("uploaded files")
        ordering = ["-created_at"]
        indexes = [
            # The rescan job (uploads_scan_pending): quarantined files, oldest first.
            models.Index(fields=["status", "created_at"], name="core_upload_status_idx"),
            # Export and erasure find a person's files (datamap.subject_filter).
            models.Index(fields=["subject"], name="core_upload_subject_idx"),
        ]

    def __str__(self):
        # No file name here: it is personal data and __str__ ends up in logs.
        return f"upload {self.public_id} ({self.status})"
