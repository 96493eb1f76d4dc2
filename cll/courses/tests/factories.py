"""Catalogue rows for tests, built through the services like real ones."""

from __future__ import annotations

import datetime as dt
import itertools

from django.utils import timezone

from cll.courses import services
from cll.courses.models import Format, Language, Level, Session, Site
from cll.courses.services import WeeklySchedule

_counter = itertools.count(1)

LANGUAGE_NAMES = {
    "en": ("Anglais", "English", "Engels"),
    "nl": ("Néerlandais", "Dutch", "Nederlands"),
    "de": ("Allemand", "German", "Duits"),
    "es": ("Espagnol", "Spanish", "Spaans"),
}


def make_language(code: str = "en") -> Language:
    fr, en, nl = LANGUAGE_NAMES.get(code, (code, code, code))
    language, _ = Language.objects.get_or_create(
        code=code, defaults={"name_fr": fr, "name_en": en, "name_nl": nl}
    )
    return language


def make_site(slug: str = "louvain-la-neuve", *, online: bool = False) -> Site:
    site, _ = Site.objects.get_or_create(
        slug=slug,
        defaults={
            "name_fr": slug.title(),
            "name_en": slug.title(),
            "name_nl": slug.title(),
            "is_online": online,
            "address": "" if online else "Place de l'Université 25\n1348 Louvain-la-Neuve",
        },
    )
    return site


# make_session's classes: Tuesdays and Thursdays, 18:30-20:30.
CLASS_WEEKDAYS = (1, 3)


def class_day_before(day: dt.date) -> dt.date:
    """The last of make_session's class days before ``day``: a session whose first day it is
    has started (a first day between classes starts at the next class)."""
    day -= dt.timedelta(days=1)
    while day.weekday() not in CLASS_WEEKDAYS:
        day -= dt.timedelta(days=1)
    return day


def make_session(
    *,
    language: Language | None = None,
    site: Site | None = None,
    level: str = Level.A2,
    format: str = Format.GROUP,
    first_day: dt.date | None = None,
    hours: int = 4,
    published: bool = True,
    featured: bool = False,
    title: str | None = None,
    price_cents: int = 39000,
) -> Session:
    language = language or make_language()
    number = next(_counter)
    stem = title or f"{language.name_en} {level} #{number}"
    return services.session_create(
        language=language,
        level=level,
        format=format,
        site=site or make_site(),
        titles={"fr": f"FR {stem}", "en": f"EN {stem}", "nl": f"NL {stem}"},
        descriptions={"fr": "Description FR", "en": "Description EN", "nl": "Beschrijving NL"},
        first_day=first_day or timezone.localdate() + dt.timedelta(days=7),
        hours=hours,
        schedule=WeeklySchedule(CLASS_WEEKDAYS, dt.time(18, 30), dt.time(20, 30)),
        price_cents=price_cents,
        capacity=12,
        is_featured=featured,
        is_published=published,
    )
