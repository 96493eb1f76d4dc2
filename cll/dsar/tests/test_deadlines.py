"""Deadline arithmetic: one calendar month capped at 30 days, pause, extension."""

from __future__ import annotations

import datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cll.dsar.deadlines import add_months, extended_deadline, first_deadline, paused_days

D = datetime.date
days = st.dates(min_value=D(1990, 1, 1), max_value=D(2100, 12, 31))


@pytest.mark.parametrize(
    ("start", "months", "expected"),
    [
        (D(2025, 1, 31), 1, D(2025, 2, 28)),
        (D(2024, 1, 31), 1, D(2024, 2, 29)),  # leap year
        (D(2024, 2, 29), 12, D(2025, 2, 28)),
        (D(2025, 3, 31), 1, D(2025, 4, 30)),
        (D(2025, 12, 15), 1, D(2026, 1, 15)),
        (D(2025, 11, 30), 2, D(2026, 1, 30)),
        (D(2025, 12, 31), 2, D(2026, 2, 28)),
    ],
)
def test_it_adds_calendar_months_clamping_to_the_month_end(start, months, expected):
    assert add_months(start, months) == expected


@pytest.mark.parametrize(
    ("received", "due"),
    [
        # February: the calendar month is shorter than 30 days and wins.
        (D(2025, 1, 31), D(2025, 2, 28)),
        (D(2024, 1, 31), D(2024, 2, 29)),
        (D(2025, 1, 30), D(2025, 2, 28)),
        (D(2025, 2, 1), D(2025, 3, 1)),
        (D(2024, 2, 29), D(2024, 3, 29)),
        # 31-day months: the policy's 30 days win.
        (D(2025, 3, 1), D(2025, 3, 31)),
        (D(2025, 12, 31), D(2026, 1, 30)),
        (D(2025, 7, 15), D(2025, 8, 14)),
        # 30-day months: both agree.
        (D(2025, 4, 10), D(2025, 5, 10)),
        (D(2025, 3, 31), D(2025, 4, 30)),
    ],
)
def test_it_takes_the_earlier_of_one_month_and_30_days(received, due):
    assert first_deadline(received) == due


def test_it_adds_the_verification_pause_to_the_deadline():
    received, verified = D(2025, 1, 31), D(2025, 2, 3)
    pause = paused_days(received, verified)
    assert pause == 3
    assert first_deadline(received, paused_days=pause) == D(2025, 3, 3)
    assert paused_days(D(2025, 3, 1), D(2025, 3, 1)) == 0
    with pytest.raises(ValueError):
        first_deadline(received, paused_days=-1)


def test_it_extends_by_one_or_two_months_only():
    assert extended_deadline(D(2025, 2, 28), 2) == D(2025, 4, 28)
    assert extended_deadline(D(2025, 3, 31), 2) == D(2025, 5, 31)
    assert extended_deadline(D(2025, 12, 31), 2) == D(2026, 2, 28)
    for months in (0, 3):
        with pytest.raises(ValueError):
            extended_deadline(D(2025, 2, 28), months)


@given(received=days)
def test_it_never_exceeds_a_month_nor_30_days(received):
    due = first_deadline(received)
    assert due <= received + datetime.timedelta(days=30)
    assert due <= add_months(received, 1)
    # Never shorter than the shortest month.
    assert due >= received + datetime.timedelta(days=28)
    assert due in (add_months(received, 1), received + datetime.timedelta(days=30))


@given(received=days, pause=st.integers(min_value=0, max_value=400))
def test_it_shifts_the_deadline_by_exactly_the_pause(received, pause):
    verified = received + datetime.timedelta(days=pause)
    assert paused_days(received, verified) == pause
    assert first_deadline(received, paused_days=pause) - first_deadline(received) == (
        datetime.timedelta(days=pause)
    )


@given(start=days, months=st.integers(min_value=0, max_value=36))
def test_it_keeps_the_day_or_clamps_to_the_last_day(start, months):
    result = add_months(start, months)
    assert (result.year * 12 + result.month) - (start.year * 12 + start.month) == months
    if result.day != start.day:
        assert result.day < start.day
        assert (result + datetime.timedelta(days=1)).day == 1
