"""Periodic job of the dsar app: deadline reminders and escalation of overdue requests."""

from __future__ import annotations

from crontask import cron
from django.tasks import task

from cll.dsar.services import deadlines_check


# Daily at 8:00 (Europe/Brussels), before the privacy officer's working day.
@cron("0 8 * * *")
@task
def dsar_deadlines_check() -> dict[str, int]:
    """E-mail the privacy officers 7, 3 and 1 days before each open request's deadline, and
    escalate overdue requests to privacy officers and administrators, once a day."""
    return deadlines_check()
