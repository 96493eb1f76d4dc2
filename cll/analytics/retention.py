"""Retention of the access log: the pruners of the rules declared in cll/analytics/privacy.py,
run daily by the retention engine (cll/privacy/retention.py) and by ``prune_access_log``.

- **access-log-ip**: raw IP addresses truncated (IPv4 /24, IPv6 /48) after ``CLL_LOG_IP_DAYS``;
- **access-log**: blocks deleted after ``CLL_LOG_RETENTION_DAYS``, their days aggregated first
  (aggregates are not personal data and are kept);
- **visitor-salt**: the salt of past days' visitor hashes destroyed (also just after midnight
  by ``cll.analytics.tasks.visitor_salts_rotate``), so hashes of different days never link.
"""

from __future__ import annotations

import datetime as dt
import json

from django.conf import settings
from django.db.models import Sum
from django.utils import timezone

from cll.analytics import parsing, services
from cll.analytics.models import AccessLogBlock, DailyAggregate, VisitorSalt
from cll.privacy.retention import pruner

D = DailyAggregate.Dimension


@pruner("access-log-ip")
def access_log_ips_truncate(*, dry_run: bool = False) -> int:
    """Truncate raw IP addresses of the access log (IPv4 /24, IPv6 /48) older than
    CLL_LOG_IP_DAYS days; returns how many blocks were (or would be) changed."""
    cutoff = timezone.localdate() - dt.timedelta(days=settings.ACCESS_LOG_IP_DAYS)
    old = AccessLogBlock.objects.filter(day__lt=cutoff, ip_truncated=False)
    if dry_run:
        return old.count()
    changed = 0
    # A block's addresses are a small JSON list beside its compressed data: rewritten alone.
    for pk, ips in old.values_list("id", "ips").iterator(chunk_size=500):
        truncated = json.dumps([parsing.truncate_ip(ip) for ip in json.loads(ips)])
        changed += AccessLogBlock.objects.filter(id=pk, ip_truncated=False).update(
            ips=truncated, ip_truncated=True
        )
    return changed


@pruner("access-log")
def access_log_prune(*, dry_run: bool = False) -> int:
    """Delete access-log blocks older than CLL_LOG_RETENTION_DAYS days, after making sure
    their days are aggregated (aggregates are kept); returns how many requests went (or would
    go)."""
    cutoff = timezone.localdate() - dt.timedelta(days=settings.ACCESS_LOG_RETENTION_DAYS)
    old = AccessLogBlock.objects.filter(day__lt=cutoff)
    requests = old.aggregate(total=Sum("events"))["total"] or 0
    if dry_run:
        return requests
    aggregated = set(
        DailyAggregate.objects.filter(
            day__lt=cutoff, dimension=D.TOTAL, key="requests"
        ).values_list("day", flat=True)
    )
    for day in services.days_with_log(until=cutoff - dt.timedelta(days=1)):
        if day not in aggregated:
            services.aggregates_compute(day=day)
    old.delete()
    return requests


@pruner("visitor-salt")
def visitor_salts_destroy(*, dry_run: bool = False) -> int:
    """Destroy the visitor-hash salts of past days, so their hashes can never be linked again;
    returns how many salts went (or would go)."""
    old = VisitorSalt.objects.filter(day__lt=timezone.localdate())
    if dry_run:
        return old.count()
    services.forget_visitor_hashes()
    return old.delete()[0]
