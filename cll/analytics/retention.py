"""Retention of the access log: the pruners of the rules declared in cll/analytics/privacy.py,
run daily by the retention engine (cll/privacy/retention.py) and by ``prune_access_log``.

- **access-log-ip**: raw IP addresses truncated (IPv4 /24, IPv6 /48) after ``CLL_LOG_IP_DAYS``;
- **access-log**: rows deleted after ``CLL_LOG_RETENTION_DAYS``, their days aggregated first
  (aggregates are not personal data and are kept);
- **visitor-salt**: the salt of past days' visitor hashes destroyed (also just after midnight
  by ``cll.analytics.tasks.visitor_salts_rotate``), so hashes of different days never link.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from cll.analytics import parsing, services
from cll.analytics.models import AccessEvent, DailyAggregate, VisitorSalt
from cll.privacy.retention import pruner

D = DailyAggregate.Dimension


@pruner("access-log-ip")
def access_log_ips_truncate(*, dry_run: bool = False) -> int:
    """Truncate raw IP addresses of the access log (IPv4 /24, IPv6 /48) older than
    CLL_LOG_IP_DAYS days; returns how many rows were (or would be) changed."""
    cutoff = timezone.localdate() - dt.timedelta(days=settings.ACCESS_LOG_IP_DAYS)
    old = AccessEvent.objects.filter(day__lt=cutoff, ip_truncated=False)
    if dry_run:
        return old.count()
    changed = 0
    with transaction.atomic():
        # One UPDATE per distinct address (set-based), not one per row.
        for ip in list(old.values_list("ip", flat=True).distinct()):
            changed += old.filter(ip=ip).update(ip=parsing.truncate_ip(ip), ip_truncated=True)
    return changed


@pruner("access-log")
def access_log_prune(*, dry_run: bool = False) -> int:
    """Delete access-log rows older than CLL_LOG_RETENTION_DAYS days, after making sure their
    days are aggregated (aggregates are kept); returns how many rows went (or would go)."""
    cutoff = timezone.localdate() - dt.timedelta(days=settings.ACCESS_LOG_RETENTION_DAYS)
    old = AccessEvent.objects.filter(day__lt=cutoff)
    if dry_run:
        return old.count()
    aggregated = set(
        DailyAggregate.objects.filter(
            day__lt=cutoff, dimension=D.TOTAL, key="requests"
        ).values_list("day", flat=True)
    )
    for day in old.values_list("day", flat=True).distinct():
        if day not in aggregated:
            services.aggregates_compute(day=day)
    return old.delete()[0]


@pruner("visitor-salt")
def visitor_salts_destroy(*, dry_run: bool = False) -> int:
    """Destroy the visitor-hash salts of past days, so their hashes can never be linked again;
    returns how many salts went (or would go)."""
    old = VisitorSalt.objects.filter(day__lt=timezone.localdate())
    if dry_run:
        return old.count()
    for day in list(services._salts):
        if day < timezone.localdate():
            del services._salts[day]
    services._hashes.clear()
    return old.delete()[0]
