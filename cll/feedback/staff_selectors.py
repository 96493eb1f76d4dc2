"""Reads of feedback for staff: results per session and per service, with role checks.

Who sees what (the views' decorators let in Customer service, Administrators, Teachers and
Marketing; the rest is decided here):

- Customer service and Administrators: every session's and service's figures, and the comments
  with the learner's name;
- a Teacher: the figures and comments of the sessions they teach, never a name (a session of
  someone else is "not found");
- Marketing: figures only (counts, averages, distributions), no comment, no name.

Every comment shown to a staff member is written to the ledger (``feedback.read``: who read
whose answer, in which role, the fields; never the text), in the request's transaction. Figures
carry no one's data and are not audited. Lists read a fixed number of queries whatever their
length (``cll/feedback/tests/test_staff_results.py``), apart from one ledger entry per comment
shown.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from django.db import transaction
from django.db.models import (
    Avg,
    Count,
    Exists,
    FloatField,
    IntegerField,
    OuterRef,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.functions import Coalesce, TruncMonth
from django.utils import timezone

from cll.accounts.models import User
from cll.core.encryption import data_keys_preload
from cll.core.roles import Role, acting_role, staff_roles_of
from cll.courses.models import Session
from cll.feedback.models import Invitation, ServiceFeedback, SessionRating, Topic
from cll.privacy.services import audit_record
from cll.shop.waitlist import learner_name

# Roles that see every session and the comments with names.
MANAGERS = frozenset({Role.CUSTOMER_SERVICE, Role.ADMINISTRATOR})
# Roles that see every session's figures (no comment for Marketing).
ALL_SESSIONS = MANAGERS | {Role.MARKETING}
# Months shown on the chart of feedback on services.
SERVICE_MONTHS = 12


def _per_session(queryset: QuerySet, expression, output_field) -> Subquery:
    """A correlated aggregate of ``queryset`` per session."""
    grouped = queryset.order_by().values("session_id").annotate(v=expression).values("v")
    return Subquery(grouped, output_field=output_field)


def _sessions_with_figures() -> QuerySet[Session]:
    invitations = Invitation.objects.filter(session=OuterRef("pk"))
    ratings = SessionRating.objects.filter(session=OuterRef("pk"))
    return (
        Session.objects.filter(Exists(invitations) | Exists(ratings))
        .select_related("site")
        .annotate(
            invited=Coalesce(_per_session(invitations, Count("pk"), IntegerField()), Value(0)),
            answered=Coalesce(_per_session(ratings, Count("pk"), IntegerField()), Value(0)),
            average=_per_session(ratings, Avg("rating"), FloatField()),
        )
    )


def results_session_list_for(*, user: User) -> QuerySet[Session]:
    """The sessions whose results ``user`` may see, the most recently ended first, each with
    ``invited``, ``answered`` and ``average`` (None without an answer)."""
    roles = staff_roles_of(user)
    sessions = _sessions_with_figures().order_by("-ends_on", "-id")
    if roles & ALL_SESSIONS:
        return sessions
    if Role.TEACHER in roles:
        return sessions.filter(teacher=user)
    return sessions.none()


def results_session_get_for(*, user: User, slug: str) -> Session | None:
    """One session's figures, if ``user`` may see them; None otherwise (callers 404)."""
    return results_session_list_for(user=user).filter(slug=slug).first()


def comments_visible(*, user: User, session: Session | None = None) -> bool:
    """Whether ``user`` reads comments: managers always, a teacher on their own sessions."""
    roles = staff_roles_of(user)
    if roles & MANAGERS:
        return True
    return session is not None and Role.TEACHER in roles and session.teacher_id == user.pk


def names_visible(*, user: User) -> bool:
    """Whether ``user`` sees who wrote a comment (never a teacher, never Marketing)."""
    return bool(staff_roles_of(user) & MANAGERS)


def rating_distribution(*, ratings: QuerySet) -> list[tuple[int, int]]:
    """(stars, count) from 5 down to 1, zeros included."""
    counts = dict(ratings.order_by().values_list("rating").annotate(n=Count("pk")))
    return [(stars, counts.get(stars, 0)) for stars in range(5, 0, -1)]


def session_distribution(*, session: Session) -> list[tuple[int, int]]:
    return rating_distribution(ratings=SessionRating.objects.filter(session=session))


@dataclass(frozen=True)
class Comment:
    rating: int
    text: str
    may_quote: bool
    at: dt.datetime
    # The writer's name: empty unless the reader may see it (and the answer is not anonymous).
    name: str
    topic: str = ""


def _name(user: User | None) -> str:
    return "" if user is None else learner_name(user)


def _keys_preload(rows: QuerySet, subject_path: str) -> None:
    """Read the data keys of the rows' people in one query (comments and names are sealed with
    them), instead of one per row."""
    data_keys_preload(subjects=[s for s in rows.values_list(subject_path, flat=True) if s])


def _audit_reads(
    *, reader: User, rows: Iterable, person_field: str, fields: tuple[str, ...], route: str
) -> None:
    role = acting_role(reader, Role.CUSTOMER_SERVICE, Role.ADMINISTRATOR, Role.TEACHER)
    with transaction.atomic():
        for row in rows:
            person = getattr(row, person_field)
            if person is None:
                continue
            audit_record(
                actor=reader,
                role=role,
                subject=person,
                action="feedback.read",
                target=row,
                fields=fields,
                route=route,
            )


def session_comment_list_for(*, user: User, session: Session, route: str) -> list[Comment]:
    """The comments on ``session`` that ``user`` may read, newest first; [] for Marketing.
    Each comment shown is audited."""
    if not comments_visible(user=user, session=session):
        return []
    with_names = names_visible(user=user)
    ratings = SessionRating.objects.filter(session=session).select_related("learner__profile")
    _keys_preload(ratings, "learner__public_id")
    shown = [rating for rating in ratings.order_by("-created_at", "-id") if rating.comment]
    fields = ("rating", "comment", "may_quote", *(("learner",) if with_names else ()))
    _audit_reads(reader=user, rows=shown, person_field="learner", fields=fields, route=route)
    return [
        Comment(
            rating=rating.rating,
            text=rating.comment,
            may_quote=rating.may_quote,
            at=rating.updated_at,
            name=_name(rating.learner) if with_names else "",
        )
        for rating in shown
    ]


# -- Services -------------------------------------------------------------------------------------


def _months(today: dt.date, count: int) -> list[dt.date]:
    """The first days of the last ``count`` months, oldest first, this month last."""
    first = today.replace(day=1)
    months = []
    for _index in range(count):
        months.append(first)
        first = (first - dt.timedelta(days=1)).replace(day=1)
    return list(reversed(months))


@dataclass(frozen=True)
class ServiceFigures:
    months: list[dt.date]
    # Topic value -> average per month (None for a month without feedback).
    averages: dict[str, list[float | None]]
    # (topic value, label, count, average) over the months shown.
    totals: list[tuple[str, str, int, float | None]]


def service_figures(*, today: dt.date | None = None) -> ServiceFigures:
    """Averages of feedback on services per topic and month over the last ``SERVICE_MONTHS``
    months, and per topic over the whole period (one query)."""
    today = today or timezone.localdate()
    months = _months(today, SERVICE_MONTHS)
    start = dt.datetime.combine(months[0], dt.time(), tzinfo=timezone.get_current_timezone())
    rows = (
        ServiceFeedback.objects.filter(created_at__gte=start)
        .annotate(month=TruncMonth("created_at"))
        .order_by()
        .values("topic", "month")
        .annotate(n=Count("pk"), average=Avg("rating"))
        .values_list("topic", "month", "n", "average")
    )
    # (topic, month) -> (count, sum of stars)
    per_month: dict[tuple[str, dt.date], tuple[int, float]] = {}
    for topic, month, n, average in rows:
        day = month.date() if isinstance(month, dt.datetime) else month
        per_month[(topic, day)] = (n, n * float(average))
    averages, totals = {}, []
    for topic in Topic:
        averages[topic.value] = [
            round(per_month[(topic.value, m)][1] / per_month[(topic.value, m)][0], 2)
            if (topic.value, m) in per_month
            else None
            for m in months
        ]
        n = sum(per_month.get((topic.value, m), (0, 0.0))[0] for m in months)
        total = sum(per_month.get((topic.value, m), (0, 0.0))[1] for m in months)
        totals.append((topic.value, topic.label, n, round(total / n, 2) if n else None))
    return ServiceFigures(months=months, averages=averages, totals=totals)


def service_comment_list_for(
    *, user: User, topic: str = "", route: str, limit: int = 50, offset: int = 0
) -> list[Comment]:
    """The latest feedback on services with a comment, newest first, for managers only ([]
    for anyone else); optionally one topic. Each comment shown is audited."""
    if not staff_roles_of(user) & MANAGERS:
        return []
    rows = ServiceFeedback.objects.select_related("account__profile").order_by("-created_at", "-id")
    if topic:
        rows = rows.filter(topic=topic)
    rows = rows[offset : offset + limit]
    _keys_preload(rows, "account__public_id")
    shown = [row for row in rows if row.comment]
    _audit_reads(
        reader=user,
        rows=shown,
        person_field="account",
        fields=("topic", "rating", "comment", "account"),
        route=route,
    )
    labels = dict(Topic.choices)
    return [
        Comment(
            rating=row.rating,
            text=row.comment,
            may_quote=False,
            at=row.created_at,
            name=_name(row.account),
            topic=str(labels.get(row.topic, row.topic)),
        )
        for row in shown
    ]
