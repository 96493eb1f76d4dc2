"""Writes of the rights app: data exports, restriction of processing, objections.

Every change is made in ``transaction.atomic()`` with its audit entry (ids only); e-mail goes
through the outbox and background work is enqueued only once the transaction commits.
"""

from __future__ import annotations

import functools
import logging
import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import BinaryIO

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone, translation

from cll.accounts.models import User
from cll.core.outbox import email_queue_template
from cll.core.roles import Role, acting_role
from cll.privacy.services import audit_record
from cll.rights import export
from cll.rights.models import ExportJob, Objection, Restriction
from cll.rights.privacy import EXPORT_RECORD_DAYS
from cll.rights.selectors import OBJECTABLE_PURPOSES
from cll.rights.tasks import export_build

logger = logging.getLogger(__name__)

ROUTE = "rights:home"
# An export still waiting or running after this long belongs to a worker that died (a build of
# 10,000 records takes about a second): it no longer blocks a new request.
STUCK_AFTER = timedelta(hours=1)


class ExportUnavailable(Exception):
    """The export cannot be downloaded: ``reason`` is "used", "expired" or "not_ready"."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def _audit(*, subject: User, actor: User | None, action: str, target, **extra) -> None:
    """One ledger entry for a change to ``subject``'s rights, made by them or by staff for them
    (in their acting role) from the privacy page or the officer's queue."""
    audit_record(
        actor=actor or subject,
        # The person themselves (or the system) acts in no role; staff in theirs, privacy
        # officer first.
        role=""
        if actor is None or actor.pk == subject.pk
        else acting_role(actor, Role.PRIVACY_OFFICER, *Role.STAFF_ROLES),
        subject=subject,
        action=action,
        target=target,
        route=ROUTE,
        **extra,
    )


# -- Export ------------------------------------------------------------------------------------


def export_start(*, subject: User, actor: User | None = None) -> ExportJob:
    """Request a "download all my data" export of ``subject`` (by them, or by staff answering
    a request: ``actor``). The file is built by the ``export_build`` task once this commits;
    when it is ready the owner is e-mailed a link to their privacy page, where only they can
    download it.

    While one export of the person is waiting or being built, that one is returned instead of
    starting another: repeated clicks cannot flood the worker. One stuck for ``STUCK_AFTER``
    is marked failed instead, and a new one starts.
    """
    with transaction.atomic():
        # Lock the person's row: two simultaneous requests must not both start a build.
        User.objects.select_for_update().filter(pk=subject.pk).first()
        running = (
            ExportJob.objects.filter(
                subject=subject, status__in=[ExportJob.Status.PENDING, ExportJob.Status.RUNNING]
            )
            .order_by("-created_at")
            .first()
        )
        if running is not None and running.created_at > timezone.now() - STUCK_AFTER:
            return running
        if running is not None:
            ExportJob.objects.filter(pk=running.pk).update(
                status=ExportJob.Status.FAILED, finished_at=timezone.now()
            )
        job = ExportJob.objects.create(
            subject=subject, language=translation.get_language() or settings.LANGUAGE_CODE
        )
        _audit(
            subject=subject,
            actor=actor,
            action="export.request",
            target=job,
            detail={"job": job.public_id},
        )
        transaction.on_commit(functools.partial(_enqueue_build, job.public_id), robust=True)
    return job


def _enqueue_build(public_id: uuid.UUID) -> None:
    export_build.enqueue(str(public_id))


def _file_path(job: ExportJob) -> Path:
    return export.export_dir() / job.file_name


def export_job_build(*, job_id: uuid.UUID | str) -> str:
    """Build the export file of job ``job_id`` (the ``export_build`` task); returns its status.

    Progress is committed as it goes, so the owner's page can show it. A job that is not
    waiting (already built, or taken by another worker) is left alone.
    """
    claimed = ExportJob.objects.filter(public_id=job_id, status=ExportJob.Status.PENDING).update(
        status=ExportJob.Status.RUNNING, progress=0
    )
    job = ExportJob.objects.select_related("subject").filter(public_id=job_id).first()
    if not claimed or job is None:
        return job.status if job else "missing"
    job.file_name = f"{job.public_id}.zip.sealed"
    path = _file_path(job)

    def progress(percent: int) -> None:
        ExportJob.objects.filter(pk=job.pk).update(progress=percent)

    try:
        with translation.override(job.language or settings.LANGUAGE_CODE):
            size, counts = export.build_sealed_export(
                subject=job.subject.public_id, path=path, progress=progress
            )
    except Exception:
        logger.exception("Export %s failed.", job.public_id)
        with transaction.atomic():
            ExportJob.objects.filter(pk=job.pk).update(
                status=ExportJob.Status.FAILED, finished_at=timezone.now(), file_name=""
            )
            audit_record(
                subject=job.subject,
                action="export.fail",
                target=job,
                detail={"job": job.public_id},
            )
        raise
    now = timezone.now()
    with transaction.atomic():
        ExportJob.objects.filter(pk=job.pk).update(
            status=ExportJob.Status.READY,
            progress=100,
            finished_at=now,
            expires_at=now + timedelta(days=settings.EXPORT_EXPIRY_DAYS),
            file_name=job.file_name,
            file_size=size,
        )
        audit_record(
            subject=job.subject,
            action="export.build",
            target=job,
            detail={"job": job.public_id, "models": counts["models"], "rows": counts["rows"]},
        )
        email_queue_template(
            to=job.subject.email,
            template_prefix="emails/rights_export_ready",
            context={
                "privacy_url": settings.SITE_URL.rstrip("/") + _privacy_path(job.language),
                "expiry_days": settings.EXPORT_EXPIRY_DAYS,
            },
            language=job.language or settings.LANGUAGE_CODE,
            subject_person=job.subject.public_id,
        )
    return ExportJob.Status.READY


def _privacy_path(language: str) -> str:
    with translation.override(language or settings.LANGUAGE_CODE):
        return reverse("rights:home")


def _unavailable_reason(job: ExportJob) -> str:
    if job.status == ExportJob.Status.DOWNLOADED:
        return "used"
    if job.status == ExportJob.Status.EXPIRED or (
        job.status == ExportJob.Status.READY and not job.downloadable
    ):
        return "expired"
    return "not_ready"


def export_download(*, job: ExportJob, actor: User) -> Iterator[bytes]:
    """Hand the owner their export, once: returns the decrypted ZIP as an iterator of chunks.

    The file is opened and its key checked first, so a server-side problem (file missing,
    altered, key gone) raises before the single use is spent. The claim (ready → downloaded)
    is one conditional UPDATE, so two simultaneous downloads cannot both win. The file is
    deleted once the stream has been read to the end (or given up); the pruner catches any
    file left behind. Raises ``ExportUnavailable``, ``export.ExportUnreadable`` or
    ``FileNotFoundError``. The caller has already checked ownership
    (``selectors.export_get_for``).
    """
    if not job.downloadable:
        raise ExportUnavailable(_unavailable_reason(job))
    path = _file_path(job)
    chunks = export.sealed_chunks(path, subject=job.subject.public_id)
    first = next(chunks)
    now = timezone.now()
    with transaction.atomic():
        claimed = ExportJob.objects.filter(
            pk=job.pk, status=ExportJob.Status.READY, expires_at__gt=now
        ).update(status=ExportJob.Status.DOWNLOADED, downloaded_at=now)
        if claimed:
            audit_record(
                actor=actor,
                subject=job.subject,
                action="export.download",
                target=job,
                route="rights:export_download",
                detail={"job": job.public_id},
            )
    if not claimed:
        chunks.close()
        job.refresh_from_db()
        raise ExportUnavailable(_unavailable_reason(job))
    return _then_delete(first, chunks, path)


def _then_delete(first: bytes, chunks: Iterator[bytes], path: Path) -> Iterator[bytes]:
    try:
        yield first
        yield from chunks
    finally:
        chunks.close()
        path.unlink(missing_ok=True)


def exports_prune(*, dry_run: bool = False) -> int:
    """Delete the files of exports downloaded, expired or failed, and the records of exports
    older than the data-export rule. Returns how many exports were (or would be) affected."""
    now = timezone.now()
    used_up = Q(
        status__in=[ExportJob.Status.DOWNLOADED, ExportJob.Status.FAILED, ExportJob.Status.EXPIRED]
    )
    stale = ExportJob.objects.exclude(file_name="").filter(
        used_up | Q(status=ExportJob.Status.READY, expires_at__lte=now)
    )
    old = ExportJob.objects.filter(created_at__lt=now - timedelta(days=EXPORT_RECORD_DAYS))
    # Files in the directory that no record names (a crash between writing and recording).
    named = set(ExportJob.objects.exclude(file_name="").values_list("file_name", flat=True))
    directory = export.export_dir()
    orphans = (
        [
            path
            for path in directory.iterdir()
            if path.is_file()
            and path.name not in named
            and path.stat().st_mtime < (now - timedelta(days=1)).timestamp()
        ]
        if directory.is_dir()
        else []
    )
    affected = stale.count() + old.exclude(pk__in=stale.values("pk")).count() + len(orphans)
    if dry_run:
        return affected
    for job in stale.iterator():
        _file_path(job).unlink(missing_ok=True)
        expired = job.status == ExportJob.Status.READY
        ExportJob.objects.filter(pk=job.pk).update(
            file_name="", **({"status": ExportJob.Status.EXPIRED} if expired else {})
        )
    for job in old.iterator():
        if job.file_name:
            _file_path(job).unlink(missing_ok=True)
    old.delete()
    for path in orphans:
        path.unlink(missing_ok=True)
    return affected


# -- Restriction (Art. 18) and objection (Art. 21) ---------------------------------------------


def restriction_set(*, subject: User, actor: User | None = None, reason: str = "") -> Restriction:
    """Restrict the processing of ``subject``'s data until they (or staff) lift it: while it
    holds, ``processing_allowed`` answers False for every purpose but the exempt ones. Setting
    it again updates the reason."""
    with transaction.atomic():
        restriction, created = Restriction.objects.get_or_create(
            subject=subject, defaults={"reason": reason}
        )
        if not created and restriction.reason != reason:
            restriction.reason = reason
            restriction.save(update_fields=["reason"])
        _audit(
            subject=subject,
            actor=actor,
            action="restriction.set",
            target=restriction,
            fields=["reason"] if reason else [],
            detail={"created": created},
        )
    return restriction


def restriction_lift(*, subject: User, actor: User | None = None) -> None:
    """Lift ``subject``'s restriction; nothing happens (and nothing is recorded) if none."""
    with transaction.atomic():
        restriction = Restriction.objects.select_for_update().filter(subject=subject).first()
        if restriction is None:
            return
        _audit(
            subject=subject,
            actor=actor,
            action="restriction.lift",
            target=restriction,
        )
        restriction.delete()


def _check_purpose(purpose: str) -> None:
    if purpose not in OBJECTABLE_PURPOSES:
        raise ValueError(f"One cannot object to {purpose!r} here: {sorted(OBJECTABLE_PURPOSES)}.")


def objection_set(*, subject: User, purpose: str, actor: User | None = None) -> Objection:
    """Record ``subject``'s objection to ``purpose`` (marketing or analytics): from now on
    ``processing_allowed(purpose=...)`` is False for them. Idempotent."""
    _check_purpose(purpose)
    with transaction.atomic():
        objection, created = Objection.objects.get_or_create(subject=subject, purpose=purpose)
        if created:
            _audit(
                subject=subject,
                actor=actor,
                action="objection.set",
                target=objection,
                detail={"purpose": purpose},
            )
    return objection


def objection_withdraw(*, subject: User, purpose: str, actor: User | None = None) -> None:
    """Withdraw ``subject``'s objection to ``purpose``; nothing happens if there is none."""
    _check_purpose(purpose)
    with transaction.atomic():
        objection = Objection.objects.filter(subject=subject, purpose=purpose).first()
        if objection is None:
            return
        _audit(
            subject=subject,
            actor=actor,
            action="objection.withdraw",
            target=objection,
            detail={"purpose": purpose},
        )
        objection.delete()


# -- A guardian's copy of a child's data -----------------------------------------------------


def child_export_write(*, guardian: User, child: User, out: BinaryIO) -> dict[str, int]:
    """Write everything held about ``child`` into ``out`` (the same ZIP as "download all my
    data": the data-map export engine), for their guardian, with its audit entry. The caller
    has checked that ``guardian`` is the child's (``accounts.selectors.child_get_for``).

    Synchronous: a child's data is small, and the guardian downloads it at once; the file never
    rests on disk unsealed beyond the response (the caller's temporary file).
    """
    counts = export.write_export(subject=child.public_id, out=out, scratch_dir=export.export_dir())
    with transaction.atomic():
        audit_record(
            actor=guardian,
            subject=child,
            action="guardianship.export",
            target=child,
            detail=counts,
        )
    return counts
