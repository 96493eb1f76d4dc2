"""Models of the policies app: versions of the privacy policy and the general terms, what each
person answered to a change, and their opt-ins to purposes a change introduced.

A version is a draft until it is published; published versions are never edited or deleted
(every past version stays readable at its own URL). See ``services.py`` for the rules.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

# The languages every published version is written in (the site's languages).
POLICY_LANGUAGES = ("fr", "en", "nl")


class PolicyKind(models.TextChoices):
    PRIVACY = "privacy", _("Privacy policy")
    TERMS = "terms", _("Terms and conditions")


class PolicyVersion(models.Model):
    """One version of a policy, with its text and change log in each language."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    kind = models.CharField(_("policy"), max_length=16, choices=PolicyKind.choices)
    version = models.CharField(_("version"), max_length=32)
    body_fr = models.TextField(_("text in French"), blank=True)
    body_en = models.TextField(_("text in English"), blank=True)
    body_nl = models.TextField(_("text in Dutch"), blank=True)
    changes_fr = models.TextField(_("summary of the changes in French"), blank=True)
    changes_en = models.TextField(_("summary of the changes in English"), blank=True)
    changes_nl = models.TextField(_("summary of the changes in Dutch"), blank=True)
    # A material change is announced by e-mail and banner and opens the objection window.
    material = models.BooleanField(_("material change"), default=False)
    # The change concerns processing based on the contract or a legitimate interest: without
    # objection within the window, acceptance is deemed (GDPR does not allow this for consent).
    affects_existing_processing = models.BooleanField(
        _("changes processing based on the contract or a legitimate interest"), default=False
    )
    # Keys of cll.privacy.datamap.PURPOSES the change introduces on the basis of consent: off
    # for everyone until each person opts in (silence is not consent).
    new_consent_purposes = models.JSONField(
        _("new purposes based on consent"), default=list, blank=True
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    # When the version applies: at publication, or at the end of the objection window.
    effective_at = models.DateTimeField(_("effective from"), null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("published by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # Set when every e-mail announcing a material change has been queued.
    announced_at = models.DateTimeField(_("announced at"), null=True, blank=True)

    class Meta:
        verbose_name = _("policy version")
        verbose_name_plural = _("policy versions")
        constraints = [
            models.UniqueConstraint(fields=["kind", "version"], name="policies_version_label"),
        ]
        indexes = [
            # The current version of a kind: the latest published one.
            models.Index(fields=["kind", "-published_at"], name="policies_version_current_idx"),
        ]

    def __str__(self):
        return f"{self.kind} {self.version}"

    def get_absolute_url(self):
        return reverse("policies:version_detail", args=[self.kind, self.version])

    @property
    def is_published(self) -> bool:
        return self.published_at is not None

    def body(self, language: str) -> str:
        return getattr(self, f"body_{language}", "") or ""

    def changes(self, language: str) -> str:
        return getattr(self, f"changes_{language}", "") or ""


class PolicyResponse(models.Model):
    """What one person did about one material change: told, then accepted, objected or deemed.

    One row per person and version. ``notified_at`` is set in the same transaction that queues
    the announcement e-mail, so re-running the announcement never writes to anyone twice.
    """

    class Decision(models.TextChoices):
        PENDING = "", _("No answer yet")
        ACCEPTED = "accepted", _("Accepted")
        OBJECTED = "objected", _("Objected")
        DEEMED = "deemed", _("Deemed accepted (no objection within the period)")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    version = models.ForeignKey(PolicyVersion, on_delete=models.PROTECT, related_name="responses")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="policy_responses"
    )
    notified_at = models.DateTimeField(_("told of the change at"), null=True, blank=True)
    decision = models.CharField(
        _("decision"), max_length=16, choices=Decision.choices, blank=True, default=""
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)

    class Meta:
        verbose_name = _("answer to a policy change")
        verbose_name_plural = _("answers to policy changes")
        constraints = [
            models.UniqueConstraint(fields=["version", "user"], name="policies_response_once"),
        ]
        indexes = [
            # The deemed-acceptance job and the staff counts: one version's rows by decision.
            models.Index(fields=["version", "decision"], name="policies_response_decision_idx"),
        ]

    def __str__(self):
        return f"{self.version} {self.user_id} {self.decision or 'pending'}"


class PurposeConsent(models.Model):
    """A person's choice about one consent-based purpose (a key of the data map's PURPOSES).

    No row means no consent: a purpose a policy change introduces stays off until the person
    opts in. Withdrawing keeps the row with ``opted_in`` False (the history is in the ledger).
    """

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="purpose_consents"
    )
    purpose = models.CharField(_("purpose"), max_length=64)
    opted_in = models.BooleanField(_("opted in"), default=False)
    changed_at = models.DateTimeField(_("changed at"))
    # The version whose change introduced the purpose, when the choice was made from it.
    version = models.ForeignKey(
        PolicyVersion, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("consent to a purpose")
        verbose_name_plural = _("consents to purposes")
        constraints = [
            models.UniqueConstraint(fields=["user", "purpose"], name="policies_purpose_once"),
        ]

    def __str__(self):
        return f"{self.user_id} {self.purpose} {self.opted_in}"
