"""Periodic jobs of the upload store (``cll.core.uploads``), run by the scheduler
(``manage.py crontask``, which loads them through ``cll.core.tasks``):

- ``uploads_rescan``, every ten minutes: the files quarantined while the malware scanner was
  unavailable are scanned again (clean: served from now on; infected: blocked, bytes deleted);
- ``uploads_orphans_prune``, daily: sealed files that no upload row needs any more (deleted by
  erasure or retention, writes that died half-way) are removed after a day's grace.

``manage.py uploads_scan`` does both at once.
"""

from __future__ import annotations

from crontask import cron
from django.tasks import task

from cll.core.uploads import uploads_orphans_remove, uploads_scan_pending


@cron("*/10 * * * *")
@task
def uploads_rescan() -> int:
    """Scan the quarantined uploads again; returns how many got a verdict."""
    return uploads_scan_pending()


@cron("41 3 * * *")
@task
def uploads_orphans_prune() -> int:
    """Remove the sealed files no upload row needs any more; returns how many went."""
    return uploads_orphans_remove()
