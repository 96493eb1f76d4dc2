"""Periodic jobs of the erasure app."""

from __future__ import annotations

from crontask import cron
from django.tasks import task

from cll.erasure.journal import journal_flush
from cll.erasure.services import erasures_execute_due


@cron("*/15 * * * *")
@task
def erasure_run_due() -> dict[str, int]:
    """Carry out the erasures whose grace period is over (cancelling those whose account was
    reactivated meanwhile)."""
    return erasures_execute_due()


@cron("*/5 * * * *")
@task
def erasure_journal_flush() -> int:
    """Write to the erasure journal the erasures still waiting in the database (a failed
    append right after an erasure is retried here); returns how many were written."""
    return journal_flush()
