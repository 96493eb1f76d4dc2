"""Writes of the breach register (GDPR Art. 33 and 34): record and update a breach, e-mail the
people concerned. Every step is audited (``breach.*``) in the same transaction."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from datetime import timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.base_user import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from cll.breaches.models import Breach, BreachNotice, BreachNotification, Decision
from cll.core.outbox import email_queue_template
from cll.privacy.services import audit_record, person_language

BREACH_FIELDS = (
    "title",
    "detected_at",
    "nature",
    "data_categories",
    "people_categories",
    "people_count",
    "records_count",
    "consequences",
    "measures",
    "authority_notification",
    "authority_notified_at",
    "authority_reference",
    "late_reason",
    "people_notification",
    "decision_reasons",
)

# How the ledger names a breach. The register began in the privacy app: the label it had then is
# kept, so the entries written before and after the move name a breach the same way.
_TARGET = "privacy.Breach"


class BreachError(ValueError):
    """A breach change that the register refuses (shown to the privacy officer)."""


def breach_check(*, values: Mapping[str, Any]) -> None:
    """The register's rules, enforced here as well as by the form (no half-valid record):

    - the detection is not in the future;
    - the authority cannot have been notified before the breach was detected;
    - a notification of the authority more than 72 hours after detection carries the reasons
      for the delay (Art. 33(1)).
    """
    detected_at = values.get("detected_at")
    notified_at = values.get("authority_notified_at")
    if detected_at is not None and detected_at > timezone.now():
        raise BreachError("detected_at")
    if notified_at is not None and detected_at is not None:
        if notified_at < detected_at:
            raise BreachError("authority_notified_at")
        late = notified_at - detected_at > timedelta(hours=Breach.AUTHORITY_DEADLINE_HOURS)
        if late and not (values.get("late_reason") or "").strip():
            raise BreachError("late_reason")


def breach_record(
    *, actor: AbstractBaseUser, role: str, values: Mapping[str, Any], route: str = ""
) -> Breach:
    """Record a new breach in the register; the actor is its reporter."""
    breach_check(values=values)
    with transaction.atomic():
        breach = Breach(
            reported_by=actor, **{k: v for k, v in values.items() if k in BREACH_FIELDS}
        )
        if breach.authority_notified_at is not None:
            breach.authority_notification = Decision.REQUIRED
        breach.full_clean(exclude=["reported_by"])
        breach.save()
        audit_record(
            actor=actor,
            role=role,
            subject=None,
            action="breach.record",
            target=f"{_TARGET}:{breach.public_id}",
            fields=[name for name in BREACH_FIELDS if values.get(name) not in (None, "", [])],
            route=route,
            detail={"people_count": breach.people_count, "records_count": breach.records_count},
        )
        if breach.authority_notified_at is not None:
            _audit_authority_notified(actor=actor, role=role, breach=breach, route=route)
    return breach


def breach_update(
    *,
    actor: AbstractBaseUser,
    role: str,
    breach: Breach,
    values: Mapping[str, Any],
    route: str = "",
) -> Breach:
    """Update a breach (assessment, measures, notification of the authority). Records which
    fields changed, and the notification of the authority as its own step."""
    with transaction.atomic():
        breach = Breach.objects.select_for_update().get(pk=breach.pk)
        merged = {name: getattr(breach, name) for name in BREACH_FIELDS}
        merged.update({k: v for k, v in values.items() if k in BREACH_FIELDS})
        breach_check(values=merged)
        was_notified = breach.authority_notified_at is not None
        changed = [name for name in BREACH_FIELDS if getattr(breach, name) != merged[name]]
        for name in changed:
            setattr(breach, name, merged[name])
        if breach.authority_notified_at is not None:
            breach.authority_notification = Decision.REQUIRED
        if not changed:
            return breach
        breach.full_clean(exclude=["reported_by"])
        breach.save()
        audit_record(
            actor=actor,
            role=role,
            subject=None,
            action="breach.update",
            target=f"{_TARGET}:{breach.public_id}",
            fields=changed,
            route=route,
        )
        if not was_notified and breach.authority_notified_at is not None:
            _audit_authority_notified(actor=actor, role=role, breach=breach, route=route)
    return breach


def _audit_authority_notified(
    *, actor: AbstractBaseUser, role: str, breach: Breach, route: str
) -> None:
    delay = breach.authority_notified_at - breach.detected_at
    hours = int(delay.total_seconds() // 3600)
    audit_record(
        actor=actor,
        role=role,
        subject=None,
        action="breach.authority_notified",
        target=f"{_TARGET}:{breach.public_id}",
        route=route,
        detail={
            "hours_after_detection": hours,
            "late": delay > timedelta(hours=breach.AUTHORITY_DEADLINE_HOURS),
        },
    )


def breach_people_notify(
    *,
    actor: AbstractBaseUser,
    role: str,
    breach: Breach,
    audience: str,
    public_ids: Iterable[uuid.UUID] = (),
    subject: str,
    body: str,
    route: str = "",
) -> tuple[BreachNotice | None, int]:
    """E-mail the people concerned by a breach (Art. 34), through the outbox, each once.

    ``audience`` is ``BreachNotice.Audience``: the accounts listed by public id, or every
    learner (every active account that is not staff). People already told about this breach
    are skipped: the unique (breach, person) pair, checked under a lock on the breach row,
    makes a second press of the button, or a second list naming them, send nothing to them.
    Returns ``(notice or None, how many were e-mailed)``.
    """
    User = get_user_model()
    if audience == BreachNotice.Audience.ALL_LEARNERS:
        people = User.objects.filter(is_active=True, is_staff=False)
    elif audience == BreachNotice.Audience.LISTED:
        people = User.objects.filter(public_id__in=list(public_ids))
    else:
        raise BreachError("audience")
    # Erased and child accounts have non-routable addresses: nobody to write to.
    people = people.exclude(email__endswith="@invalid").order_by("pk")
    with transaction.atomic():
        breach = Breach.objects.select_for_update().get(pk=breach.pk)
        told = set(breach.notifications.values_list("person", flat=True))
        new = [person for person in people if person.public_id not in told]
        if not new:
            return None, 0
        now = timezone.now()
        notice = BreachNotice.objects.create(
            breach=breach,
            audience=audience,
            subject=subject,
            body=body,
            sent_by=actor,
            sent_at=now,
            recipients=len(new),
        )
        rows = []
        for person in new:
            email = email_queue_template(
                to=person.email,
                template_prefix="emails/privacy_breach_notice",
                context={"subject": subject, "body": body},
                language=person_language(person),
                subject_person=person.public_id,
            )
            rows.append(
                BreachNotification(
                    breach=breach, notice=notice, person=person.public_id, email=email.pk
                )
            )
        BreachNotification.objects.bulk_create(rows)
        if breach.people_notified_at is None:
            breach.people_notified_at = now
            breach.save(update_fields=["people_notified_at", "updated_at"])
        audit_record(
            actor=actor,
            role=role,
            subject=None,
            action="breach.people_notified",
            target=f"{_TARGET}:{breach.public_id}",
            route=route,
            detail={
                "notice": notice.public_id,
                "audience": audience,
                "recipients": len(new),
                "already_notified": len(told),
            },
        )
    return notice, len(new)
