"""The pruner of the breach register's retention rule (declared in privacy.py)."""

from __future__ import annotations

from cll.breaches.models import Breach
from cll.privacy.retention import cutoff, pruner


@pruner("breach-register")
def prune_breach_register(*, dry_run: bool = False) -> int:
    """Breaches detected longer ago than the period are deleted with their notices."""
    old = Breach.objects.filter(detected_at__lt=cutoff("breach-register"))
    if dry_run:
        return old.count()
    count = old.count()
    old.delete()
    return count
