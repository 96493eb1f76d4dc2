"""The newsletter: lists, subscribers, their subscriptions and consent, campaigns, deliveries.

A subscriber is an e-mail address (encrypted, found by its blind index), linked to an account
when it has one: then its ``public_id`` is the account's, so the account's export and erasure
find it. A subscription to a list is PENDING until the address confirms it (double opt-in) or
a staff member records the written agreement; CONFIRMED ones receive campaigns; UNSUBSCRIBED
ones never again. The suppression list keeps a keyed hash of every address that left (or
bounced, or complained): it survives the erasure of the subscriber and a re-import, and no
campaign is ever sent to an address on it.

Sending (services and tasks): a campaign's recipients become ``Delivery`` rows at the start;
each row's state is committed around its delivery, so a worker killed mid-campaign resumes
where it stopped and every recipient gets exactly one message.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from cll.core.encryption import BlindIndexField, EncryptedCharField
from cll.courses.translated import TranslatedText

EMAIL_INDEX_PURPOSE = "newsletter.subscriber.email"


class MailingList(models.Model):
    """A list people subscribe to (news, promotions, one per learning language...)."""

    slug = models.SlugField(_("slug"), max_length=40, unique=True)
    name_fr = models.CharField(_("name (French)"), max_length=120)
    name_en = models.CharField(_("name (English)"), max_length=120)
    name_nl = models.CharField(_("name (Dutch)"), max_length=120)
    description_fr = models.TextField(_("description (French)"))
    description_en = models.TextField(_("description (English)"))
    description_nl = models.TextField(_("description (Dutch)"))
    # Shown on the public subscription form (a list may be for written agreements only).
    is_public = models.BooleanField(_("open to subscriptions on the site"), default=True)
    position = models.PositiveSmallIntegerField(_("position"), default=100)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    name = TranslatedText("name")
    description = TranslatedText("description")

    class Meta:
        verbose_name = _("mailing list")
        verbose_name_plural = _("mailing lists")
        ordering = ["position", "slug"]

    def __str__(self) -> str:
        return self.name


class Subscriber(models.Model):
    """An e-mail address that subscribed to at least one list."""

    # The account's public id when the address belongs to an account (export and erasure find
    # it by the person), else a random one of its own.
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    email = EncryptedCharField(_("e-mail address"), max_length=254)
    email_index = BlindIndexField(source="email", purpose=EMAIL_INDEX_PURPOSE, unique=True)
    account = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="subscriber",
    )
    # The language campaigns are sent in (the page's when they subscribed).
    language = models.CharField(_("language"), max_length=8)
    # Opaque token of the unsubscribe links (one per subscriber, never expires).
    unsubscribe_key = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(_("subscribed at"), auto_now_add=True)

    class Meta:
        verbose_name = _("subscriber")
        verbose_name_plural = _("subscribers")

    def __str__(self) -> str:
        return str(self.public_id)


class SubscriptionStatus(models.TextChoices):
    PENDING = "pending", _("Waiting for confirmation")
    CONFIRMED = "confirmed", _("Subscribed")
    UNSUBSCRIBED = "unsubscribed", _("Unsubscribed")


class Source(models.TextChoices):
    FORM = "form", _("Subscription form")
    REGISTRATION = "registration", _("Registration")
    PROFILE = "profile", _("Profile")
    WRITTEN = "written", _("Written agreement")
    IMPORT = "import", _("Import")


class Subscription(models.Model):
    """One subscriber on one list, with the evidence of their consent."""

    subscriber = models.ForeignKey(
        Subscriber, on_delete=models.CASCADE, related_name="subscriptions"
    )
    mailing_list = models.ForeignKey(
        MailingList, on_delete=models.PROTECT, related_name="subscriptions"
    )
    status = models.CharField(
        _("status"), max_length=16, choices=SubscriptionStatus, default=SubscriptionStatus.PENDING
    )
    source = models.CharField(_("how"), max_length=16, choices=Source)
    created_at = models.DateTimeField(_("asked at"), auto_now_add=True)
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)
    unsubscribed_at = models.DateTimeField(_("unsubscribed at"), null=True, blank=True)
    # The privacy policy in force when consent was given.
    policy_version = models.CharField(_("privacy policy version"), max_length=32, blank=True)
    # The network the confirmation came from (IPv4 /24, IPv6 /48), as evidence.
    confirm_network = models.CharField(_("network at confirmation"), max_length=64, blank=True)
    # Double opt-in: sha256 of the e-mailed link's token (cll.lib.tokens), until it is used.
    token_hash = models.CharField(max_length=64, blank=True)
    token_expires_at = models.DateTimeField(null=True, blank=True)
    # A subscription on a written agreement (source WRITTEN): its date and reference.
    agreement_date = models.DateField(_("date of the written agreement"), null=True, blank=True)
    agreement_reference = models.CharField(
        _("reference of the written agreement"), max_length=120, blank=True
    )
    # The scanned written agreement, optional (cll.core.uploads, purpose "newsletter.agreement",
    # sealed with the subscriber's data key); one document for all the lists it covers. The
    # evidence stays the date and the reference: if the file goes (erasure), they remain.
    agreement_document = models.ForeignKey(
        "core.Upload",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("scanned written agreement"),
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("subscription")
        verbose_name_plural = _("subscriptions")
        constraints = [
            models.UniqueConstraint(
                fields=["subscriber", "mailing_list"], name="newsletter_subscription_once"
            ),
            models.CheckConstraint(
                condition=~Q(source="written")
                | (Q(agreement_date__isnull=False) & ~Q(agreement_reference="")),
                name="newsletter_written_agreement_evidence",
            ),
        ]
        indexes = [
            # Recipients of a campaign: the confirmed subscriptions of its lists.
            models.Index(
                fields=["mailing_list"],
                condition=Q(status="confirmed"),
                name="newsletter_sub_confirmed_idx",
            ),
            # prune_unconfirmed_subscriptions: pending ones by age.
            models.Index(
                fields=["created_at"],
                condition=Q(status="pending"),
                name="newsletter_sub_pending_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.subscriber_id} · {self.mailing_list_id}"


class SuppressionReason(models.TextChoices):
    UNSUBSCRIBED = "unsubscribed", _("Unsubscribed")
    BOUNCED = "bounced", _("Address does not exist (hard bounce)")
    COMPLAINED = "complained", _("Marked as spam")
    MANUAL = "manual", _("Added by staff")


class Suppression(models.Model):
    """An address that must never receive a campaign (of one list, or of any when
    ``mailing_list`` is empty), kept as a keyed hash only: it outlives the subscriber's
    erasure and stops a re-import."""

    address_hash = models.CharField(max_length=64)
    mailing_list = models.ForeignKey(
        MailingList, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    reason = models.CharField(_("reason"), max_length=16, choices=SuppressionReason)
    created_at = models.DateTimeField(_("since"), auto_now_add=True)

    class Meta:
        verbose_name = _("suppressed address")
        verbose_name_plural = _("suppressed addresses")
        constraints = [
            # Once per list, and once for all lists (NULL): two partial constraints, as NULLs
            # are distinct in a unique index.
            models.UniqueConstraint(
                fields=["address_hash", "mailing_list"],
                condition=Q(mailing_list__isnull=False),
                name="newsletter_suppression_once_per_list",
            ),
            models.UniqueConstraint(
                fields=["address_hash"],
                condition=Q(mailing_list__isnull=True),
                name="newsletter_suppression_once_for_all",
            ),
        ]

    def __str__(self) -> str:
        return self.address_hash[:12]


class CampaignStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SCHEDULED = "scheduled", _("Scheduled")
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")
    CANCELLED = "cancelled", _("Cancelled")


class Campaign(models.Model):
    """A message written by Marketing, in one or more languages, sent to lists."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    title = models.CharField(_("internal title"), max_length=200)
    status = models.CharField(
        _("status"), max_length=16, choices=CampaignStatus, default=CampaignStatus.DRAFT
    )
    lists = models.ManyToManyField(MailingList, related_name="campaigns", verbose_name=_("lists"))
    # Optional segments: only subscribers whose profile matches (empty: everyone).
    segment_language = models.CharField(_("only in this language"), max_length=8, blank=True)
    segment_level = models.CharField(_("only this level"), max_length=2, blank=True)
    segment_site = models.CharField(_("only this site"), max_length=40, blank=True)
    scheduled_at = models.DateTimeField(_("send at"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    started_at = models.DateTimeField(_("sending started"), null=True, blank=True)
    finished_at = models.DateTimeField(_("sending finished"), null=True, blank=True)

    class Meta:
        verbose_name = _("campaign")
        verbose_name_plural = _("campaigns")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.title


class CampaignVersion(models.Model):
    """A campaign's text in one language (markdown)."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="versions")
    language = models.CharField(_("language"), max_length=8)
    subject = models.CharField(_("subject"), max_length=200)
    body = models.TextField(_("text (Markdown)"))

    class Meta:
        verbose_name = _("campaign version")
        verbose_name_plural = _("campaign versions")
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "language"], name="newsletter_version_per_language"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.campaign} ({self.language})"


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("To send")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")
    SKIPPED = "skipped", _("Not sent (unsubscribed meanwhile)")


class Delivery(models.Model):
    """One recipient of one campaign: created when sending starts, its state committed around
    its delivery (exactly once, also after a crash)."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="deliveries")
    subscriber = models.ForeignKey(Subscriber, on_delete=models.CASCADE, related_name="deliveries")
    status = models.CharField(
        _("status"), max_length=16, choices=DeliveryStatus, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    # The SMTP server's answer to a failure (no address in it).
    error = models.CharField(_("error"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "subscriber"], name="newsletter_delivery_once"
            ),
        ]
        indexes = [
            # The sender's next batch: pending deliveries of a campaign.
            models.Index(
                fields=["campaign", "id"],
                condition=Q(status="pending"),
                name="newsletter_delivery_todo_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.campaign_id} · {self.subscriber_id}: {self.status}"
