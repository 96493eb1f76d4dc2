"""Writes to the catalogue. Not personal data, so no audit entry is needed here."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from django.db import transaction
from django.utils.text import slugify

from cll.courses.models import Course, Format, Language, Level, Session, Site, random_token
from cll.courses.translated import language_codes


@dataclass(frozen=True)
class WeeklySchedule:
    """Courses on the same weekdays and hours every week (weekdays: Monday=0 ... Sunday=6)."""

    weekdays: tuple[int, ...]
    starts_at: dt.time
    ends_at: dt.time

    def __post_init__(self):
        if not self.weekdays or any(day not in range(7) for day in self.weekdays):
            raise ValueError("weekdays must be a non-empty tuple of numbers from 0 to 6.")
        if self.ends_at <= self.starts_at:
            raise ValueError("A course must end after it starts.")

    @property
    def minutes_per_course(self) -> int:
        start = self.starts_at.hour * 60 + self.starts_at.minute
        return self.ends_at.hour * 60 + self.ends_at.minute - start


def course_dates(
    *,
    schedule: WeeklySchedule,
    first_day: dt.date,
    hours: int,
    closed_on: Iterable[dt.date] = (),
) -> list[dt.date]:
    """The dates of the courses that cover ``hours`` of teaching, from ``first_day`` on.

    Days in ``closed_on`` (public holidays, closures) are skipped. The last course may be the
    one that reaches the total: a 30-hour session of 2-hour courses has 15 of them.
    """
    closed = set(closed_on)
    needed_minutes = hours * 60
    dates: list[dt.date] = []
    day = first_day
    while len(dates) * schedule.minutes_per_course < needed_minutes:
        if day.weekday() in schedule.weekdays and day not in closed:
            dates.append(day)
        day += dt.timedelta(days=1)
    return dates


def session_slug(*, language: Language, level: str, format: str) -> str:
    """A readable slug with a random ending, e.g. ``english-a2-group-k7m2q9xa``."""
    return slugify(f"{language.name_en}-{level}-{format}")[:80] + "-" + random_token(8)


@transaction.atomic
def session_create(
    *,
    language: Language,
    level: Level | str,
    format: Format | str,
    site: Site,
    titles: Mapping[str, str],
    descriptions: Mapping[str, str] | None = None,
    first_day: dt.date,
    hours: int,
    schedule: WeeklySchedule,
    price_cents: int,
    capacity: int,
    is_featured: bool = False,
    is_published: bool = False,
    slug: str | None = None,
    closed_on: Iterable[dt.date] = (),
) -> Session:
    """Create a session and its courses; the last day is that of the last course.

    ``titles`` and ``descriptions`` map a UI language code to the text in that language; a
    title is required in every UI language.
    """
    missing = [code for code in language_codes() if not titles.get(code)]
    if missing:
        raise ValueError(f"A title is required in every language; missing: {', '.join(missing)}.")
    descriptions = descriptions or {}
    dates = course_dates(schedule=schedule, first_day=first_day, hours=hours, closed_on=closed_on)
    session = Session.objects.create(
        slug=slug or session_slug(language=language, level=level, format=format),
        language=language,
        level=level,
        format=format,
        site=site,
        starts_on=dates[0],
        ends_on=dates[-1],
        hours=hours,
        price_cents=price_cents,
        capacity=capacity,
        is_featured=is_featured,
        is_published=is_published,
        **{f"title_{code}": titles[code] for code in language_codes()},
        **{f"description_{code}": descriptions.get(code, "") for code in language_codes()},
    )
    Course.objects.bulk_create(
        Course(session=session, date=day, starts_at=schedule.starts_at, ends_at=schedule.ends_at)
        for day in dates
    )
    return session
