"""Campaigns, staff side: writing them (per-language versions), choosing their recipients
(lists and optional segments), test sends, scheduling, sending now and cancelling; and the
figures of the campaign page.

Rules:

- Only Marketing and the Administrator work on campaigns (``CAMPAIGN_ROLES``); every change is
  a service here, in ``transaction.atomic()`` with its audit entry.
- A campaign is edited while it is a draft or scheduled; once sending started, its text and
  recipients are what was sent and stay as they are.
- A campaign has one version per language among ``LANGUAGES`` (at least one). A subscriber
  gets the version of their language, else the French one, else the first that exists.
- Recipients (``campaign_recipients``): subscribers with a CONFIRMED subscription to one of the
  campaign's lists, each once, matching every segment set (language of the subscriber; CEFR
  level of the linked account's learner profile; an active enrolment at a site), never an
  address on the suppression list for every list it would be reached through, never a person
  who objected to marketing or whose processing is restricted.
- Scheduling and sending now hand the campaign to the sending engine
  (``cll.newsletter.sending.campaign_start``) in the same transaction as the status change.
- A test send goes to the staff member's own account address only, through the outbox.
"""

from __future__ import annotations

import datetime
import uuid
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from django.conf import settings
from django.core.paginator import Page, Paginator
from django.db import transaction
from django.db.models import Count, Exists, IntegerField, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from cll.accounts.models import LearnerProfile
from cll.core.outbox import email_queue
from cll.core.roles import Role, acting_role, staff_roles_of
from cll.newsletter import sending
from cll.newsletter.message import campaign_message_render, one_line
from cll.newsletter.models import (
    Campaign,
    CampaignStatus,
    CampaignVersion,
    Delivery,
    DeliveryStatus,
    MailingList,
    Subscriber,
    Subscription,
    SubscriptionStatus,
    Suppression,
)
from cll.newsletter.unsubscribe import address_hash
from cll.privacy.services import audit_record
from cll.rights.models import Objection, Restriction
from cll.shop.models import Enrolment, EnrolmentStatus

CAMPAIGN_ROLES = (Role.MARKETING, Role.ADMINISTRATOR)
# The languages a campaign is written in, French first (the default of the site and of a
# subscriber whose language has no version).
LANGUAGES = ("fr", "en", "nl")
DEFAULT_LANGUAGE = "fr"
# The statuses in which a campaign's text and recipients may still change.
EDITABLE = frozenset({CampaignStatus.DRAFT, CampaignStatus.SCHEDULED})
CAMPAIGNS_PER_PAGE = 25
# Suppression fingerprints are checked for this many candidates at a time (one query each).
_SUPPRESSION_BATCH = 2000
# How long ahead a campaign may be scheduled.
SCHEDULE_MAX_DAYS = 365
# The purpose whose objection stops campaigns (cll.rights).
MARKETING_PURPOSE = Objection.Purpose.MARKETING


class CampaignNotPossible(Exception):
    """The change asked for does not fit the campaign's state; the message says why
    (translated, shown to the staff member)."""


@dataclass(frozen=True)
class VersionText:
    subject: str
    body: str


@dataclass(frozen=True)
class CampaignStats:
    """The figures of a campaign's page: recipients counted before sending, then its
    deliveries (no open or click is tracked)."""

    total: int
    sent: int
    failed: int
    skipped: int
    pending: int
    unsubscribed: int

    @property
    def done(self) -> int:
        return self.sent + self.failed + self.skipped


def _role(user) -> str:
    return acting_role(user, *CAMPAIGN_ROLES)


def _may_work_on_campaigns(user) -> bool:
    return bool(staff_roles_of(user) & set(CAMPAIGN_ROLES))


# -- Selectors ---------------------------------------------------------------------------------


def _unsubscribed_since_start() -> Subquery:
    """How many subscribers this campaign reached left one of its lists after it started: a
    correlated count on the campaign row (one query for a whole page of campaigns)."""
    left = Subscription.objects.filter(
        mailing_list__campaigns=OuterRef(OuterRef("pk")),
        subscriber=OuterRef("subscriber"),
        status=SubscriptionStatus.UNSUBSCRIBED,
        unsubscribed_at__gte=OuterRef(OuterRef("started_at")),
    )
    reached = (
        Delivery.objects.filter(campaign=OuterRef("pk"), status=DeliveryStatus.SENT)
        .filter(Exists(left))
        .order_by()
        .values("campaign")
        .annotate(count=Count("subscriber", distinct=True))
        .values("count")
    )
    return Coalesce(Subquery(reached, output_field=IntegerField()), 0)


def _with_counts(campaigns: QuerySet[Campaign]) -> QuerySet[Campaign]:
    return campaigns.annotate(
        sent_count=Count("deliveries", filter=Q(deliveries__status=DeliveryStatus.SENT)),
        failed_count=Count("deliveries", filter=Q(deliveries__status=DeliveryStatus.FAILED)),
        unsubscribed_count=_unsubscribed_since_start(),
    )


def campaign_list_for(*, user, page: str | int | None = None) -> Page:
    """The campaigns, newest first, with their lists and their sent, failed and unsubscribed
    counts (a fixed number of queries per page); an empty page for anyone without a campaign
    role."""
    campaigns = Campaign.objects.none()
    if _may_work_on_campaigns(user):
        campaigns = _with_counts(Campaign.objects.all()).prefetch_related("lists")
    return Paginator(campaigns.order_by("-created_at", "-id"), CAMPAIGNS_PER_PAGE).get_page(page)


def campaign_get_for(*, user, public_id: uuid.UUID) -> Campaign | None:
    """The campaign ``public_id`` names for a staff member with a campaign role, with its lists
    and versions; None otherwise (the view answers 404)."""
    if not _may_work_on_campaigns(user):
        return None
    return (
        Campaign.objects.filter(public_id=public_id).prefetch_related("lists", "versions").first()
    )


def campaign_versions(*, campaign: Campaign) -> dict[str, CampaignVersion]:
    """The campaign's versions by language, in ``LANGUAGES`` order."""
    by_language = {version.language: version for version in campaign.versions.all()}
    return {language: by_language[language] for language in LANGUAGES if language in by_language}


def campaign_version_for(*, campaign: Campaign, language: str) -> CampaignVersion | None:
    """The version a subscriber of ``language`` gets: theirs, else French, else the first."""
    versions = campaign_versions(campaign=campaign)
    if language in versions:
        return versions[language]
    if DEFAULT_LANGUAGE in versions:
        return versions[DEFAULT_LANGUAGE]
    return next(iter(versions.values()), None)


def _segmented(campaign: Campaign) -> QuerySet[Subscriber]:
    """Subscribers confirmed on one of the lists and matching the segments, without the
    people who objected to marketing (or whose processing is restricted), each once."""
    confirmed = Subscription.objects.filter(
        subscriber=OuterRef("pk"),
        mailing_list__in=campaign.lists.all(),
        status=SubscriptionStatus.CONFIRMED,
    )
    # Exists, not a join: a subscriber on two of the lists is one recipient.
    recipients = Subscriber.objects.filter(Exists(confirmed))
    if campaign.segment_language:
        recipients = recipients.filter(language=campaign.segment_language)
    if campaign.segment_level:
        # The level is the account's; an address without an account has none to match.
        recipients = recipients.filter(
            Exists(
                LearnerProfile.objects.filter(
                    user=OuterRef("account"), level=campaign.segment_level
                )
            )
        )
    if campaign.segment_site:
        recipients = recipients.filter(
            Exists(
                Enrolment.objects.filter(
                    learner=OuterRef("account"),
                    status=EnrolmentStatus.ACTIVE,
                    session__site__slug=campaign.segment_site,
                )
            )
        )
    # cll.rights.selectors.processing_allowed(purpose="marketing"), for a whole set at once:
    # a restriction stops every non-exempt purpose, an objection to marketing stops this one.
    blocked = Exists(Restriction.objects.filter(subject=OuterRef("account"))) | Exists(
        Objection.objects.filter(subject=OuterRef("account"), purpose=MARKETING_PURPOSE)
    )
    return recipients.exclude(blocked)


def _suppressed_ids(campaign: Campaign, candidates: QuerySet[Subscriber]) -> set[int]:
    """The candidates whose address is suppressed for every list of the campaign they are
    confirmed on. The suppression fingerprint is keyed apart from the subscriber's blind index
    (cll/newsletter/unsubscribe.py), so it is computed from the address, a batch at a time."""
    list_ids = set(campaign.lists.values_list("pk", flat=True))
    excluded: set[int] = set()
    batch: list[tuple[int, str]] = []

    def check(rows: list[tuple[int, str]]) -> None:
        hashes = {pk: address_hash(email) for pk, email in rows if email}
        # An address that cannot be read (its key destroyed by an erasure) gets nothing.
        excluded.update(pk for pk, email in rows if not email)
        suppressed: dict[str, set[int | None]] = defaultdict(set)
        for fingerprint, list_id in Suppression.objects.filter(
            Q(mailing_list__isnull=True) | Q(mailing_list__in=list_ids),
            address_hash__in=set(hashes.values()),
        ).values_list("address_hash", "mailing_list"):
            suppressed[fingerprint].add(list_id)
        if not suppressed:
            return
        reached_through: dict[int, set[int]] = defaultdict(set)
        for subscriber_id, list_id in Subscription.objects.filter(
            subscriber__in=[pk for pk, fingerprint in hashes.items() if fingerprint in suppressed],
            mailing_list__in=list_ids,
            status=SubscriptionStatus.CONFIRMED,
        ).values_list("subscriber", "mailing_list"):
            reached_through[subscriber_id].add(list_id)
        for pk, fingerprint in hashes.items():
            lists = suppressed.get(fingerprint)
            if lists and (None in lists or reached_through[pk] <= lists):
                excluded.add(pk)

    for row in candidates.values_list("pk", "email").iterator(chunk_size=_SUPPRESSION_BATCH):
        batch.append(row)
        if len(batch) == _SUPPRESSION_BATCH:
            check(batch)
            batch = []
    if batch:
        check(batch)
    return excluded


def campaign_recipients(*, campaign: Campaign) -> QuerySet[Subscriber]:
    """Who the campaign goes to (module rules): confirmed subscribers of its lists, each once,
    matching its segments, none suppressed, none who objected to marketing."""
    candidates = _segmented(campaign)
    excluded = _suppressed_ids(campaign, candidates)
    if excluded:
        candidates = candidates.exclude(pk__in=excluded)
    return candidates


def campaign_stats(*, campaign: Campaign) -> CampaignStats:
    """The figures of the campaign page. Before sending starts the total is the recipients'
    count (what would be sent now); from then on, the deliveries."""
    counts = dict(
        campaign.deliveries.order_by()
        .values("status")
        .annotate(count=Count("pk"))
        .values_list("status", "count")
    )
    if campaign.status in EDITABLE and not counts:
        total = campaign_recipients(campaign=campaign).count()
    else:
        total = sum(counts.values())
    unsubscribed = 0
    if campaign.started_at is not None:
        unsubscribed = _with_counts(Campaign.objects.filter(pk=campaign.pk)).values_list(
            "unsubscribed_count", flat=True
        )[0]
    return CampaignStats(
        total=total,
        sent=counts.get(DeliveryStatus.SENT, 0),
        failed=counts.get(DeliveryStatus.FAILED, 0),
        skipped=counts.get(DeliveryStatus.SKIPPED, 0),
        pending=counts.get(DeliveryStatus.PENDING, 0),
        unsubscribed=unsubscribed,
    )


# -- Services ----------------------------------------------------------------------------------


def _check_versions(versions: Mapping[str, VersionText]) -> dict[str, VersionText]:
    kept = {
        language: text
        for language, text in versions.items()
        if language in LANGUAGES and (text.subject.strip() or text.body.strip())
    }
    if not kept:
        raise CampaignNotPossible(_("Write the campaign in at least one language."))
    for text in kept.values():
        if not text.subject.strip() or not text.body.strip():
            raise CampaignNotPossible(_("Each version needs both a subject and a text."))
        if "\n" in text.subject or "\r" in text.subject:
            raise CampaignNotPossible(_("A subject is a single line."))
    return kept


def _write(
    campaign: Campaign,
    *,
    title: str,
    lists: Iterable[MailingList],
    segment_language: str,
    segment_level: str,
    segment_site: str,
    versions: dict[str, VersionText],
) -> None:
    lists = list(lists)
    if not lists:
        raise CampaignNotPossible(_("Choose at least one list."))
    campaign.title = title.strip()
    campaign.segment_language = segment_language
    campaign.segment_level = segment_level
    campaign.segment_site = segment_site
    campaign.save()
    campaign.lists.set(lists)
    campaign.versions.exclude(language__in=list(versions)).delete()
    for language, text in versions.items():
        CampaignVersion.objects.update_or_create(
            campaign=campaign,
            language=language,
            defaults={"subject": text.subject.strip(), "body": text.body},
        )


def _audit(*, by, action: str, campaign: Campaign, route: str = "", **detail) -> None:
    audit_record(
        actor=by,
        role=_role(by),
        action=action,
        target=campaign,
        route=route,
        detail={"campaign": campaign.public_id, **detail},
    )


def campaign_create(
    *,
    title: str,
    lists: Iterable[MailingList],
    segment_language: str = "",
    segment_level: str = "",
    segment_site: str = "",
    versions: Mapping[str, VersionText],
    by,
) -> Campaign:
    """A new draft campaign. Raises CampaignNotPossible without a list or a complete version;
    nothing is saved then."""
    checked = _check_versions(versions)
    with transaction.atomic():
        campaign = Campaign(created_by=by)
        _write(
            campaign,
            title=title,
            lists=lists,
            segment_language=segment_language,
            segment_level=segment_level,
            segment_site=segment_site,
            versions=checked,
        )
        _audit(
            by=by,
            action="newsletter.campaign_create",
            campaign=campaign,
            languages=sorted(checked),
        )
    return campaign


def _locked(campaign: Campaign) -> Campaign:
    # The sending engine moves a campaign on under the same lock: no edit slips past a start.
    return Campaign.objects.select_for_update().get(pk=campaign.pk)


def campaign_update(
    *,
    campaign: Campaign,
    title: str,
    lists: Iterable[MailingList],
    segment_language: str = "",
    segment_level: str = "",
    segment_site: str = "",
    versions: Mapping[str, VersionText],
    by,
) -> Campaign:
    """Change a draft or scheduled campaign (module rules). Raises CampaignNotPossible once
    sending started or after a cancellation."""
    checked = _check_versions(versions)
    with transaction.atomic():
        current = _locked(campaign)
        if current.status not in EDITABLE:
            raise CampaignNotPossible(_("This campaign can no longer be changed."))
        _write(
            current,
            title=title,
            lists=lists,
            segment_language=segment_language,
            segment_level=segment_level,
            segment_site=segment_site,
            versions=checked,
        )
        _audit(
            by=by,
            action="newsletter.campaign_update",
            campaign=current,
            languages=sorted(checked),
        )
    return current


def _start(campaign: Campaign, *, at: datetime.datetime | None, by, action: str) -> Campaign:
    with transaction.atomic():
        current = _locked(campaign)
        if current.status not in EDITABLE:
            raise CampaignNotPossible(_("This campaign can no longer be sent."))
        if not current.versions.exists():
            raise CampaignNotPossible(_("Write the campaign in at least one language."))
        count = campaign_recipients(campaign=current).count()
        if count == 0:
            raise CampaignNotPossible(_("Nobody would receive this campaign."))
        current.status = CampaignStatus.SCHEDULED
        current.scheduled_at = at or timezone.now()
        current.save(update_fields=["status", "scheduled_at", "updated_at"])
        _audit(
            by=by,
            action=action,
            campaign=current,
            recipients=count,
            scheduled_at=current.scheduled_at.isoformat(),
        )
        # The engine takes it from here (creates the deliveries and sends when it is time).
        sending.campaign_start(campaign=current, by=by)
    current.refresh_from_db()
    return current


def campaign_schedule(*, campaign: Campaign, at: datetime.datetime, by) -> Campaign:
    """Send the campaign at ``at`` (in the future). Raises CampaignNotPossible when it can no
    longer be sent or would reach nobody."""
    if at <= timezone.now():
        raise CampaignNotPossible(_("Choose a date and time in the future."))
    return _start(campaign, at=at, by=by, action="newsletter.campaign_schedule")


def campaign_send_now(*, campaign: Campaign, by) -> Campaign:
    """Send the campaign at once (through the task queue)."""
    return _start(campaign, at=None, by=by, action="newsletter.campaign_send")


def campaign_cancel(*, campaign: Campaign, by) -> Campaign:
    """Cancel a scheduled campaign before it starts. Raises CampaignNotPossible otherwise."""
    with transaction.atomic():
        current = _locked(campaign)
        if current.status != CampaignStatus.SCHEDULED or current.started_at is not None:
            raise CampaignNotPossible(
                _("Only a scheduled campaign that has not started can be cancelled.")
            )
        current.status = CampaignStatus.CANCELLED
        current.save(update_fields=["status", "updated_at"])
        # Deliveries the engine may have prepared are not to be sent.
        current.deliveries.filter(status=DeliveryStatus.PENDING).delete()
        _audit(by=by, action="newsletter.campaign_cancel", campaign=current)
    return current


@dataclass(frozen=True)
class PreviewMessage:
    subject: str
    html: str
    text: str


def campaign_preview_recipient(*, language: str, email: str = "") -> Subscriber:
    """A recipient that exists nowhere, for previews and test sends: its unsubscribe key is
    not any subscriber's (real keys are 43 random characters), so the links of a preview or a
    test unsubscribe nobody."""
    return Subscriber(email=email, language=language, unsubscribe_key="preview")


def campaign_preview_render(
    *, campaign: Campaign, version: CampaignVersion, email: str = ""
) -> PreviewMessage:
    """The message of ``version`` as a recipient of the campaign's first list reads it, with
    an unsubscribe link that leads nowhere (cll.newsletter.message renders it)."""
    mailing_list = campaign.lists.order_by("position", "slug").first()
    if mailing_list is None:
        raise CampaignNotPossible(_("Choose at least one list."))
    html, text = campaign_message_render(
        subscriber=campaign_preview_recipient(language=version.language, email=email),
        campaign_version=version,
        mailing_list=mailing_list,
        site_url=settings.SITE_URL,
    )
    return PreviewMessage(subject=one_line(version.subject), html=html, text=text)


def campaign_test_send(*, campaign: Campaign, language: str, by, route: str = "") -> None:
    """Send the version of ``language`` to ``by``'s own account address, through the outbox,
    with "[Test]" before the subject. Never to another address: the address is not an input."""
    if not _may_work_on_campaigns(by) or not by.email:
        raise CampaignNotPossible(_("Your account has no address to send the test to."))
    version = campaign_version_for(campaign=campaign, language=language)
    if version is None:
        raise CampaignNotPossible(_("Write the campaign in at least one language."))
    message = campaign_preview_render(campaign=campaign, version=version, email=by.email)
    with transaction.atomic():
        email_queue(
            to=by.email,
            subject=_("[Test] %(subject)s") % {"subject": message.subject},
            text=message.text,
            html=message.html,
            subject_person=by.public_id,
            headers={"Content-Language": version.language},
            kind="newsletter_test",
        )
        _audit(
            by=by,
            action="newsletter.campaign_test",
            campaign=campaign,
            route=route,
            language=version.language,
        )
