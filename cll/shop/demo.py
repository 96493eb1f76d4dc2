# Demo texts use real typography (en dashes in titles), as load_demo's.
# ruff: noqa: RUF001
"""The demo shop for the embedded set-up (``manage.py load_demo_shop``): paid orders with
enrolments and invoices, a refunded order and its credit note, a cancelled unpaid order, a full
session with a waiting list, a teacher's roster with attendance, a quote request and a report
of a fraudulent debit. Never in production (the command refuses it, and so does the sandbox
provider).

Everything goes through the shop's own services, as a buyer and the sandbox provider would
write it: ``order_place`` holds the seats, the payment is opened at the sandbox provider and
settled by its signed webhook (``webhook_receive``: enrolments, invoice, confirmation e-mail),
the refund goes through ``refund_create`` (credit note), the waiting list through
``waitlist_join``, attendance through ``attendance_mark`` and the cases through their public
services. Only two things are set by hand, as ``load_demo_accounts`` sets teachers: the teacher
of the session whose roster bob sees, when he teaches no started one, and the capacity of the
session made full (the demo school has too few learners to fill twelve seats).

Idempotent: each step first looks for what it makes (an order of the same buyer for the same
seats, a place on the list, a case of the same account, a lesson already marked), and the
sessions are chosen again from the demo's own orders; a second run changes nothing. Needs the
sessions of ``load_demo`` and the personas of ``load_demo_accounts``.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.db.models import Count, QuerySet
from django.utils import timezone

from cll.accounts.models import User
from cll.accounts.selectors import children_of, profile_get_for
from cll.core import pagecache
from cll.courses import services as course_services
from cll.courses.models import Format, Language, Session, Site
from cll.policies.selectors import policy_version_current
from cll.shop import attendance, cases, services, waitlist
from cll.shop.models import (
    Attendance,
    Enrolment,
    EnrolmentStatus,
    FraudReport,
    Invoice,
    Order,
    OrderLine,
    OrderStatus,
    Payment,
    PaymentStatus,
    ProviderEvent,
    QuoteKind,
    QuoteRequest,
    Refund,
    WaitlistEntry,
)
from cll.shop.payments import registry, sandbox
from cll.shop.payments import services as payment_services
from cll.shop.selectors import QUOTE_FORMATS

DOMAIN = "@demo.cll.be"
PERSONAS = ("alice", "lucas", "sofia", "gina", "bob", "admin")
# The language each buyer orders in (their e-mails and invoices are written in it).
LANGUAGES = {"alice": "fr", "lucas": "nl", "sofia": "en", "gina": "fr"}
# The session made full holds this many learners: alice, lucas and sofia.
FULL_CAPACITY = 3
# Shown on the credit note of the refunded order, in the order's language (lucas: Dutch).
REFUND_REASON = "Annulering op verzoek van de cursist, vóór de start van de sessie."
# The session created for bob when the catalogue has no started session at all.
STARTED_SLUG = "demo-shop-english-b1-started"
STARTED_DAYS_AGO = 15

# Rows the command reports (created by this run).
COUNTED = (
    Order,
    OrderLine,
    Enrolment,
    Payment,
    ProviderEvent,
    Refund,
    Invoice,
    WaitlistEntry,
    Attendance,
    QuoteRequest,
    FraudReport,
)


class DemoMissing(Exception):
    """The demo catalogue or personas are not there: run load_demo and load_demo_accounts."""


@dataclass
class Report:
    """What a run did: notes for the developer (steps skipped and why)."""

    notes: list[str] = field(default_factory=list)


def row_counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in COUNTED}


# -- People and sessions -----------------------------------------------------------------------


def demo_people() -> dict[str, User]:
    """The personas by first name, and gina's child as "lea"; ``DemoMissing`` without them."""
    if not Session.objects.filter(slug__startswith="demo-").exists():
        raise DemoMissing("No demo session: run `manage.py load_demo` first.")
    users = {
        user.email.removesuffix(DOMAIN): user
        for user in User.objects.filter(email__in=[f"{name}{DOMAIN}" for name in PERSONAS])
    }
    missing = sorted(set(PERSONAS) - set(users))
    child = children_of(users["gina"]).first() if "gina" in users else None
    if missing or child is None:
        raise DemoMissing(
            "Demo accounts missing (" + (", ".join(missing) or "gina's child") + "): run "
            "`manage.py load_demo_accounts` first."
        )
    return {**users, "lea": child}


def _sellable(today: dt.date) -> QuerySet[Session]:
    """Demo sessions sold on-line and not ended."""
    return (
        Session.objects.published()
        .filter(slug__startswith="demo-", ends_on__gte=today)
        .exclude(format__in=QUOTE_FORMATS)
        .order_by("starts_on", "slug")
    )


def _ordered_by(sessions: QuerySet[Session], *learners: User) -> QuerySet[Session]:
    """The sessions where each of ``learners`` has an order line (this demo's earlier runs)."""
    for learner in learners:
        sessions = sessions.filter(
            pk__in=OrderLine.objects.filter(learner=learner).values("session")
        )
    return sessions


def _first(*querysets: QuerySet[Session]) -> Session | None:
    for queryset in querysets:
        session = queryset.first()
        if session is not None:
            return session
    return None


def _started_session_for(bob: User, alice: User, today: dt.date) -> Session:
    """A started session bob teaches with lessons before today: the one of an earlier run, one
    of his, else a started one given to him, else a new one that started two weeks ago."""
    started = _sellable(today).filter(starts_on__lt=today)
    session = _first(
        _ordered_by(started.filter(teacher=bob), alice),
        started.filter(teacher=bob),
        started.filter(teacher__isnull=True),
        started,
    )
    if session is None:
        session = Session.objects.filter(slug=STARTED_SLUG).first() or _started_session_create(
            today
        )
    if session.teacher_id != bob.pk:
        # As load_demo_accounts gives teachers their sessions: the roster bob sees.
        Session.objects.filter(pk=session.pk).update(teacher=bob)
        session.teacher = bob
    return session


def _started_session_create(today: dt.date) -> Session:
    """An evening session in English that started ``STARTED_DAYS_AGO`` days ago: its first
    lessons are in the past (the catalogue had no started session, e.g. few sessions)."""
    return course_services.session_create(
        slug=STARTED_SLUG,
        language=Language.objects.get_or_create(
            code="en", defaults={"name_fr": "Anglais", "name_en": "English", "name_nl": "Engels"}
        )[0],
        level="B1",
        format=Format.GROUP,
        site=Site.objects.filter(is_online=False).order_by("position").first()
        or Site.objects.order_by("position").first(),
        titles={
            "fr": "Anglais B1 – cours du soir",
            "en": "English B1 – evening course",
            "nl": "Engels B1 – avondcursus",
        },
        first_day=today - dt.timedelta(days=STARTED_DAYS_AGO),
        hours=30,
        schedule=course_services.WeeklySchedule((1, 3), dt.time(18, 30), dt.time(20, 30)),
        price_cents=39000,
        capacity=12,
        is_published=True,
    )


@dataclass(frozen=True)
class DemoSessions:
    started: Session  # bob's, with alice, lucas and sofia: his roster and attendance
    full: Session  # not started, made full by three enrolments, two people waiting
    extra: Session  # alice's third session; sofia's order of it is cancelled unpaid
    refunded: Session  # lucas's refunded order
    child: Session  # gina's child, enrolled by gina


def demo_sessions(people: dict[str, User], today: dt.date) -> DemoSessions:
    """The sessions of the demo's orders: those of an earlier run when there are, else the
    earliest suitable ones of the catalogue."""
    alice, lucas, sofia, lea = (people[name] for name in ("alice", "lucas", "sofia", "lea"))
    started = _started_session_for(people["bob"], alice, today)
    # Not started for a week at least: its waiting list stays open a while.
    upcoming = _sellable(today).filter(starts_on__gte=today + dt.timedelta(days=7))
    # Adults' sessions for the adult learners; holiday courses are for gina's child.
    adults = upcoming.exclude(format=Format.HOLIDAY)
    chosen: list[Session] = [started]

    def pick(*querysets: QuerySet[Session]) -> Session:
        session = _first(*(q.exclude(pk__in=[s.pk for s in chosen]) for q in querysets))
        if session is None:
            raise DemoMissing(
                "Not enough demo sessions to sell: run `manage.py load_demo` (40 sessions)."
            )
        chosen.append(session)
        return session

    full = pick(_ordered_by(_sellable(today), lucas, sofia), adults)
    extra = pick(_ordered_by(_sellable(today), alice), adults)
    refunded = pick(_ordered_by(_sellable(today), lucas), adults)
    child = pick(
        _ordered_by(_sellable(today), lea),
        upcoming.filter(format=Format.HOLIDAY, slug__contains="-children-"),
        upcoming.filter(format=Format.HOLIDAY),
        upcoming,
    )
    return DemoSessions(started, full, extra, refunded, child)


# -- Orders and payments -----------------------------------------------------------------------


def _billing(user: User) -> tuple[str, str]:
    """The name and address on the invoice, from the buyer's profile."""
    profile = profile_get_for(user=user)
    if profile is None:
        return user.email, ""
    name = f"{profile.first_name} {profile.last_name}".strip() or user.email
    town = f"{profile.postcode} {profile.city}".strip()
    return name, "\n".join(part for part in (profile.street, town) if part)


def _existing_order(buyer: User, seats: set[tuple[int, int]]) -> Order | None:
    """The buyer's order for exactly these (session, learner) seats, made by an earlier run."""
    orders = Order.objects.filter(buyer=buyer).annotate(n=Count("lines")).filter(n=len(seats))
    for order in orders.prefetch_related("lines"):
        if {(line.session_id, line.learner_id) for line in order.lines.all()} == seats:
            return order
    return None


def _sandbox_settle(order: Order, outcome: str) -> Payment:
    """Pay (or cancel) ``order`` at the sandbox provider as a buyer on its page would: the
    payment is opened as ``payment_start`` opens it (there is no browser to send anywhere),
    then the sandbox's signed webhook for the button ``outcome`` is received like any other."""
    provider = registry.provider_get(sandbox.NAME)
    payment = Payment.objects.create(
        order=order, provider=provider.name, amount_cents=order.total_cents
    )
    started = provider.payment_create(payment=payment, order=order, return_url="", webhook_url="")
    Payment.objects.filter(pk=payment.pk).update(provider_ref=started.provider_ref)
    payment.provider_ref = started.provider_ref
    body, headers = sandbox.webhook_build(payment=payment, outcome=outcome)
    payment_services.webhook_receive(provider_name=provider.name, body=body, headers=headers)
    payment.refresh_from_db()
    return payment


@contextlib.contextmanager
def quiet_payments_log(*, quiet: bool):
    """The sandbox's webhooks log one line each: news on a live site, noise in run.sh's banner.
    Quietened to warnings while a demo loads (shown with -v 2)."""
    payments_log = logging.getLogger("cll.shop.payments")
    level = payments_log.level
    if quiet:
        payments_log.setLevel(logging.WARNING)
    try:
        yield
    finally:
        payments_log.setLevel(level)


def demo_order(
    *,
    buyer: User,
    seats: Iterable[tuple[Session, User]],
    outcome: str,
    report: Report,
    on_paid: Callable[[Payment], None] | None = None,
) -> Order | None:
    """Place an order of ``seats`` for ``buyer`` and settle it at the sandbox with the button
    ``outcome`` (pay or cancel); an order an earlier run placed is completed, not repeated."""
    seats = list(seats)
    wanted = {(session.pk, learner.pk) for session, learner in seats}
    order = _existing_order(buyer, wanted)
    if order is None:
        name, address = _billing(buyer)
        try:
            order = services.order_place(
                buyer=buyer,
                lines=[services.LineRequest(session=s, learner=learner) for s, learner in seats],
                language=LANGUAGES[buyer.email.removesuffix(DOMAIN)],
                terms_version=policy_version_current("terms"),
                early_start_requested=True,
                billing_name=name,
                billing_address=address,
            )
        except services.OrderRefused as refusal:
            report.notes.append(f"order of {buyer.email} not placed: {refusal.message}")
            return None
    if order.status == OrderStatus.PENDING and order.hold_until > timezone.now():
        _sandbox_settle(order, outcome)
        order.refresh_from_db()
    if order.status == OrderStatus.PAID and on_paid is not None:
        payment = order.payments.filter(status=PaymentStatus.PAID).first()
        if payment is not None:
            on_paid(payment)
            order.refresh_from_db()
    return order


def demo_orders_load(
    people: dict[str, User], sessions: DemoSessions, report: Report
) -> list[Order]:
    """The orders of the demo: paid ones for alice, lucas, sofia and gina's child, lucas's
    refunded one, sofia's cancelled one."""
    alice, lucas, sofia, gina, lea = (
        people[name] for name in ("alice", "lucas", "sofia", "gina", "lea")
    )
    s = sessions

    def refund(payment: Payment) -> None:
        # Nothing left (a refund still awaiting the provider's answer): the reconciliation's.
        available = payment_services.refund_available_cents(payment=payment)
        if available > 0:
            payment_services.refund_create(
                payment=payment,
                amount_cents=available,
                reason=REFUND_REASON,
                requested_by=people["admin"],
            )

    plan = [
        (alice, [(s.started, alice), (s.full, alice), (s.extra, alice)], sandbox.PAY, None),
        (lucas, [(s.started, lucas), (s.full, lucas)], sandbox.PAY, None),
        (sofia, [(s.started, sofia), (s.full, sofia)], sandbox.PAY, None),
        (gina, [(s.child, lea)], sandbox.PAY, None),
        (lucas, [(s.refunded, lucas)], sandbox.PAY, refund),
        (sofia, [(s.extra, sofia)], sandbox.CANCEL, None),
    ]
    orders = []
    for buyer, seats, outcome, on_paid in plan:
        order = demo_order(
            buyer=buyer, seats=seats, outcome=outcome, report=report, on_paid=on_paid
        )
        if order is not None:
            orders.append(order)
    return orders


# -- The full session and its waiting list -----------------------------------------------------


def demo_full_session_load(people: dict[str, User], session: Session, report: Report) -> None:
    """Make ``session`` full with its demo enrolments and put gina and her child on its
    waiting list (gina asks for both)."""
    enrolled = Enrolment.objects.filter(session=session, status=EnrolmentStatus.ACTIVE).count()
    if enrolled and session.capacity != enrolled and enrolled <= FULL_CAPACITY:
        # A small group: the demo school has three adult learners to fill it with.
        Session.objects.filter(pk=session.pk).update(capacity=enrolled)
        session.capacity = enrolled
        pagecache.content_changed()
    gina = people["gina"]
    for learner in (gina, people["lea"]):
        if WaitlistEntry.objects.filter(
            session=session, learner=learner, status__in=waitlist.LIVE_STATUSES
        ).exists():
            continue
        try:
            waitlist.waitlist_join(
                session=session, learner=learner, requested_by=gina, language="fr"
            )
        except waitlist.WaitlistRefused as refusal:
            report.notes.append(f"{learner.email} not put on the waiting list: {refusal.message}")


# -- Attendance ---------------------------------------------------------------------------------


def demo_attendance_load(bob: User, session: Session) -> int:
    """bob marks the lessons of ``session`` before today that nobody marked yet: everyone
    present but one learner now and then. Returns the lessons marked."""
    today = timezone.localdate()
    enrolments = list(
        Enrolment.objects.filter(session=session, status=EnrolmentStatus.ACTIVE).order_by("id")
    )
    if not enrolments:
        return 0
    lessons = (
        # Lessons nobody marked yet: marking again would rewrite the sheet and its audit.
        session.courses.filter(date__lt=today, attendance__isnull=True).order_by(
            "date", "starts_at"
        )
    )
    marked = 0
    for index, course in enumerate(lessons):
        absent = enrolments[index % len(enrolments)] if index % 2 else None
        attendance.attendance_mark(
            teacher=bob,
            course=course,
            present=[e.public_id for e in enrolments if e is not absent],
        )
        marked += 1
    return marked


# -- Billing cases ------------------------------------------------------------------------------


def demo_cases_load(people: dict[str, User], today: dt.date) -> None:
    """lucas asks a quote for French lessons at his employer's; sofia reports a debit she did
    not make. Each through the public form's service, once per account."""
    lucas, sofia = people["lucas"], people["sofia"]
    if not QuoteRequest.objects.filter(account=lucas).exists():
        company = (
            Session.objects.published()
            .filter(slug__startswith="demo-", format=Format.COMPANY, ends_on__gte=today)
            .order_by("starts_on", "slug")
            .first()
        )
        cases.quote_request_submit(
            kind=QuoteKind.COMPANY,
            name="Lucas Janssens",
            email=lucas.email,
            phone="+32 16 12 34 56",
            organisation="Janssens & Partners bv",
            message=(
                "Wij zijn met zes collega's die Frans willen leren voor onze klanten in Brussel. "
                "Kunt u ons een offerte sturen voor lessen bij ons op kantoor, twee keer per week "
                "over de middag?"
            ),
            language=LANGUAGES["lucas"],
            session=company,
            user=lucas,
        )
    if not FraudReport.objects.filter(account=sofia).exists():
        cases.fraud_report_submit(
            name="Sofía García",
            email=sofia.email,
            debit_date=today - dt.timedelta(days=4),
            amount_cents=26000,
            statement_text="CLL CENTRES DE LANGUES LLN 260,00 EUR – card ending 4242",
            details=(
                "I did not order anything for this amount: my only order with you was paid "
                "earlier and had a different total."
            ),
            language=LANGUAGES["sofia"],
            user=sofia,
        )


# -- All of it ----------------------------------------------------------------------------------


def demo_shop_load() -> Report:
    """Load the demo shop (see the module's docstring); ``DemoMissing`` without the demo
    catalogue and accounts. Must run outside any transaction: payments and refunds talk to
    the (sandbox) provider, as in the shop."""
    report = Report()
    people = demo_people()
    today = timezone.localdate()
    sessions = demo_sessions(people, today)
    demo_orders_load(people, sessions, report)
    demo_full_session_load(people, sessions.full, report)
    demo_attendance_load(people["bob"], sessions.started)
    demo_cases_load(people, today)
    return report
