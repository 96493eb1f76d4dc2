"""Writes of the erasure app: erasing a person now, or after a grace period they can cancel.

Every erasure of an account goes through ``erasure_execute`` (the person deleting their account,
the privacy officer fulfilling a request, the retention engine, the end of a grace period, the
journal replay), which runs the data-map engine (``engine.py``) and journals the erasure
(``journal.py``).
"""

from __future__ import annotations

import datetime
import logging
import re
import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from cll.accounts.models import Guardianship, User
from cll.accounts.services import account_deactivate, account_reactivate
from cll.core.models import DataKey
from cll.core.outbox import email_queue_template
from cll.erasure import engine
from cll.erasure.anonymisers import is_erased
from cll.erasure.journal import journal_flush, journal_read, journal_watermark_set
from cll.erasure.models import ErasureSchedule, JournalPending
from cll.erasure.selectors import schedule_get_by_token, schedules_due, wards_plan_for
from cll.lib.tokens import link_token_new
from cll.privacy.services import audit_record

if TYPE_CHECKING:
    from cll.accounts.models import User

logger = logging.getLogger(__name__)

# Reasons are codes ("account.delete", "dsar", "retention.inactive"...), written to the ledger;
# anything else is recorded as "other" (the ledger holds no free text).
_REASON = re.compile(r"[a-z0-9][a-z0-9._-]{0,63}")


class ErasureError(ValueError):
    """A request the erasure app refuses; ``str()`` is a translated message for the person."""


class AlreadyErased(ErasureError):
    pass


class AlreadyScheduled(ErasureError):
    pass


class NotScheduled(ErasureError):
    pass


@dataclass
class ErasureReport:
    """What one erasure did. ``subject`` is the person's public id (their shell keeps it)."""

    subject: uuid.UUID
    already_erased: bool = False
    # Rows per model label: {"deleted": n, "anonymised": n, "held": n, "destroyed": n}.
    counts: dict[str, dict[str, int]] = field(default_factory=dict)
    # Public ids of the children erased with their guardian.
    wards_erased: list[uuid.UUID] = field(default_factory=list)

    @property
    def message(self) -> str:
        if self.already_erased:
            return _("This person's data was already erased: there was nothing left to do.")
        return _("The personal data was erased.")


def _reason(reason: str) -> str:
    return reason if _REASON.fullmatch(reason or "") else ("other" if reason else "")


def _erase_one(*, user: User, actor: User | None, reason: str, journal: bool) -> ErasureReport:
    """Inside the caller's transaction: erase one account (not its wards) and audit it."""
    subject = user.public_id
    actor_id = subject if actor is None else actor.public_id
    counts = engine.erase_subject(subject=subject)
    detail = {"counts": counts}
    if reason:
        detail["reason"] = _reason(reason)
    audit_record(
        actor=actor_id,
        subject=subject,
        action="erasure.execute",
        target="accounts.User",
        detail=detail,
    )
    if journal:
        JournalPending.objects.get_or_create(subject=subject)
    return ErasureReport(subject=subject, counts=counts)


def erasure_execute(
    *, subject: User, actor: User | None = None, reason: str = "", journal: bool = True
) -> ErasureReport:
    """Erase ``subject`` (a user) now, as the data map says; returns an ``ErasureReport``.

    - their rows in every app are deleted, anonymised or kept under legal hold, detached
      (``engine.erase_subject``), their data key is destroyed, and the account row stays as
      an empty shell (same random public id, nothing else);
    - a guardian's children who could not take their account over and have no other guardian
      are erased too; the others keep their account; the guardian's guardianships go;
    - one ``erasure.execute`` audit entry per person, with counts per model (ids only);
    - the public id goes to the erasure journal after the commit (``journal.py``).

    ``reason`` is a code such as "account.delete", "dsar" or "retention.inactive". Erasing
    someone already erased does nothing and says so (``report.already_erased``); it never
    raises. ``journal=False`` is for the journal replay, whose entries are journaled already.
    """
    with transaction.atomic():
        user = User.objects.select_for_update().filter(pk=subject.pk).first()
        if user is None or is_erased(user):
            return ErasureReport(subject=subject.public_id, already_erased=True)
        wards = wards_plan_for(guardian=user)
        report_wards = []
        for child in wards.erased:
            child_report = _erase_one(
                user=child, actor=actor or user, reason="guardian-erased", journal=journal
            )
            report_wards.append(child_report.subject)
        for link in Guardianship.objects.filter(guardian=user).select_related("child"):
            audit_record(
                actor=actor or user,
                subject=link.child,
                action="guardianship.end",
                target=link,
                detail={"guardian": str(user.public_id), "cause": "guardian-erased"},
            )
            link.delete()
        report = _erase_one(user=user, actor=actor, reason=reason, journal=journal)
        report.wards_erased = report_wards
        if journal:
            transaction.on_commit(journal_flush, robust=True)
    return report


def _is_scheduled(user: User) -> bool:
    return ErasureSchedule.objects.filter(user=user).exists()


def erasure_schedule(*, subject: User, actor: User | None = None) -> ErasureSchedule:
    """The person asks for the erasure of their account, effective after the grace period.

    The account is deactivated and every session ends at once; an e-mail (outbox) confirms,
    with a single-use link that cancels. Signing back in through the reactivation page cancels
    too. Raises ``AlreadyErased`` or ``AlreadyScheduled`` (translated messages).
    """
    # Valid while the erasure is pending: the row (and its hash) goes when it is carried out.
    link = link_token_new(lifetime=None)
    language = translation.get_language() or settings.LANGUAGE_CODE
    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=subject.pk)
        if is_erased(user):
            raise AlreadyErased(_("This account has already been erased."))
        if _is_scheduled(user):
            raise AlreadyScheduled(
                _("You have already asked for the erasure of this account: it is scheduled.")
            )
        now = timezone.now()
        schedule = ErasureSchedule.objects.create(
            user=user,
            requested_at=now,
            due_at=now + datetime.timedelta(days=settings.ERASURE_GRACE_DAYS),
            cancel_token_hash=link.hash,
        )
        if user.is_active:
            account_deactivate(user=user)
        with translation.override(language):
            path = reverse("erasure:cancel", args=[link.token])
        email_queue_template(
            to=user.email,
            template_prefix="emails/erasure_scheduled",
            context={
                "cancel_link": settings.SITE_URL.rstrip("/") + path,
                "due_at": schedule.due_at,
                "grace_days": settings.ERASURE_GRACE_DAYS,
            },
            language=language,
            subject_person=user.public_id,
        )
        audit_record(
            actor=actor or user,
            subject=user,
            action="erasure.schedule",
            target=user,
            detail={"grace_days": settings.ERASURE_GRACE_DAYS},
        )
    return schedule


def erasure_cancel(*, subject: User, actor: User | None = None) -> None:
    """Cancel the person's scheduled erasure and switch their account back on.

    Raises ``NotScheduled`` when there is nothing to cancel (already cancelled or carried out).
    """
    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=subject.pk)
        deleted, _by_model = ErasureSchedule.objects.filter(user=user).delete()
        if not deleted:
            raise NotScheduled(_("There is no erasure of this account waiting to be cancelled."))
        if not user.is_active and user.deactivated_at is not None:
            account_reactivate(user=user)
        audit_record(actor=actor or user, subject=user, action="erasure.cancel", target=user)


def erasure_cancel_by_token(*, token: str) -> User:
    """Cancel through the e-mailed link; returns the user. Raises ``NotScheduled`` for an
    unknown, used or expired link (the erasure already ran)."""
    schedule = schedule_get_by_token(token=token)
    if schedule is None:
        raise NotScheduled(
            _(
                "This link is no longer valid: the erasure was already cancelled, or it was "
                "carried out at the end of the grace period."
            )
        )
    erasure_cancel(subject=schedule.user)
    return schedule.user


def erasures_execute_due() -> dict[str, int]:
    """Carry out the erasures whose grace period is over; returns counts.

    A schedule whose account is active again (the person reactivated it, which cancels) is
    cancelled rather than executed. Each erasure commits on its own: one failure does not hold
    the others back (it is logged and retried at the next run).
    """
    done = {"erased": 0, "cancelled": 0, "failed": 0}
    for schedule in list(schedules_due()):
        user = schedule.user
        try:
            if user.is_active:
                erasure_cancel(subject=user)
                done["cancelled"] += 1
                continue
            erasure_execute(subject=user, reason="grace-period")
            done["erased"] += 1
        except Exception:
            logger.exception("Scheduled erasure %s failed; retried at the next run.", schedule.pk)
            done["failed"] += 1
    return done


@dataclass
class ReplayReport:
    lines: int = 0
    erased: int = 0  # people found in the database and erased again
    keys_destroyed: int = 0  # data keys found live without an account, destroyed
    absent: int = 0  # nothing of them in the database: already erased
    position: int = 0  # the journal's last genuine line, which the database now holds
    problems: list[str] = field(default_factory=list)


def erasure_journal_replay() -> ReplayReport:
    """Erase again everyone in the erasure journal whom the database still holds (run after
    restoring a backup). Idempotent: a second run finds no one.

    Pending erasures are flushed to the journal first. Only lines whose MAC verifies are
    applied (a forged line must not erase anyone); chain breaks are reported, not fatal.
    Then the database is marked as holding the journal up to its last genuine line, which lets
    the site start again (system check ``erasure.E003``).
    """
    journal_flush()
    reading = journal_read()
    report = ReplayReport(lines=reading.lines, problems=list(reading.problems))
    report.position = reading.entries[-1].seq if reading.entries else 0
    for subject in reading.subjects:
        user = User.objects.filter(public_id=subject).first()
        if user is not None and not is_erased(user):
            erasure_execute(subject=user, reason="journal-replay", journal=False)
            report.erased += 1
        elif DataKey.objects.filter(subject=subject, destroyed_at__isnull=True).exists():
            with transaction.atomic():
                engine.erase_subject(subject=subject)
                audit_record(subject=subject, action="erasure.replay", target="accounts.User")
            report.keys_destroyed += 1
        else:
            report.absent += 1
    journal_watermark_set(report.position)
    return report


def account_delete(*, user: User, actor: User | None = None) -> User:
    """Erase the person's account now, as the data map says (cll/accounts/privacy.py).

    One erasure path for the whole project: ``erasure_execute`` deletes the
    profile, e-mail addresses, social accounts, second factors and sessions; keeps the account
    row as an empty shell (random non-routable address, unusable password, inactive, no roles);
    destroys the person's data key (crypto-shredding); erases a guardian's children who could
    not take their account over; writes ``erasure.execute`` (ids and counts) and journals the
    erasure. ``account.delete`` records who decided it. Erasing an erased account does nothing.
    """

    with transaction.atomic():
        report = erasure_execute(subject=user, actor=actor, reason="account.delete")
        if not report.already_erased:
            audit_record(actor=actor or user, subject=user, action="account.delete", target=user)
    return User.objects.get(pk=user.pk)
