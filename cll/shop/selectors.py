"""Reads of the shop: ``<entity>_list_for`` / ``<entity>_get_for``, filtered by owner or role
(user-supplied ids are resolved here, never in views).

Seats. A session's seat is taken by

- an active enrolment,
- a line of a PENDING order whose hold has not expired (``Order.hold_until``), and
- a live waiting-list offer (``waitlist.seats_held_by_offers``: OFFERED or ACCEPTED, not
  expired, learner not yet holding the seat another way): the seat freed for the first person
  on the list is kept for them while the offer runs; their own checkout does not count it
  against them (``exclude_learners``).

``seats_left`` counts them when asked; ``services.order_place`` counts them again under the
sessions' row locks, which is what decides. A hold that expired frees its seat at once for this
count, before the periodic task cancels its order.

A guardian reads their children's enrolments and timetable: each such read is written to the
ledger (``enrolment.read``, one entry per child shown, ids and field names only). A person's
reads of their own data are not audited (as the profile page).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import (
    Count,
    Exists,
    IntegerField,
    OuterRef,
    Prefetch,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from cll.accounts.models import User
from cll.accounts.selectors import child_get_for, children_of, profile_get_for
from cll.courses.models import Course, Format, Session
from cll.privacy.services import audit_record
from cll.shop import waitlist
from cll.shop.cart import CartItem
from cll.shop.models import (
    Enrolment,
    EnrolmentStatus,
    Invoice,
    Order,
    OrderLine,
    OrderStatus,
    PaymentStatus,
    WaitlistEntry,
)

# Company training and individual lessons are tailored: they are quoted, not sold on-line.
QUOTE_FORMATS = frozenset({Format.COMPANY, Format.INDIVIDUAL})
# The consumer's withdrawal period (Code de droit économique, Art. VI.47): 14 calendar days.
WITHDRAWAL_DAYS = 14
# What the ledger records a guardian reading about a child's enrolments.
ENROLMENT_READ_FIELDS = ("session", "status", "created_at")


# -- Seats ------------------------------------------------------------------------------------


def _count(queryset: QuerySet) -> Coalesce:
    """A correlated COUNT(*) of ``queryset`` per session (0 when there is none)."""
    counted = queryset.order_by().values("session_id").annotate(n=Count("pk")).values("n")
    return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))


def seats_left_many(
    *,
    session_ids: Iterable[int],
    now: dt.datetime | None = None,
    exclude_order: Order | None = None,
    exclude_learners: Iterable[int] = (),
) -> dict[int, int]:
    """Free seats per session id, never below 0.

    ``exclude_order``: an order whose own held lines do not count (it is the one being paid);
    ``exclude_learners``: learner ids whose own waiting-list offers do not count (they are the
    ones taking the seat offered to them). Offers are counted by the waiting list's own rule
    (``waitlist.seats_held_by_offers``), one query per session that has any.
    """
    now = now or timezone.now()
    ids = sorted(set(session_ids))
    excluded = list(exclude_learners)
    enrolled = Enrolment.objects.filter(session=OuterRef("pk"), status=EnrolmentStatus.ACTIVE)
    held = OrderLine.objects.filter(
        session=OuterRef("pk"), order__status=OrderStatus.PENDING, order__hold_until__gt=now
    )
    if exclude_order is not None:
        held = held.exclude(order_id=exclude_order.pk)
    offers = WaitlistEntry.objects.filter(session=OuterRef("pk"), offer_expires_at__gt=now)
    sessions = Session.objects.filter(pk__in=ids).annotate(
        enrolled=_count(enrolled), held=_count(held), has_offers=Exists(offers)
    )
    left = {}
    for session in sessions:
        offered = (
            waitlist.seats_held_by_offers(session=session, now=now, except_learners=excluded)
            if session.has_offers
            else 0
        )
        left[session.pk] = max(0, session.capacity - session.enrolled - session.held - offered)
    return left


def seats_left(
    *, session: Session, now: dt.datetime | None = None, exclude_learners: Iterable[int] = ()
) -> int:
    """Free seats in ``session`` now: capacity minus active enrolments, live holds of pending
    orders and live waiting-list offers (except those made to ``exclude_learners``: a seat
    offered to someone is free for them); never below 0."""
    return seats_left_many(
        session_ids=[session.pk], now=now, exclude_learners=exclude_learners
    ).get(session.pk, 0)


class Availability:
    """What the session page offers (``session_availability``)."""

    OPEN = "open"  # places left, not started: add to cart
    STARTED = "started"  # places left and started: can still be joined until its last day
    FULL = "full"  # no place left: the waiting list
    ENDED = "ended"  # nothing to buy
    QUOTE = "quote"  # company training, individual lessons: a request for a quote


def session_availability(*, session: Session, seats: int, today: dt.date | None = None) -> str:
    """One of ``Availability``'s values. A session that has started can still be joined until
    its last day while places are left (the learner joins the lessons that remain, at the
    price shown); an ended one cannot. It has *started* once its first day is past, as the
    catalogue says."""
    today = today or timezone.localdate()
    if session.ends_on < today:
        return Availability.ENDED
    if session.format in QUOTE_FORMATS:
        return Availability.QUOTE
    if seats <= 0:
        return Availability.FULL
    if session.starts_on < today:
        return Availability.STARTED
    return Availability.OPEN


def session_refusal(*, session: Session, today: dt.date | None = None) -> str:
    """Why ``session`` cannot be bought on-line ("" when it can), as a sentence for the buyer.
    Seats are not looked at: they are counted where they are taken."""
    today = today or timezone.localdate()
    if not session.is_published:
        return _("This session is no longer offered.")
    if session.ends_on < today:
        return _("This session has ended.")
    if session.format in QUOTE_FORMATS:
        return _("This session is arranged on request: please ask for a quote.")
    return ""


def buyable_session_get_for(*, slug: str) -> Session | None:
    """A published session by its public slug, for the cart (None for anything else)."""
    return Session.objects.published().select_related("language", "site").filter(slug=slug).first()


# -- Learners a buyer may enrol -----------------------------------------------------------------


@dataclass(frozen=True)
class LearnerChoice:
    """Someone a buyer may enrol: themself (``value`` "") or one of their children."""

    value: str
    label: str
    user: User


def _name_of(user: User) -> str:
    profile = profile_get_for(user=user)
    if profile is None:
        return ""
    return f"{profile.first_name} {profile.last_name}".strip()


def learner_choice_list_for(*, user: User) -> list[LearnerChoice]:
    """The buyer themself, then each child they are the active guardian of."""
    choices = [LearnerChoice("", _("Myself"), user)]
    for child in children_of(user):
        choices.append(LearnerChoice(str(child.public_id), _name_of(child) or _("My child"), child))
    return choices


def learner_get_for(*, user: User, value: str) -> User | None:
    """The learner a cart line names: "" is the buyer, else one of their children by public
    id; None for anyone else (a tampered or stale id)."""
    if not value:
        return user
    try:
        public_id = uuid.UUID(value)
    except ValueError:
        return None
    return child_get_for(guardian=user, public_id=public_id)


# -- The cart ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class CartLine:
    """One line of the cart as shown and as ordered: prices come from the database."""

    key: str
    session: Session
    learner: User | None
    learner_label: str
    price_cents: int
    seats: int
    problem: str = ""


@dataclass(frozen=True)
class CartContents:
    lines: list[CartLine] = field(default_factory=list)

    @property
    def total_cents(self) -> int:
        return sum(line.price_cents for line in self.lines)

    @property
    def problems(self) -> list[CartLine]:
        return [line for line in self.lines if line.problem]

    @property
    def digest(self) -> str:
        """What the buyer saw: sessions, learners and prices. The checkout form carries it, so
        an order is placed only for the cart the buyer confirmed (not one changed in another
        tab, nor a price changed meanwhile)."""
        text = "|".join(
            f"{line.key}:{line.price_cents}" for line in sorted(self.lines, key=lambda x: x.key)
        )
        return hashlib.sha256(f"{text}|{self.total_cents}".encode()).hexdigest()

    @property
    def starts_within_withdrawal(self) -> bool:
        """Whether a session starts (or started) within the 14 days of the withdrawal period:
        then the buyer may ask to start before it ends (Art. VI.49 § 3)."""
        limit = timezone.localdate() + dt.timedelta(days=WITHDRAWAL_DAYS)
        return any(line.session.starts_on <= limit for line in self.lines)


def cart_contents_for(
    *, items: Sequence[CartItem], user: User | None, now: dt.datetime | None = None
) -> CartContents:
    """Resolve the cart's items against the database for ``user`` (None: a visitor).

    Every line gets the session's current price and its free seats; a line that cannot be
    ordered says why (``problem``): session gone, ended or quoted only, full, a learner who is
    no longer the buyer's child, a learner already enrolled.
    """
    now = now or timezone.now()
    today = timezone.localdate(now)
    slugs = [item.session_slug for item in items]
    sessions = {
        session.slug: session
        for session in Session.objects.filter(slug__in=slugs).select_related("language", "site")
    }
    choices = (
        {choice.value: choice for choice in learner_choice_list_for(user=user)} if user else {}
    )
    # A seat offered from a waiting list to the buyer or their child is free for them.
    family = [choice.user.pk for choice in choices.values()]
    seats = seats_left_many(
        session_ids=[session.pk for session in sessions.values()], now=now, exclude_learners=family
    )
    lines = []
    for item in items:
        session = sessions.get(item.session_slug)
        if session is None:
            continue  # deleted from the catalogue: nothing to show or to sell
        choice = choices.get(item.learner)
        learner = choice.user if choice else None
        if user is None:
            label = _("Myself")
        else:
            label = choice.label if choice else _("Someone no longer linked to your account")
        problem = session_refusal(session=session, today=today)
        if not problem and user is not None and choice is None:
            problem = _("This learner is no longer linked to your account.")
        if not problem and seats.get(session.pk, 0) <= 0:
            problem = _("This session is full.")
        if not problem and learner is not None and _holds_seat(session=session, learner=learner):
            problem = _("This learner already has a place in this session.")
        lines.append(
            CartLine(
                key=item.key,
                session=session,
                learner=learner,
                learner_label=label,
                price_cents=session.price_cents,
                seats=seats.get(session.pk, 0),
                problem=problem,
            )
        )
    return CartContents(lines=lines)


def _holds_seat(*, session: Session, learner: User, now: dt.datetime | None = None) -> bool:
    now = now or timezone.now()
    return (
        Enrolment.objects.filter(
            session=session, learner=learner, status=EnrolmentStatus.ACTIVE
        ).exists()
        or OrderLine.objects.filter(
            session=session,
            learner=learner,
            order__status=OrderStatus.PENDING,
            order__hold_until__gt=now,
        ).exists()
    )


def seat_holders_among(
    *, pairs: Iterable[tuple[int, int]], now: dt.datetime | None = None
) -> set[tuple[int, int]]:
    """The (session id, learner id) pairs among ``pairs`` where the learner already holds a
    seat: an active enrolment or a line of a live pending order."""
    pairs = set(pairs)
    if not pairs:
        return set()
    now = now or timezone.now()
    session_ids = {session_id for session_id, _learner in pairs}
    learner_ids = {learner_id for _session, learner_id in pairs}
    enrolled = Enrolment.objects.filter(
        session_id__in=session_ids, learner_id__in=learner_ids, status=EnrolmentStatus.ACTIVE
    ).values_list("session_id", "learner_id")
    held = OrderLine.objects.filter(
        session_id__in=session_ids,
        learner_id__in=learner_ids,
        order__status=OrderStatus.PENDING,
        order__hold_until__gt=now,
    ).values_list("session_id", "learner_id")
    return pairs & (set(enrolled) | set(held))


# -- Orders -----------------------------------------------------------------------------------


def _orders_of(user: User) -> QuerySet[Order]:
    lines = OrderLine.objects.select_related("session", "learner").order_by("id")
    invoices = Invoice.objects.order_by("issued_at", "id")
    return (
        Order.objects.filter(buyer=user)
        .prefetch_related(
            Prefetch("lines", queryset=lines), Prefetch("invoices", queryset=invoices)
        )
        .order_by("-created_at", "-id")
    )


def order_list_for(*, user: User) -> QuerySet[Order]:
    """The orders ``user`` placed (as the buyer), newest first, with lines and invoices."""
    return _orders_of(user)


def order_get_for(*, user: User, public_id: uuid.UUID | str) -> Order | None:
    """One of ``user``'s own orders by public id; None for anyone else's (callers 404)."""
    try:
        public_id = uuid.UUID(str(public_id))
    except ValueError:
        return None
    return _orders_of(user).filter(public_id=public_id).first()


def order_paid_payment(order: Order):
    """The payment that paid ``order`` (None when none did, e.g. settled by staff)."""
    return order.payments.filter(status=PaymentStatus.PAID).order_by("-paid_at", "-id").first()


# -- Enrolments and timetable -------------------------------------------------------------------


@dataclass(frozen=True)
class EnrolmentRow:
    enrolment: Enrolment
    learner_label: str
    is_child: bool


def _people(user: User) -> list[LearnerChoice]:
    return learner_choice_list_for(user=user)


def _audit_children_read(*, user: User, children: Sequence[LearnerChoice], route: str) -> None:
    with transaction.atomic():
        for child in children:
            audit_record(
                actor=user,
                subject=child.user,
                action="enrolment.read",
                target="shop.Enrolment",
                fields=ENROLMENT_READ_FIELDS,
                route=route,
            )


def enrolment_list_for(*, user: User, route: str = "") -> list[EnrolmentRow]:
    """The enrolments of ``user`` and of the children they are the guardian of, sessions
    soonest first (active ones before the others). A guardian's read of each child is audited."""
    people = _people(user)
    labels = {choice.user.pk: choice for choice in people}
    enrolments = (
        Enrolment.objects.filter(learner__in=[choice.user for choice in people])
        .select_related("session", "session__language", "session__site", "learner")
        .order_by("session__starts_on", "session_id", "learner_id")
    )
    rows = [
        EnrolmentRow(
            enrolment=enrolment,
            learner_label=labels[enrolment.learner_id].label,
            is_child=enrolment.learner_id != user.pk,
        )
        for enrolment in enrolments
    ]
    _audit_children_read(user=user, children=people[1:], route=route)
    rows.sort(key=lambda row: row.enrolment.status != EnrolmentStatus.ACTIVE)
    return rows


@dataclass(frozen=True)
class TimetableEntry:
    course: Course
    session: Session
    learner_label: str
    # Stable, opaque: the learner's public id (never shown; for calendar UIDs).
    learner_key: str
    is_child: bool
    starts: dt.datetime
    ends: dt.datetime


def timetable_for(
    *, user: User, route: str = "", since: dt.date | None = None
) -> list[TimetableEntry]:
    """The lessons of the active enrolments of ``user`` and their children, by date and time,
    from ``since`` on (every lesson when None). A guardian's read of each child is audited."""
    people = _people(user)
    labels = {choice.user.pk: choice.label for choice in people}
    keys = {choice.user.pk: str(choice.user.public_id) for choice in people}
    enrolments = Enrolment.objects.filter(
        learner__in=[choice.user for choice in people], status=EnrolmentStatus.ACTIVE
    ).values_list("session_id", "learner_id")
    learners_of: dict[int, list[int]] = {}
    for session_id, learner_id in enrolments:
        learners_of.setdefault(session_id, []).append(learner_id)
    courses = Course.objects.filter(session_id__in=list(learners_of)).select_related(
        "session", "session__language", "session__site"
    )
    if since is not None:
        courses = courses.filter(date__gte=since)
    tz = timezone.get_current_timezone()
    entries = []
    for course in courses.order_by("date", "starts_at", "session_id"):
        for learner_id in learners_of[course.session_id]:
            entries.append(
                TimetableEntry(
                    course=course,
                    session=course.session,
                    learner_label=labels[learner_id],
                    learner_key=keys[learner_id],
                    is_child=learner_id != user.pk,
                    starts=dt.datetime.combine(course.date, course.starts_at, tzinfo=tz),
                    ends=dt.datetime.combine(course.date, course.ends_at, tzinfo=tz),
                )
            )
    _audit_children_read(user=user, children=people[1:], route=route)
    return entries
