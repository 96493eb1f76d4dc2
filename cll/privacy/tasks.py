"""Daily retention: every pruner of the retention engine (see retention.py)."""

from __future__ import annotations

from crontask import cron
from django.tasks import task

from cll.privacy import retention


@cron("7 3 * * *")
@task
def retention_run_daily() -> dict[str, int]:
    """Apply every retention rule of the data map: each rule's pruner runs (third-party tables,
    outbox, inactive accounts and unconfirmed registrations, parental consent requests, expired
    exports...). Returns the counts per rule; failures are logged and retried the next day."""
    runs = retention.retention_run(dry_run=False)
    return {run.rule.key: run.count for run in runs if run.has_pruner}
