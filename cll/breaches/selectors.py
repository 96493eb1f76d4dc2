"""Reads of the breach register and its 72-hour clock."""

from __future__ import annotations

import math
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import QuerySet
from django.utils import timezone

from cll.breaches.models import Breach, Decision


@dataclass(frozen=True)
class BreachClock:
    """Where a breach stands against the 72 hours to notify the authority (Art. 33(1))."""

    # "undecided"/"running": not notified yet, deadline ahead; "overdue": past it;
    # "notified"/"notified_late": done; "not_required": the assessment says no notification.
    state: str
    deadline: datetime
    # Whole hours left before the deadline (negative when overdue), or taken to notify.
    hours: int

    @property
    def late(self) -> bool:
        return self.state in ("overdue", "notified_late")

    @property
    def overdue_hours(self) -> int:
        return max(0, -self.hours) if self.state == "overdue" else 0

    @property
    def open(self) -> bool:
        """The authority is still to be notified: the clock runs, or has run out."""
        return self.state in ("running", "overdue")


def breach_clock(breach: Breach, *, now: datetime | None = None) -> BreachClock:
    now = now or timezone.now()
    deadline = breach.detected_at + timedelta(hours=breach.AUTHORITY_DEADLINE_HOURS)
    if breach.authority_notified_at is not None:
        taken = breach.authority_notified_at - breach.detected_at
        state = "notified_late" if breach.authority_notified_at > deadline else "notified"
        return BreachClock(state, deadline, int(taken.total_seconds() // 3600))
    if breach.authority_notification == Decision.NOT_REQUIRED:
        return BreachClock("not_required", deadline, 0)
    left = deadline - now
    hours = math.floor(left.total_seconds() / 3600)
    return BreachClock("running" if left.total_seconds() > 0 else "overdue", deadline, hours)


def breach_list_for(*, staff) -> QuerySet[Breach]:
    """The register, newest detection first. Only the roles the views admit (Privacy officer,
    Administrator) reach it; the register holds no one's personal values in its list."""
    return Breach.objects.order_by("-detected_at")


def breach_get_for(*, staff, public_id: uuid.UUID) -> Breach | None:
    return Breach.objects.filter(public_id=public_id).first()
