"""Service levels counted in business hours (cll/helpdesk/sla.py): Monday-Friday, 9-17
(Europe/Brussels) by default, the priority scaling both targets."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest
import time_machine
from django.test import override_settings
from django.utils import translation

from cll.helpdesk.models import Priority, Status, Ticket
from cll.helpdesk.sla import (
    SlaState,
    SlaTarget,
    business_hours_between,
    business_time_add,
    duration_text,
    sla_state,
    ticket_sla_start,
)

BRUSSELS = zoneinfo.ZoneInfo("Europe/Brussels")
H = dt.timedelta(hours=1)


def at(day: str, hour: int, minute: int = 0) -> dt.datetime:
    """A Brussels wall-clock time ("2026-01-02" is a Friday)."""
    return dt.datetime.combine(dt.date.fromisoformat(day), dt.time(hour, minute), BRUSSELS)


@pytest.fixture(autouse=True)
def _business_hours(settings):
    settings.TIME_ZONE = "Europe/Brussels"
    settings.HELPDESK_OPENING_HOUR = 9
    settings.HELPDESK_CLOSING_HOUR = 17
    settings.HELPDESK_FIRST_RESPONSE_HOURS = 8
    settings.HELPDESK_RESOLUTION_HOURS = 40
    # The texts are compared in English (the site's default is French).
    with translation.override("en"):
        yield


def test_it_carries_friday_afternoon_over_the_weekend():
    assert business_time_add(at("2026-01-02", 16), 8 * H) == at("2026-01-05", 16)


def test_it_starts_a_night_ticket_at_opening_time():
    # Tuesday 22:00 + 2 h = Wednesday 11:00.
    assert business_time_add(at("2026-01-06", 22), 2 * H) == at("2026-01-07", 11)
    # Saturday: counts from Monday 9:00.
    assert business_time_add(at("2026-01-03", 10), 3 * H) == at("2026-01-05", 12)
    # Before opening on a weekday: that day's 9:00.
    assert business_time_add(at("2026-01-05", 7, 30), 30 * dt.timedelta(minutes=1)) == at(
        "2026-01-05", 9, 30
    )


def test_it_ends_exactly_at_closing_time_rather_than_next_morning():
    assert business_time_add(at("2026-01-05", 9), 8 * H) == at("2026-01-05", 17)


def test_it_returns_utc():
    due = business_time_add(at("2026-01-05", 9), H)
    assert due.utcoffset() == dt.timedelta(0)
    assert due == at("2026-01-05", 10)


def test_it_keeps_opening_hours_on_the_wall_clock_across_daylight_saving():
    # Summer time starts on Sunday 29 March 2026: Monday still opens at 9:00 local.
    assert business_time_add(at("2026-03-27", 16), 2 * H) == at("2026-03-30", 10)
    assert business_time_add(at("2026-10-23", 16), 2 * H) == at("2026-10-26", 10)


def test_it_counts_business_hours_between_two_moments():
    assert business_hours_between(at("2026-01-02", 16), at("2026-01-05", 16)) == 8 * H
    # Same day, inside the hours.
    assert business_hours_between(at("2026-01-05", 10), at("2026-01-05", 12, 30)) == 2.5 * H
    # A night and a weekend count nothing.
    assert business_hours_between(at("2026-01-02", 18), at("2026-01-05", 8)) == dt.timedelta(0)
    # Reversed: negative.
    assert business_hours_between(at("2026-01-05", 16), at("2026-01-02", 16)) == -8 * H


@pytest.mark.parametrize("weeks", [1, 2, 5, 52])
def test_it_counts_whole_weeks_as_five_days(weeks):
    start = at("2026-01-05", 12)
    end = start + dt.timedelta(weeks=weeks)
    assert business_hours_between(start, end) == weeks * 40 * H


def test_it_agrees_with_adding_business_time():
    start = at("2026-01-07", 15, 20)
    for hours in (1, 7, 8, 9, 40, 123):
        assert business_hours_between(start, business_time_add(start, hours * H)) == hours * H


@override_settings(HELPDESK_OPENING_HOUR=8, HELPDESK_CLOSING_HOUR=24)
def test_it_accepts_a_closing_hour_of_midnight():
    assert business_time_add(at("2026-01-05", 23), 2 * H) == at("2026-01-06", 9)


@pytest.mark.parametrize(
    ("priority", "first", "resolution"),
    [
        # Opened Monday 9:00: 8 h and 40 h (one week) for normal.
        (Priority.NORMAL, at("2026-01-05", 17), at("2026-01-09", 17)),
        (Priority.URGENT, at("2026-01-05", 11), at("2026-01-06", 11)),
        (Priority.HIGH, at("2026-01-05", 13), at("2026-01-07", 13)),
        (Priority.LOW, at("2026-01-06", 17), at("2026-01-16", 17)),
    ],
)
def test_it_sets_due_times_by_priority(priority, first, resolution):
    ticket = Ticket(priority=priority, created_at=at("2026-01-05", 9))
    ticket_sla_start(ticket=ticket)
    assert ticket.first_response_due == first
    assert ticket.resolution_due == resolution


def test_it_starts_from_now_for_a_ticket_not_saved_yet():
    with time_machine.travel(at("2026-01-02", 16), tick=False):
        ticket = Ticket(priority=Priority.NORMAL)
        ticket_sla_start(ticket=ticket)
    assert ticket.first_response_due == at("2026-01-05", 16)


def _ticket(**fields) -> Ticket:
    ticket = Ticket(priority=Priority.NORMAL, status=Status.NEW, created_at=at("2026-01-05", 9))
    ticket_sla_start(ticket=ticket)
    for name, value in fields.items():
        setattr(ticket, name, value)
    return ticket


def test_it_shows_the_first_answer_timer_until_staff_answer():
    ticket = _ticket()
    timer = sla_state(ticket, at("2026-01-05", 10))
    assert (timer.state, timer.target) == (SlaState.ON_TIME, SlaTarget.FIRST_RESPONSE)
    assert timer.remaining == 7 * H
    assert timer.text == "Due in 7 h 00 min"


def test_it_says_due_soon_in_the_last_business_hour():
    timer = sla_state(_ticket(), at("2026-01-05", 16, 15))
    assert timer.state == SlaState.DUE_SOON
    assert timer.remaining == dt.timedelta(minutes=45)


def test_it_says_overdue_in_business_time():
    # Due Monday 17:00; Tuesday 10:30 is 1 h 30 of business time late.
    timer = sla_state(_ticket(), at("2026-01-06", 10, 30))
    assert timer.state == SlaState.BREACHED
    assert timer.overdue == 1.5 * H
    assert timer.text == "Overdue by 1 h 30 min"


def test_it_is_breached_at_night_just_after_the_due_time():
    timer = sla_state(_ticket(), at("2026-01-05", 20))
    assert timer.state == SlaState.BREACHED
    assert timer.overdue == dt.timedelta(0)


def test_it_moves_to_the_resolution_timer_after_the_first_answer():
    ticket = _ticket(status=Status.OPEN, first_responded_at=at("2026-01-05", 10))
    timer = sla_state(ticket, at("2026-01-06", 9))
    assert (timer.state, timer.target) == (SlaState.ON_TIME, SlaTarget.RESOLUTION)
    assert timer.due == at("2026-01-09", 17)


def test_it_never_blames_staff_while_waiting_for_the_person():
    ticket = _ticket(status=Status.PENDING, first_responded_at=at("2026-01-05", 10))
    assert sla_state(ticket, at("2026-02-01", 9)).state == SlaState.WAITING


@pytest.mark.parametrize("status", [Status.SOLVED, Status.CLOSED])
def test_it_stops_the_timer_of_solved_and_closed_tickets(status):
    timer = sla_state(_ticket(status=status), at("2026-02-01", 9))
    assert (timer.state, timer.due, timer.remaining) == (SlaState.NONE, None, None)


def test_it_writes_durations_in_hours_and_minutes():
    assert duration_text(dt.timedelta(hours=12, minutes=5, seconds=59)) == "12 h 05 min"
