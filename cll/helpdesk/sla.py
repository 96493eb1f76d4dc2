"""Service levels of the helpdesk: due times counted in business hours.

Rules
-----
- **Business hours** are Monday to Friday, ``HELPDESK_OPENING_HOUR`` to
  ``HELPDESK_CLOSING_HOUR``, on the wall clock of ``settings.TIME_ZONE`` (Europe/Brussels): a
  ticket opened at night or at the weekend starts counting at the next opening time, and the
  clock stops at closing time (Friday 16:00 + 8 hours = Monday 16:00 with 9-17). Public
  holidays are not modelled (a ticket due on one shows as due; staff see it and answer).
- **Two targets** per ticket from its opening (``created_at``): the first answer within
  ``HELPDESK_FIRST_RESPONSE_HOURS`` and the resolution within ``HELPDESK_RESOLUTION_HOURS``.
- **Priority scales both**: urgent x1/4, high x1/2, normal x1, low x2 (``PRIORITY_FACTOR``).
  A change of priority recomputes both from the opening (``ticket_sla_start`` again).
- **Timer states** (``sla_state``): the first-answer target runs until a staff member answers,
  then the resolution target until the ticket is solved. While the ticket waits for the person
  (pending) the timer shows "waiting", never "breached": the delay is theirs. Solved and closed
  tickets have no running timer. "Due soon" means at most ``DUE_SOON`` of business time left.

Pure functions: nothing here saves or queries; callers save the ticket in their transaction.
"""

from __future__ import annotations

import zoneinfo
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from fractions import Fraction

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from cll.helpdesk.models import Priority, Status, Ticket

# Multiplier of both targets per priority (see the module docstring).
PRIORITY_FACTOR = {
    Priority.URGENT: Fraction(1, 4),
    Priority.HIGH: Fraction(1, 2),
    Priority.NORMAL: Fraction(1),
    Priority.LOW: Fraction(2),
}
# Business time left under which a running target shows as "due soon".
DUE_SOON = timedelta(hours=1)


class SlaState(StrEnum):
    ON_TIME = "on_time"
    DUE_SOON = "due_soon"
    BREACHED = "breached"
    WAITING = "waiting"  # pending: waiting for the person, the timer does not count against us
    NONE = "none"  # solved, closed, or no due time


class SlaTarget(StrEnum):
    FIRST_RESPONSE = "first_response"
    RESOLUTION = "resolution"
    NONE = ""


STATE_LABELS = {
    SlaState.ON_TIME: _("On time"),
    SlaState.DUE_SOON: _("Due soon"),
    SlaState.BREACHED: _("Overdue"),
    SlaState.WAITING: _("Waiting for the person"),
    SlaState.NONE: _("No running timer"),
}
TARGET_LABELS = {
    SlaTarget.FIRST_RESPONSE: _("first answer"),
    SlaTarget.RESOLUTION: _("resolution"),
    SlaTarget.NONE: "",
}


@dataclass(frozen=True)
class SlaTimer:
    """What the console shows of a ticket's service level at one moment."""

    state: SlaState
    target: SlaTarget
    due: datetime | None
    # Business time left until ``due`` (negative once overdue); None without a running target.
    remaining: timedelta | None

    @property
    def label(self) -> str:
        return str(STATE_LABELS[self.state])

    @property
    def target_label(self) -> str:
        return str(TARGET_LABELS[self.target])

    @property
    def text(self) -> str:
        """ "Due in 2 h 05 min" / "Overdue by 1 h 30 min" (business time), or the state."""
        if self.remaining is None or self.state == SlaState.WAITING:
            return self.label
        if self.state == SlaState.BREACHED:
            return gettext("Overdue by %(time)s") % {"time": duration_text(-self.remaining)}
        return gettext("Due in %(time)s") % {"time": duration_text(self.remaining)}

    @property
    def overdue(self) -> timedelta | None:
        """Business time past the due time (positive), for "overdue by ..."."""
        if self.remaining is None or self.remaining > timedelta(0):
            return None
        return -self.remaining


def duration_text(duration: timedelta) -> str:
    """A business duration as hours and minutes ("12 h 05 min"), rounded down to the minute."""
    minutes = max(int(duration.total_seconds() // 60), 0)
    return gettext("%(hours)d h %(minutes)02d min") % {
        "hours": minutes // 60,
        "minutes": minutes % 60,
    }


def _zone() -> zoneinfo.ZoneInfo:
    return zoneinfo.ZoneInfo(settings.TIME_ZONE)


def _window(day: date, zone: zoneinfo.ZoneInfo) -> tuple[datetime, datetime] | None:
    """Opening and closing time of ``day`` (local wall clock), None at the weekend."""
    if day.weekday() >= 5:
        return None
    midnight = datetime.combine(day, time(0), tzinfo=zone)
    # Added hours on the same tzinfo are wall-clock time, so 9:00 stays 9:00 on DST days, and a
    # closing hour of 24 is the next midnight.
    return (
        midnight + timedelta(hours=settings.HELPDESK_OPENING_HOUR),
        midnight + timedelta(hours=settings.HELPDESK_CLOSING_HOUR),
    )


def _day_length() -> timedelta:
    return timedelta(hours=settings.HELPDESK_CLOSING_HOUR - settings.HELPDESK_OPENING_HOUR)


def business_time_add(start: datetime, duration: timedelta) -> datetime:
    """The moment ``duration`` of business time after ``start`` (aware), in UTC.

    Counting starts at the next opening time when ``start`` is outside business hours.
    """
    zone = _zone()
    cursor = timezone.localtime(start, zone)
    remaining = max(duration, timedelta(0))
    day = cursor.date()
    while True:
        window = _window(day, zone)
        if window is not None:
            opening, closing = window
            begin = max(cursor, opening)
            if begin <= closing:
                if remaining <= closing - begin:
                    return (begin + remaining).astimezone(zoneinfo.ZoneInfo("UTC"))
                remaining -= closing - begin
        day += timedelta(days=1)


def business_hours_between(start: datetime, end: datetime) -> timedelta:
    """Business time from ``start`` to ``end`` (both aware); negative when ``end`` is earlier."""
    if end < start:
        return -business_hours_between(end, start)
    zone = _zone()
    start_local = timezone.localtime(start, zone)
    end_local = timezone.localtime(end, zone)
    last = end_local.date()
    total = timedelta(0)
    day = start_local.date()
    while day <= last:
        gap = (last - day).days
        # Whole weeks strictly between the first and the last day count 5 full days each
        # (a ticket overdue for months stays one cheap call per console row).
        if day != start_local.date() and gap >= 7:
            weeks = gap // 7
            total += weeks * 5 * _day_length()
            day += timedelta(weeks=weeks)
            continue
        window = _window(day, zone)
        if window is not None:
            begin = max(start_local, window[0])
            finish = min(end_local, window[1])
            if finish > begin:
                total += finish - begin
        day += timedelta(days=1)
    return total


def _target(hours: int, priority: str) -> timedelta:
    factor = PRIORITY_FACTOR.get(priority, Fraction(1))
    minutes = Fraction(hours * 60) * factor
    return timedelta(minutes=float(minutes))


def ticket_sla_start(*, ticket: Ticket) -> None:
    """Set ``first_response_due`` and ``resolution_due`` from the opening (``created_at``, or
    now for a ticket not saved yet) and the priority. Does not save: the caller saves the ticket
    in its transaction."""
    opened = ticket.created_at or timezone.now()
    ticket.first_response_due = business_time_add(
        opened, _target(settings.HELPDESK_FIRST_RESPONSE_HOURS, ticket.priority)
    )
    ticket.resolution_due = business_time_add(
        opened, _target(settings.HELPDESK_RESOLUTION_HOURS, ticket.priority)
    )


def sla_state(ticket: Ticket, now: datetime | None = None) -> SlaTimer:
    """The running target of ``ticket`` at ``now`` and how it stands (see the module rules)."""
    now = now or timezone.now()
    if ticket.status in (Status.SOLVED, Status.CLOSED):
        return SlaTimer(SlaState.NONE, SlaTarget.NONE, None, None)
    if ticket.first_responded_at is None and ticket.first_response_due is not None:
        target, due = SlaTarget.FIRST_RESPONSE, ticket.first_response_due
    elif ticket.resolution_due is not None:
        target, due = SlaTarget.RESOLUTION, ticket.resolution_due
    else:
        return SlaTimer(SlaState.NONE, SlaTarget.NONE, None, None)
    remaining = business_hours_between(now, due)
    if ticket.status == Status.PENDING:
        state = SlaState.WAITING
    elif now >= due:
        state = SlaState.BREACHED
    elif remaining <= DUE_SOON:
        state = SlaState.DUE_SOON
    else:
        state = SlaState.ON_TIME
    return SlaTimer(state, target, due, remaining)
