"""Retention of data-subject requests (rules declared in ``cll/dsar/privacy.py``).

Each pruner deletes the rows past their rule and destroys their data keys (the request is its
own subject), so copies in backups and queued e-mails become unreadable too.
"""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from cll.dsar.models import DataSubjectRequest
from cll.privacy.datamap import RETENTION
from cll.privacy.retention import own_subject_rows_delete, pruner

_CLOSED = ("completed", "rejected")


@pruner("dsar-request")
def prune_closed_requests(*, dry_run: bool = False) -> int:
    """Data-subject requests closed (completed or rejected) more than 3 years ago: deleted, their
    data key destroyed."""
    cutoff = timezone.now() - timedelta(days=RETENTION["dsar-request"].days)
    rows = DataSubjectRequest.objects.filter(status__in=_CLOSED, closed_at__lt=cutoff)
    return own_subject_rows_delete(rows, dry_run=dry_run)


@pruner("dsar-unverified")
def prune_unverified_requests(*, dry_run: bool = False) -> int:
    """Data-subject requests whose verification link expired more than 7 days ago without being
    followed: deleted, their data key destroyed."""
    cutoff = timezone.now() - timedelta(days=RETENTION["dsar-unverified"].days)
    rows = DataSubjectRequest.objects.filter(status="unverified", token_expires_at__lt=cutoff)
    return own_subject_rows_delete(rows, dry_run=dry_run)
