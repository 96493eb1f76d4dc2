"""Background jobs of the helpdesk (run by the scheduler, ``manage.py crontask``).

- ``helpdesk_autoclose_due``, every hour: tickets solved more than ``HELPDESK_AUTOCLOSE_DAYS``
  ago without an answer from the person are closed (their retention period starts).
- ``helpdesk_sla_breaches_notify``, every 15 minutes: tickets whose running target (first
  answer, then resolution; sla.py) fell due in the past quarter of an hour are announced to
  their assignee, or to Customer service when unassigned. Each due time belongs to exactly one
  quarter, so a ticket is announced once per target without a "notified" column; a quarter
  the scheduler missed is not made up (the console shows every overdue ticket anyway).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from crontask import cron
from django.db.models import Q
from django.tasks import task
from django.utils import timezone

from cll.helpdesk.models import Status, Ticket
from cll.helpdesk.sla import SlaTarget
from cll.helpdesk.staff_notifications import staff_notify_sla_breached
from cll.helpdesk.staff_services import tickets_autoclose

QUARTER = timedelta(minutes=15)


@cron("17 * * * *")
@task
def helpdesk_autoclose_due() -> int:
    """Close the tickets solved long enough ago; returns how many were closed."""
    return tickets_autoclose()


def sla_breaches_notify(*, now: datetime | None = None) -> int:
    """Announce the targets that fell due in the quarter of an hour before ``now`` (rounded
    down to a quarter); returns how many notices were queued."""
    now = now or timezone.now()
    end = now.replace(minute=now.minute - now.minute % 15, second=0, microsecond=0)
    start = end - QUARTER
    running = Ticket.objects.filter(status__in=(Status.NEW, Status.OPEN)).select_related("assignee")
    first = Q(first_responded_at__isnull=True, first_response_due__gte=start)
    first &= Q(first_response_due__lt=end)
    resolution = Q(first_responded_at__isnull=False, resolution_due__gte=start)
    resolution &= Q(resolution_due__lt=end)
    count = 0
    for ticket in running.filter(first | resolution).order_by("pk"):
        target = (
            SlaTarget.FIRST_RESPONSE if ticket.first_responded_at is None else SlaTarget.RESOLUTION
        )
        staff_notify_sla_breached(ticket=ticket, target=target)
        count += 1
    return count


@cron("*/15 * * * *")
@task
def helpdesk_sla_breaches_notify() -> int:
    """Announce the service levels breached in the past quarter of an hour."""
    return sla_breaches_notify()
