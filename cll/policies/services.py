"""Writes of the policies app.

Rules (the privacy policy, DESIGN.md §3.6 and GDPR):

- drafts are edited freely; a published version is never changed or deleted, and every past
  version stays readable;
- publishing a **material** change e-mails every active person who had an account before it
  (``policy_announce``, batched, each person once however often it runs), shows them a notice
  and opens ``POLICY_OBJECTION_DAYS`` (30) days in which they can accept, object or close their
  account in one click;
- without an answer by then, acceptance is recorded as **deemed** (``policy_deemed_record``),
  only when the change concerns processing based on the contract or a legitimate interest. A
  purpose the change introduces on the basis of consent stays off for everyone who did not opt
  in (silence is not consent);
- every acceptance, objection, deemed acceptance and opt-in/out writes an audit entry in the
  same transaction (``policy.accept``, ``policy.object``, ``policy.deemed``,
  ``policy.opt_in``, ``policy.opt_out``; ``policy.publish`` for staff).
"""

from __future__ import annotations

from datetime import timedelta
from functools import partial

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from cll.core.outbox import email_queue
from cll.policies.models import POLICY_LANGUAGES, PolicyResponse, PolicyVersion, PurposeConsent
from cll.policies.tasks import policy_announce_task
from cll.privacy import datamap
from cll.privacy.services import audit_record

ROUTE_PUBLISH = "policies_staff:version_edit"
ROUTE_RESPOND = "policies:respond"
ROUTE_CHOICES = "policies:choices"


class PolicyError(ValueError):
    """A write the rules above refuse (publishing twice, an empty text...)."""


def policy_version_draft_save(
    *,
    actor,
    role: str,
    kind: str,
    version: str,
    bodies: dict[str, str],
    changes: dict[str, str],
    material: bool,
    affects_existing_processing: bool,
    new_consent_purposes: list[str],
    draft: PolicyVersion | None = None,
) -> PolicyVersion:
    """Create or update a draft. Published versions cannot be changed."""
    unknown = [key for key in new_consent_purposes if key not in datamap.PURPOSES]
    if unknown:
        raise PolicyError(f"Unknown purposes: {', '.join(unknown)}.")
    with transaction.atomic():
        if draft is None:
            draft = PolicyVersion(kind=kind)
        else:
            draft = PolicyVersion.objects.select_for_update().get(pk=draft.pk)
            if draft.is_published:
                raise PolicyError("A published version cannot be changed.")
        draft.version = version
        for language in POLICY_LANGUAGES:
            setattr(draft, f"body_{language}", bodies.get(language, ""))
            setattr(draft, f"changes_{language}", changes.get(language, ""))
        draft.material = material
        draft.affects_existing_processing = affects_existing_processing
        draft.new_consent_purposes = list(new_consent_purposes)
        created = draft.pk is None
        draft.save()
        audit_record(
            actor=actor,
            role=role,
            action="policy.draft",
            target=draft,
            route=ROUTE_PUBLISH,
            detail={"kind": draft.kind, "version": draft.version, "created": created},
        )
    return draft


def policy_version_publish(*, actor, role: str, version: PolicyVersion) -> PolicyVersion:
    """Publish a draft now. A material change is then announced by a background task."""
    with transaction.atomic():
        version = PolicyVersion.objects.select_for_update().get(pk=version.pk)
        if version.is_published:
            raise PolicyError("This version is already published.")
        missing = [language for language in POLICY_LANGUAGES if not version.body(language).strip()]
        if missing:
            raise PolicyError(f"The text is empty in: {', '.join(missing)}.")
        now = timezone.now()
        version.published_at = now
        version.published_by = actor
        version.effective_at = (
            now + timedelta(days=settings.POLICY_OBJECTION_DAYS) if version.material else now
        )
        version.save(update_fields=["published_at", "published_by", "effective_at"])
        audit_record(
            actor=actor,
            role=role,
            action="policy.publish",
            target=version,
            route=ROUTE_PUBLISH,
            detail={
                "kind": version.kind,
                "version": version.version,
                "material": version.material,
                "affects_existing_processing": version.affects_existing_processing,
                "new_consent_purposes": list(version.new_consent_purposes),
            },
        )
        if version.material:
            transaction.on_commit(partial(_enqueue_announcement, version.public_id), robust=True)
    return version


def _enqueue_announcement(public_id) -> None:
    # If the queue is down, the daily policy_deemed_task re-runs the announcement.
    policy_announce_task.enqueue(str(public_id))


def _people_to_tell(version: PolicyVersion):
    return (
        get_user_model()
        .objects.filter(is_active=True, date_joined__lt=version.published_at)
        .exclude(policy_responses__version=version)
        .order_by("pk")
    )


def policy_announce(*, version: PolicyVersion, batch_size: int | None = None) -> int:
    """E-mail a material change to every active person who had an account before it.

    Each batch queues its e-mails and writes the ``PolicyResponse`` rows that mark those people
    as told in one transaction, so a crash or a second run never writes to anyone twice, and
    never skips anyone. Returns the number of e-mails queued by this run.
    """
    if not version.material or not version.is_published:
        return 0
    batch_size = batch_size or settings.POLICY_ANNOUNCE_BATCH
    queued = 0
    while True:
        with transaction.atomic():
            people = list(_people_to_tell(version)[:batch_size])
            if not people:
                break
            now = timezone.now()
            for person in people:
                PolicyResponse.objects.create(version=version, user=person, notified_at=now)
                _queue_announcement(version, person)
            queued += len(people)
    if version.announced_at is None:
        PolicyVersion.objects.filter(pk=version.pk, announced_at__isnull=True).update(
            announced_at=timezone.now()
        )
    return queued


def _queue_announcement(version: PolicyVersion, person) -> None:
    """One message in the three languages of the site: we do not know which one each person
    reads, and a change to their rights must reach them."""
    context = {
        "organisation": {
            "name": settings.ORGANISATION_NAME,
            "privacy_email": settings.PRIVACY_EMAIL,
            "postal_address": settings.POSTAL_ADDRESS,
        },
        "version": version,
        "deadline": version.published_at + timedelta(days=settings.POLICY_OBJECTION_DAYS),
        "site_url": settings.SITE_URL,
    }
    subjects, texts = [], []
    for language in POLICY_LANGUAGES:
        with translation.override(language):
            language_context = {
                **context,
                "changes": version.changes(language),
                "policy_url": settings.SITE_URL + version.get_absolute_url(),
                "profile_url": settings.SITE_URL + reverse("accounts:profile"),
            }
            subjects.append(
                " ".join(render_to_string("emails/policy_change_subject.txt", context).split())
            )
            texts.append(render_to_string("emails/policy_change.txt", language_context))
    email_queue(
        to=person.email,
        subject=" / ".join(subjects),
        text="\n\n----------\n\n".join(texts),
        subject_person=person.public_id,
        kind="emails/policy_change",
    )


def _respond(*, user, version: PolicyVersion, decision: str, action: str) -> PolicyResponse:
    response, _ = PolicyResponse.objects.select_for_update().get_or_create(
        version=version, user=user
    )
    response.decision = decision
    response.decided_at = timezone.now()
    response.save(update_fields=["decision", "decided_at"])
    audit_record(
        actor=user,
        subject=user,
        action=action,
        target=response,
        route=ROUTE_RESPOND,
        detail={"kind": version.kind, "version": version.version},
    )
    return response


def policy_accept(
    *, user, version: PolicyVersion, purposes: list[str] | tuple[str, ...] = ()
) -> PolicyResponse:
    """Record an explicit acceptance, with opt-ins to the new consent purposes ticked."""
    if not version.is_published:
        raise PolicyError("Only a published version can be accepted.")
    with transaction.atomic():
        response = _respond(
            user=user,
            version=version,
            decision=PolicyResponse.Decision.ACCEPTED,
            action="policy.accept",
        )
        for key in purposes:
            if key in version.new_consent_purposes:
                purpose_consent_set(user=user, purpose=key, opted_in=True, version=version)
    return response


def policy_object(*, user, version: PolicyVersion) -> PolicyResponse:
    """Record an objection to a change; the privacy officer is told to act on it.

    The new consent purposes stay off (withdrawn if the person had opted in).
    """
    if not version.is_published:
        raise PolicyError("Only a published version can be objected to.")
    with transaction.atomic():
        response = _respond(
            user=user,
            version=version,
            decision=PolicyResponse.Decision.OBJECTED,
            action="policy.object",
        )
        for key in version.new_consent_purposes:
            if PurposeConsent.objects.filter(user=user, purpose=key, opted_in=True).exists():
                purpose_consent_set(user=user, purpose=key, opted_in=False, version=version)
        with translation.override(settings.LANGUAGE_CODE):
            text = render_to_string(
                "emails/policy_objection.txt",
                {
                    "version": version,
                    "response": response,
                    "person": user.public_id,
                    "organisation": {"name": settings.ORGANISATION_NAME},
                },
            )
            subject = " ".join(
                render_to_string(
                    "emails/policy_objection_subject.txt", {"version": version}
                ).split()
            )
        # To the privacy team: ids only, the person is looked up on the staff pages.
        email_queue(to=settings.PRIVACY_EMAIL, subject=subject, text=text, kind="policy_objection")
    return response


def purpose_consent_set(
    *, user, purpose: str, opted_in: bool, version: PolicyVersion | None = None
) -> PurposeConsent:
    """Opt in to, or out of, a consent-based purpose."""
    if purpose not in datamap.PURPOSES:
        raise PolicyError(f"Unknown purpose {purpose!r}.")
    with transaction.atomic():
        consent, _ = PurposeConsent.objects.select_for_update().get_or_create(
            user=user,
            purpose=purpose,
            defaults={"changed_at": timezone.now(), "version": version},
        )
        consent.opted_in = opted_in
        consent.changed_at = timezone.now()
        if version is not None:
            consent.version = version
        consent.save(update_fields=["opted_in", "changed_at", "version"])
        audit_record(
            actor=user,
            subject=user,
            action="policy.opt_in" if opted_in else "policy.opt_out",
            target=consent,
            route=ROUTE_CHOICES,
            detail={"purpose": purpose, "version": version.version if version else None},
        )
    return consent


def policy_deemed_record(*, now=None, batch_size: int = 500) -> int:
    """Record deemed acceptance for everyone told of a material change to contract or
    legitimate-interest processing who neither accepted nor objected within the period.

    Only people who were told (``notified_at`` set) and whose account is still active: an
    acceptance cannot be deemed from someone who never received the notice. Consent purposes
    are not touched. Returns the number of deemed acceptances recorded.
    """
    now = now or timezone.now()
    cutoff = now - timedelta(days=settings.POLICY_OBJECTION_DAYS)
    versions = PolicyVersion.objects.filter(
        material=True, affects_existing_processing=True, published_at__lte=cutoff
    )
    recorded = 0
    for version in versions:
        while True:
            with transaction.atomic():
                rows = list(
                    PolicyResponse.objects.select_for_update()
                    .filter(
                        version=version,
                        decision=PolicyResponse.Decision.PENDING,
                        notified_at__isnull=False,
                        user__is_active=True,
                    )
                    .select_related("user")
                    .order_by("pk")[:batch_size]
                )
                if not rows:
                    break
                for response in rows:
                    response.decision = PolicyResponse.Decision.DEEMED
                    response.decided_at = now
                    response.save(update_fields=["decision", "decided_at"])
                    audit_record(
                        subject=response.user,
                        action="policy.deemed",
                        target=response,
                        route="policies.tasks.policy_deemed_task",
                        detail={
                            "kind": version.kind,
                            "version": version.version,
                            "days": settings.POLICY_OBJECTION_DAYS,
                        },
                    )
                recorded += len(rows)
    return recorded


def policy_announcements_resume() -> int:
    """Finish announcements a lost task left unfinished (run by the daily job)."""
    queued = 0
    for version in PolicyVersion.objects.filter(
        material=True, published_at__isnull=False, announced_at__isnull=True
    ):
        queued += policy_announce(version=version)
    return queued
