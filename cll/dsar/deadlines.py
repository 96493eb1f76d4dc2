"""Deadlines of data-subject requests: plain date arithmetic, no database.

GDPR Art. 12(3): an answer "within one month of receipt of the request", extendable "by two
further months where necessary". Our privacy policy promises 30 days. The earlier of the two
wins, so the first deadline is ``min(receipt + 1 calendar month, receipt + 30 days)``. The first
only wins in February (31 January -> 28 or 29 February); the second whenever the month has 31
days (1 March -> 31 March).

A calendar month from day *d* is day *d* of the next month, or that month's last day when it is
shorter (31 January -> 28/29 February, 31 March -> 30 April).

While we wait for the person to prove they control the address (the e-mailed link), the clock
is paused: the days between receipt and verification are added to the deadline.
"""

from __future__ import annotations

import calendar
import datetime

# Our privacy policy: "we will respond to your request ... within 30 days".
POLICY_DAYS = 30
# GDPR Art. 12(3): one extension, by at most two further months.
MAX_EXTENSION_MONTHS = 2


def add_months(day: datetime.date, months: int) -> datetime.date:
    """``day`` plus ``months`` calendar months, clamped to the last day of a shorter month."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    last = calendar.monthrange(year, month)[1]
    return datetime.date(year, month, min(day.day, last))


def first_deadline(received: datetime.date, *, paused_days: int = 0) -> datetime.date:
    """The first deadline of a request received on ``received``, after a verification pause."""
    if paused_days < 0:
        raise ValueError("A pause cannot be negative.")
    due = min(add_months(received, 1), received + datetime.timedelta(days=POLICY_DAYS))
    return due + datetime.timedelta(days=paused_days)


def paused_days(received: datetime.date, verified: datetime.date) -> int:
    """Whole days the clock stood still while identity verification was pending."""
    return max(0, (verified - received).days)


def extended_deadline(due: datetime.date, months: int) -> datetime.date:
    """The deadline after the one extension allowed (1 or 2 months after the first one)."""
    if not 1 <= months <= MAX_EXTENSION_MONTHS:
        raise ValueError(f"An extension is of 1 to {MAX_EXTENSION_MONTHS} months.")
    return add_months(due, months)
