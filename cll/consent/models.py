"""Models of the consent app: published cookie-policy versions and the staff's tag settings.

Consent choices themselves are not a table: they are entries of the evidence ledger
(``privacy.AuditEntry``, action ``consent.cookies``), keyed by a random consent id that the
visitor's consent cookie carries.
"""

from __future__ import annotations

from django.core.validators import RegexValidator
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

GA4_ID = RegexValidator(
    r"^G-[A-Z0-9]{4,16}\Z", _("Enter a Google Analytics 4 measurement id such as G-AB12CD34EF.")
)
ADS_ID = RegexValidator(r"^AW-[0-9]{6,14}\Z", _("Enter a Google Ads id such as AW-123456789."))
FLOODLIGHT_ID = RegexValidator(
    r"^DC-[0-9]{5,12}\Z", _("Enter a DoubleClick (Floodlight) id such as DC-1234567.")
)


class CookiePolicyVersion(models.Model):
    """A published version of the cookie policy: a snapshot of the registry, kept for ever.

    Belgian DPA checklist (2023): keep previous versions of the cookie policy. A version is
    created by ``services.cookie_policy_publish`` whenever the registry's digest changes.
    """

    number = models.PositiveIntegerField(unique=True)
    digest = models.CharField(max_length=64)
    snapshot = models.JSONField()
    published_at = models.DateTimeField()

    class Meta:
        ordering = ["-number"]

    def __str__(self) -> str:
        return f"Cookie policy v{self.number}"

    def get_absolute_url(self) -> str:
        return reverse("consent:policy_version", args=[self.number])


class TagConfiguration(models.Model):
    """The third-party tags staff configured (one row, pk=1). Empty ids load nothing."""

    ga4_measurement_id = models.CharField(
        _("Google Analytics 4 measurement id"), max_length=20, blank=True, validators=[GA4_ID]
    )
    ads_conversion_id = models.CharField(
        _("Google Ads (AdSense remarketing, conversions) id"),
        max_length=20,
        blank=True,
        validators=[ADS_ID],
    )
    floodlight_id = models.CharField(
        _("DoubleClick / Display Network (Floodlight) id"),
        max_length=20,
        blank=True,
        validators=[FLOODLIGHT_ID],
    )
    google_signals = models.BooleanField(
        _("Display Network demographics and interests reports"),
        default=False,
        help_text=_("Only ever used for visitors who accepted advertising cookies."),
    )
    updated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.CheckConstraint(condition=models.Q(pk=1), name="consent_tags_single")]

    def __str__(self) -> str:
        return "Tag configuration"
