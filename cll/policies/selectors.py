"""Reads of the policies app: the versions in force, the notice a person must see, their
choices about new purposes, and the "what we collect and why" section built from the data map.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django.utils.functional import Promise

from cll.core import pagecache
from cll.policies.models import PolicyKind, PolicyResponse, PolicyVersion, PurposeConsent
from cll.policies.text import FIRST_VERSIONS, first_version_bodies
from cll.privacy import datamap


def _published(kind: str) -> QuerySet[PolicyVersion]:
    return PolicyVersion.objects.filter(
        kind=kind, published_at__isnull=False, published_at__lte=timezone.now()
    ).order_by("-published_at", "-pk")


def policy_current(kind: str = PolicyKind.PRIVACY) -> PolicyVersion:
    """The latest published version of a policy (what people are shown now).

    Before any version is in the database (a fresh database before migrating, or one emptied by
    a test's flush), the first version shipped as files, unsaved.
    """
    version = _published(kind).first()
    if version is not None:
        return version
    label = dict(FIRST_VERSIONS)[kind]
    if kind == PolicyKind.PRIVACY:
        label = settings.PRIVACY_POLICY_VERSION
    bodies = first_version_bodies(kind, dict(FIRST_VERSIONS)[kind])
    return PolicyVersion(
        kind=kind,
        version=label,
        published_at=None,
        **{f"body_{language}": text for language, text in bodies.items()},
    )


def policy_version_current(kind: str = "privacy") -> str:
    """The version label of the policy in force (``kind``: "privacy" or "terms").

    ``settings.PRIVACY_POLICY_VERSION`` is only the fallback before any version is published;
    the first version loaded by the data migration carries the same label.
    """
    version = _published(kind).values_list("version", flat=True).first()
    if version is not None:
        return version
    if kind == PolicyKind.PRIVACY:
        return settings.PRIVACY_POLICY_VERSION
    return dict(FIRST_VERSIONS)[kind]


def policy_versions_published(kind: str) -> list[PolicyVersion]:
    """Every published version of a policy, newest first."""
    return list(_published(kind).defer("body_fr", "body_en", "body_nl"))


def policy_version_get(*, kind: str, version: str) -> PolicyVersion | None:
    """A published version by its label; drafts are never public."""
    return _published(kind).filter(version=version).first()


def policy_version_previous(version: PolicyVersion) -> PolicyVersion | None:
    if version.published_at is None:
        return None
    return (
        _published(version.kind)
        .filter(published_at__lt=version.published_at)
        .defer("body_fr", "body_en", "body_nl")
        .first()
    )


def objection_deadline(version: PolicyVersion) -> datetime | None:
    """The end of the period in which people may object to a material change."""
    if not version.material or version.published_at is None:
        return None
    return version.published_at + timedelta(days=settings.POLICY_OBJECTION_DAYS)


# -- Notices and choices of one person -------------------------------------------------------


@dataclass(frozen=True)
class ConsentPurpose:
    key: str
    description: str | Promise
    opted_in: bool


@dataclass(frozen=True)
class PolicyNotice:
    version: PolicyVersion
    deadline: datetime
    purposes: list[ConsentPurpose]


def _concerned(user, version: PolicyVersion) -> bool:
    # People who joined after publication accepted the new version when they signed up.
    return user.date_joined < version.published_at


# The publication dates of every material version, with the public-content version they were
# read under: (content version, dates). Published versions never change, and publishing (or
# any save or deletion of a version) moves the content version (``bump_on_change`` in
# apps.py), so the dates stay right for as long as the content version does.
_material_dates: tuple[str | None, tuple[datetime, ...]] = (None, ())


def _material_publication_dates() -> tuple[datetime, ...]:
    global _material_dates
    # The content version is read before the dates: a version published after that read
    # moves the content version again, so it is never missed for longer than one read.
    content_version = pagecache.content_version()
    read_under, dates = _material_dates
    if read_under == content_version:
        return dates
    dates = tuple(
        PolicyVersion.objects.filter(material=True, published_at__isnull=False).values_list(
            "published_at", flat=True
        )
    )
    _material_dates = (content_version, dates)
    return dates


def policy_notice_for(user) -> PolicyNotice | None:
    """The material change this person must be told about now, or None.

    Shown from publication until the end of the objection period, to people who had an
    account before the change and have not answered it yet (accepted or objected; being told
    by e-mail is not an answer).

    Every signed-in page asks, and almost always no change is due: the publication dates of
    material versions are kept in memory, keyed on ``pagecache.content_version()``, and the
    person's answers are only read when one of them falls in their window — otherwise this
    costs no query (the content version itself is read at most once per
    ``pagecache.VERSION_TTL`` seconds per process, shared with the page cache and the
    fragments). A publication is therefore seen with the freshness of cached pages: at
    once by the process that published it, within ``pagecache.VERSION_TTL`` seconds by the
    others.
    """
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return None
    now = timezone.now()
    since = max(now - timedelta(days=settings.POLICY_OBJECTION_DAYS), user.date_joined)
    if not any(since < published <= now for published in _material_publication_dates()):
        return None
    candidates = PolicyVersion.objects.filter(
        material=True,
        published_at__isnull=False,
        published_at__gt=since,
        published_at__lte=now,
    ).order_by("-published_at")
    answered = PolicyResponse.objects.filter(user=user).exclude(
        decision=PolicyResponse.Decision.PENDING
    )
    version = candidates.exclude(pk__in=answered.values("version")).first()
    if version is None:
        return None
    return PolicyNotice(
        version=version,
        deadline=objection_deadline(version),
        purposes=consent_purposes_for(user=user, keys=version.new_consent_purposes),
    )


def consent_purposes_for(*, user, keys: list[str] | None = None) -> list[ConsentPurpose]:
    """The consent-based purposes introduced by published policy versions, with this person's
    choice about each (``keys`` limits them)."""
    if keys is None:
        keys = []
        for listed in PolicyVersion.objects.filter(published_at__isnull=False).values_list(
            "new_consent_purposes", flat=True
        ):
            keys.extend(key for key in listed if key not in keys)
    opted_in = set(
        PurposeConsent.objects.filter(user=user, purpose__in=keys, opted_in=True).values_list(
            "purpose", flat=True
        )
    )
    return [
        ConsentPurpose(key, datamap.PURPOSES[key].description, key in opted_in)
        for key in keys
        if key in datamap.PURPOSES
    ]


def purpose_opted_in(*, user, purpose: str) -> bool:
    """Whether this person opted in to a consent-based purpose a policy change introduced.

    False until they opt in explicitly: no answer, an objection and a deemed acceptance are
    all "no" (silence is not consent).
    """
    if not getattr(user, "is_authenticated", False):
        return False
    return PurposeConsent.objects.filter(user=user, purpose=purpose, opted_in=True).exists()


def policy_objected(*, user, kind: str = PolicyKind.PRIVACY) -> bool:
    """Whether this person objected to the latest material change of a policy.

    Apps with processing based on a legitimate interest that the change introduced must leave
    this person out of it (GDPR Art. 21).
    """
    latest = _published(kind).filter(material=True).first()
    if latest is None:
        return False
    return PolicyResponse.objects.filter(
        user=user, version=latest, decision=PolicyResponse.Decision.OBJECTED
    ).exists()


def policy_response_for(*, user, version: PolicyVersion) -> PolicyResponse | None:
    return PolicyResponse.objects.filter(user=user, version=version).first()


# -- Staff --------------------------------------------------------------------------------------


def policy_version_list_for_staff() -> QuerySet[PolicyVersion]:
    """Every version, drafts first, with how many people were told, accepted, objected or were
    deemed to accept."""
    decision = PolicyResponse.Decision
    return (
        PolicyVersion.objects.defer("body_fr", "body_en", "body_nl")
        .annotate(
            notified=Count("responses", filter=Q(responses__notified_at__isnull=False)),
            accepted=Count("responses", filter=Q(responses__decision=decision.ACCEPTED)),
            objected=Count("responses", filter=Q(responses__decision=decision.OBJECTED)),
            deemed=Count("responses", filter=Q(responses__decision=decision.DEEMED)),
        )
        .order_by("published_at", "kind", "-created_at")
    )


def policy_draft_get(*, public_id) -> PolicyVersion | None:
    return PolicyVersion.objects.filter(public_id=public_id).first()


# -- "What we collect and why", from the data map ----------------------------------------------


@dataclass(frozen=True)
class PurposeSummary:
    key: str
    description: str | Promise
    categories: list[str | Promise]
    bases: list[str | Promise]
    retention: list[str]
    recipients: list[datamap.Recipient]


def what_we_collect() -> list[PurposeSummary]:
    """For every declared purpose: the kinds of data held for it, the legal bases, how long and
    who receives it, gathered from every field rule of the data map.

    The privacy policy page shows this list, so the text people read is the code that runs.
    """
    gathered: dict[str, dict[str, dict]] = {
        key: {"categories": {}, "bases": {}, "retention": {}, "recipients": {}}
        for key in datamap.PURPOSES
    }
    for entry in datamap.entries():
        for rule in entry.personal_fields.values():
            for key in rule.purposes:
                found = gathered[key]
                found["categories"][rule.category] = datamap.Category(rule.category).label
                found["bases"][rule.basis] = datamap.Basis(rule.basis).label
                found["retention"][rule.retention] = datamap.RETENTION[rule.retention].description
                for recipient in rule.recipients:
                    found["recipients"][recipient] = datamap.RECIPIENTS[recipient]
    return [
        PurposeSummary(
            key=key,
            description=purpose.description,
            categories=list(gathered[key]["categories"].values()),
            bases=list(gathered[key]["bases"].values()),
            retention=list(gathered[key]["retention"].values()),
            recipients=list(gathered[key]["recipients"].values()),
        )
        for key, purpose in datamap.PURPOSES.items()
    ]
