"""Periodic jobs of the analytics app: ingesting the access-log spool, the daily aggregates and
the visitor salts. The access log's retention rules (IP truncation, row deletion) run with every
other rule in the retention engine's daily job (cll/privacy/tasks.py); only the salt is
destroyed here, as soon as its day is over."""

from __future__ import annotations

from crontask import cron
from django.tasks import task

from cll.analytics import retention, services, spool


# The web workers only spool the log (cll/analytics/spool.py): the task worker writes it to the
# database, at most a minute (plus the writers' ACCESS_LOG_FLUSH_SECONDS) behind.
@cron("* * * * *")
@task
def access_log_ingest() -> int:
    """Ingest the access-log spool files; returns events written (0 when another ingester, such as
    ``manage.py access_log_ingest --watch``, holds the spool)."""
    return spool.ingest()


@cron("*/10 * * * *")
@task
def analytics_aggregate() -> int:
    """Roll yesterday's and today's access log up into the daily aggregates; returns days."""
    return services.aggregates_refresh()


# Just after midnight (Europe/Brussels): yesterday's visitor hashes become unlinkable at once,
# not at the retention engine's hour.
@cron("2 0 * * *")
@task
def visitor_salts_rotate() -> int:
    """Destroy the visitor-hash salts of past days; returns how many went."""
    return retention.visitor_salts_destroy()
