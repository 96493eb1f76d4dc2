"""Retention of the rights app's data, applied daily by the retention engine."""

from __future__ import annotations

from cll.privacy.retention import pruner
from cll.rights.privacy import EXPORT_FILE
from cll.rights.services import exports_prune


@pruner(EXPORT_FILE)
def prune_exports(*, dry_run: bool = False) -> int:
    """Deletes data-export files once downloaded, failed, or CLL_EXPORT_EXPIRY_DAYS (7 by
    default) after they were ready; deletes the records of export requests after 30 days;
    returns how many exports were (or, in a dry run, would be) affected."""
    return exports_prune(dry_run=dry_run)
