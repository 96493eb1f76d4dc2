"""Creating a session schedules its courses."""

from __future__ import annotations

import datetime as dt

import pytest

from cll.courses import services
from cll.courses.services import WeeklySchedule
from cll.courses.tests.factories import make_language, make_site

pytestmark = pytest.mark.django_db

TUESDAY_THURSDAY = WeeklySchedule((1, 3), dt.time(18, 30), dt.time(20, 30))
MONDAY = dt.date(2027, 1, 4)


def test_course_dates_cover_the_hours_on_the_weekdays():
    dates = services.course_dates(schedule=TUESDAY_THURSDAY, first_day=MONDAY, hours=30)

    assert len(dates) == 15
    assert {day.weekday() for day in dates} == {1, 3}
    assert dates[0] == dt.date(2027, 1, 5)


def test_course_dates_skip_closed_days():
    closed = dt.date(2027, 1, 7)

    dates = services.course_dates(
        schedule=TUESDAY_THURSDAY, first_day=MONDAY, hours=4, closed_on=[closed]
    )

    assert dates == [dt.date(2027, 1, 5), dt.date(2027, 1, 12)]


def test_a_partial_last_course_still_counts():
    schedule = WeeklySchedule((0,), dt.time(9), dt.time(12))

    assert len(services.course_dates(schedule=schedule, first_day=MONDAY, hours=10)) == 4


def test_session_create_takes_its_dates_from_its_courses():
    session = services.session_create(
        language=make_language("en"),
        level="B1",
        format="group",
        site=make_site(),
        titles={"fr": "Anglais B1", "en": "English B1", "nl": "Engels B1"},
        first_day=MONDAY,
        hours=30,
        schedule=TUESDAY_THURSDAY,
        price_cents=39000,
        capacity=12,
    )

    courses = list(session.courses.all())
    assert len(courses) == 15
    assert session.starts_on == courses[0].date == dt.date(2027, 1, 5)
    assert session.ends_on == courses[-1].date
    assert session.slug.startswith("english-b1-group-")
    assert not session.is_published


def test_session_create_wants_a_title_in_every_language():
    with pytest.raises(ValueError, match="nl"):
        services.session_create(
            language=make_language("en"),
            level="B1",
            format="group",
            site=make_site(),
            titles={"fr": "Anglais B1", "en": "English B1"},
            first_day=MONDAY,
            hours=30,
            schedule=TUESDAY_THURSDAY,
            price_cents=39000,
            capacity=12,
        )


@pytest.mark.parametrize(
    ("weekdays", "start", "end"),
    [
        ((), dt.time(9), dt.time(10)),
        ((7,), dt.time(9), dt.time(10)),
        ((1,), dt.time(10), dt.time(9)),
    ],
)
def test_a_weekly_schedule_must_make_sense(weekdays, start, end):
    with pytest.raises(ValueError):
        WeeklySchedule(weekdays, start, end)
