"""Reads of the public catalogue.

Only published sessions that have not ended are ever listed for visitors. A session has
*started* once its first day is past (on its first day it is still upcoming: the first lesson
may be that evening); every listed session carries ``has_started``, computed by the database.
Every list selects its related rows in the same query, so a page costs the same number of
queries whatever the number of sessions (the catalogue benchmark loads 500).
"""

from __future__ import annotations

import datetime as dt

from django.db.models import BooleanField, Count, ExpressionWrapper, Q, QuerySet
from django.utils import timezone

from cll.courses.models import Course, Language, Session, Site


def _today() -> dt.date:
    return timezone.localdate()


def _public_sessions(today: dt.date | None) -> QuerySet[Session]:
    today = today or _today()
    return (
        Session.objects.published()
        .not_ended(today)
        .select_related("language", "site")
        .annotate(
            has_started=ExpressionWrapper(Q(starts_on__lt=today), output_field=BooleanField())
        )
    )


def session_list_for(
    *,
    language: str | None = None,
    level: str | None = None,
    format: str | None = None,
    site: str | None = None,
    today: dt.date | None = None,
) -> QuerySet[Session]:
    """Published sessions not yet ended (started ones included, marked), by start date,
    optionally filtered.

    ``language`` is a language code, ``site`` a site slug, ``level`` and ``format`` choice
    values; an empty or missing filter means "any".
    """
    sessions = _public_sessions(today)
    if language:
        sessions = sessions.filter(language__code=language)
    if level:
        sessions = sessions.filter(level=level)
    if format:
        sessions = sessions.filter(format=format)
    if site:
        sessions = sessions.filter(site__slug=site)
    return sessions.order_by("starts_on", "id")


def featured_session_list_for(*, limit: int = 6, today: dt.date | None = None) -> list[Session]:
    """The home page's "Upcoming sessions": only sessions that have not started, by start date.

    Featured sessions are chosen first (up to ``limit``), the next to start fill the remaining
    places; the chosen ones are shown in start-date order. Two queries whatever the catalogue.
    """
    today = today or _today()
    upcoming = _public_sessions(today).filter(starts_on__gte=today)
    sessions = list(upcoming.filter(is_featured=True).order_by("starts_on", "id")[:limit])
    if len(sessions) < limit:
        taken = [session.pk for session in sessions]
        sessions += list(
            upcoming.exclude(pk__in=taken).order_by("starts_on", "id")[: limit - len(sessions)]
        )
    return sorted(sessions, key=lambda session: (session.starts_on, session.pk))


def session_get_for(*, slug: str) -> Session:
    """A published session by its public slug (raises Session.DoesNotExist otherwise).

    Past sessions stay reachable so old links keep working; the page says they have ended.
    """
    return Session.objects.published().select_related("language", "site").get(slug=slug)


def course_list_for(*, session: Session) -> QuerySet[Course]:
    return session.courses.order_by("date", "starts_at")


def related_session_list_for(
    *, session: Session, limit: int = 3, today: dt.date | None = None
) -> list[Session]:
    """Other open sessions in the same language, the next to start first."""
    return list(
        _public_sessions(today)
        .filter(language_id=session.language_id)
        .exclude(pk=session.pk)
        .order_by("starts_on", "id")[:limit]
    )


def language_list_for(*, with_session_counts: bool = False, today: dt.date | None = None):
    """Languages taught, in display order; optionally with their number of open sessions."""
    languages = Language.objects.order_by("position", "code")
    if with_session_counts:
        languages = languages.annotate(
            open_sessions=Count(
                "sessions",
                filter=Q(sessions__is_published=True, sessions__ends_on__gte=today or _today()),
            )
        )
    return languages


def site_list_for() -> QuerySet[Site]:
    return Site.objects.order_by("position", "slug")


def filter_choices_for() -> tuple[list[Language], list[Site]]:
    """The catalogue filter's languages and places."""
    return list(language_list_for()), list(site_list_for())
