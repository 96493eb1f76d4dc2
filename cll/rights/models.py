"""Models of the rights app: data exports, restrictions of processing and objections.

- ``ExportJob``: one "download all my data" request (GDPR Art. 15 and 20), built in the
  background into an encrypted ZIP file outside the static and media trees, downloadable once
  by its owner until it expires.
- ``Restriction``: while a row exists, the person's data is frozen (Art. 18): only the purposes
  exempted in ``cll.rights.selectors`` may process it. One row per person; lifting deletes it
  (the ledger keeps the history).
- ``Objection``: the person objects to one purpose (Art. 21), e.g. marketing; withdrawing
  deletes it.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cll.core.encryption import EncryptedTextField


class ExportJob(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting to start")
        RUNNING = "running", _("Being prepared")
        READY = "ready", _("Ready to download")
        DOWNLOADED = "downloaded", _("Downloaded")
        EXPIRED = "expired", _("Expired")
        FAILED = "failed", _("Failed")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    subject = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="export_jobs"
    )
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.PENDING
    )
    progress = models.PositiveSmallIntegerField(_("progress (%)"), default=0)
    # Language of the request: the "ready" e-mail is written in it (the task has no request).
    language = models.CharField(_("language"), max_length=10, blank=True)
    created_at = models.DateTimeField(_("requested at"), default=timezone.now, editable=False)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    expires_at = models.DateTimeField(_("expires at"), null=True, blank=True)
    downloaded_at = models.DateTimeField(_("downloaded at"), null=True, blank=True)
    # Name of the encrypted file inside settings.EXPORT_DIR; empty once the file is deleted.
    file_name = models.CharField(_("file name"), max_length=100, blank=True)
    # Size of the ZIP as the owner downloads it (decrypted), for Content-Length.
    file_size = models.PositiveBigIntegerField(_("file size"), null=True, blank=True)

    class Meta:
        verbose_name = _("data export")
        verbose_name_plural = _("data exports")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(progress__lte=100), name="rights_export_progress_max_100"
            ),
        ]
        indexes = [
            # The "my privacy" page shows the person's latest export.
            models.Index(fields=["subject", "-created_at"], name="rights_export_subject_idx"),
            # The pruner: exports past their expiry or already used.
            models.Index(fields=["status", "expires_at"], name="rights_export_prune_idx"),
        ]

    def __str__(self):
        return f"export {self.public_id} ({self.status})"

    @property
    def downloadable(self) -> bool:
        """Ready, and not past its expiry (the pruner may not have run yet)."""
        return (
            self.status == self.Status.READY
            and self.expires_at is not None
            and self.expires_at > timezone.now()
        )

    @property
    def in_progress(self) -> bool:
        return self.status in (self.Status.PENDING, self.Status.RUNNING)


class Restriction(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    # One-to-one: processing_allowed() looks it up by the person in one indexed query.
    subject = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="restriction"
    )
    # The person's own words (e.g. "I contest the accuracy of my address"): sealed at rest.
    reason = EncryptedTextField(_("reason"), blank=True)
    created_at = models.DateTimeField(_("restricted since"), default=timezone.now)

    class Meta:
        verbose_name = _("restriction of processing")
        verbose_name_plural = _("restrictions of processing")

    def __str__(self):
        return f"restriction {self.public_id}"


class Objection(models.Model):
    class Purpose(models.TextChoices):
        MARKETING = "marketing", _("Marketing: newsletters, promotions and recommendations")
        ANALYTICS = "analytics", _("Analytics: statistics about how you use the site")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    subject = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="objections"
    )
    purpose = models.CharField(_("purpose"), max_length=32, choices=Purpose.choices)
    created_at = models.DateTimeField(_("objected on"), default=timezone.now)

    class Meta:
        verbose_name = _("objection")
        verbose_name_plural = _("objections")
        constraints = [
            # processing_allowed() looks objections up by (person, purpose): this is its index.
            models.UniqueConstraint(
                fields=["subject", "purpose"], name="rights_objection_one_per_purpose"
            ),
        ]

    def __str__(self):
        return f"objection {self.public_id} ({self.purpose})"
