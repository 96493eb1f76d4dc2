from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _


class Decision(models.TextChoices):
    PENDING = "pending", _("To be assessed")
    REQUIRED = "required", _("Required")
    NOT_REQUIRED = "not_required", _("Not required")


class Breach(models.Model):
    """One personal-data breach in the register (GDPR Art. 33(5)): every breach is recorded,
    whether or not the authority and the people must be told.

    The authority must be notified without undue delay and, where feasible, within 72 hours of
    detection (Art. 33(1)); a later notification must give the reasons for the delay
    (``late_reason``). People are told when the risk to them is high (Art. 34).
    """

    # Art. 33(1): "not later than 72 hours after having become aware of it".
    AUTHORITY_DEADLINE_HOURS = 72

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    title = models.CharField(_("short title"), max_length=200)
    detected_at = models.DateTimeField(_("detected at"))
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("reported by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    nature = models.TextField(_("nature of the breach"), max_length=5000)
    data_categories = models.JSONField(_("categories of personal data"), default=list, blank=True)
    people_categories = models.CharField(
        _("categories of people concerned"), max_length=500, blank=True
    )
    people_count = models.PositiveIntegerField(
        _("approximate number of people concerned"), null=True, blank=True
    )
    records_count = models.PositiveIntegerField(
        _("approximate number of records concerned"), null=True, blank=True
    )
    consequences = models.TextField(_("likely consequences"), max_length=5000, blank=True)
    measures = models.TextField(_("measures taken or proposed"), max_length=5000, blank=True)
    authority_notification = models.CharField(
        _("notification of the supervisory authority"),
        max_length=16,
        choices=Decision.choices,
        default=Decision.PENDING,
    )
    authority_notified_at = models.DateTimeField(_("authority notified at"), null=True, blank=True)
    authority_reference = models.CharField(_("authority's reference"), max_length=100, blank=True)
    late_reason = models.TextField(_("reasons for the delay"), max_length=5000, blank=True)
    people_notification = models.CharField(
        _("notification of the people concerned"),
        max_length=16,
        choices=Decision.choices,
        default=Decision.PENDING,
    )
    decision_reasons = models.TextField(
        _("reasons for these decisions"), max_length=5000, blank=True
    )
    people_notified_at = models.DateTimeField(_("people notified at"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        # The register began in the privacy app (privacy migration 0003); its tables kept their
        # names when it moved here, so no row was copied (breaches migration 0001).
        db_table = "privacy_breach"
        verbose_name = _("personal-data breach")
        verbose_name_plural = _("personal-data breaches")
        ordering = ["-detected_at"]
        indexes = [
            # The register lists breaches newest first; retention prunes the oldest.
            models.Index(fields=["detected_at"], name="privacy_breach_detected_idx"),
        ]

    def __str__(self):
        return f"Breach {self.public_id}"

    def get_absolute_url(self):
        return reverse("breaches_staff:breach_detail", args=[self.public_id])


class BreachNotice(models.Model):
    """A message the privacy officer sent to the people concerned by a breach (Art. 34)."""

    class Audience(models.TextChoices):
        LISTED = "listed", _("The accounts listed below")
        ALL_LEARNERS = "all_learners", _("All learners")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    breach = models.ForeignKey(Breach, on_delete=models.CASCADE, related_name="notices")
    audience = models.CharField(max_length=16, choices=Audience.choices)
    subject = models.CharField(_("subject"), max_length=200)
    body = models.TextField(_("message"), max_length=10000)
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    sent_at = models.DateTimeField()
    recipients = models.PositiveIntegerField(default=0)

    class Meta:
        db_table = "privacy_breachnotice"
        verbose_name = _("breach notice")
        verbose_name_plural = _("breach notices")
        ordering = ["-sent_at"]

    def __str__(self):
        return f"BreachNotice {self.public_id}"


class BreachNotification(models.Model):
    """One person told about one breach: the unique pair makes each person e-mailed once per
    breach, however many times the button is pressed."""

    breach = models.ForeignKey(Breach, on_delete=models.CASCADE, related_name="notifications")
    notice = models.ForeignKey(BreachNotice, on_delete=models.CASCADE, related_name="+")
    # The person's public id (accounts.User.public_id).
    person = models.UUIDField()
    # The outbox message (core.OutboxEmail.id) that carries it.
    email = models.UUIDField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "privacy_breachnotification"
        verbose_name = _("breach notification")
        verbose_name_plural = _("breach notifications")
        constraints = [
            models.UniqueConstraint(
                fields=["breach", "person"], name="privacy_breach_notified_once"
            )
        ]

    def __str__(self):
        return f"BreachNotification {self.pk}"
