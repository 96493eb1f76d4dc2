"""Reads of the shop by staff: orders and invoices (Billing), rosters (Teacher), enrolments
(Customer service). Role-filtered and audited here, so no view can read without both.

Who reads what (the shop's and the accounts' data maps, ``cll/shop/privacy.py``):

- Billing and the Administrator (``BILLING_ROLES``): orders, their lines, payments, refunds,
  invoices and credit notes, the name and address on the invoice, and the accountant's export;
- a Teacher (``TEACHER_ROLES``): only the sessions they teach (``Session.teacher``); another
  teacher's session is not found (the view answers 404). Of the learners enrolled, their names
  and CEFR level only (``ROSTER_FIELDS``, intersected with what the accounts' data map lets the
  role read), and the attendance they mark; never an e-mail address, an address, an order or a
  payment;
- Customer service and the Administrator (``ENROLMENT_ROLES``): who is enrolled in which
  session (name, status, date), never an amount, a payment or an invoice.

Every read of a person's data writes one audit entry per person shown (``shop.*.read``) naming
the fields shown, never their values, in the read's transaction. Templates of the teacher and
customer-service pages receive ``LearnerRow`` objects, never accounts: a template cannot reach
a field the role may not read.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.core.paginator import Page, Paginator
from django.db import transaction
from django.db.models import (
    BooleanField,
    Count,
    ExpressionWrapper,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
)
from django.utils import timezone

from cll.accounts.models import LearnerProfile, User
from cll.accounts.staff_selectors import readable_fields_for
from cll.core.roles import Role, acting_role
from cll.courses.models import Course, Session
from cll.privacy.services import audit_record
from cll.shop import cases
from cll.shop.models import (
    Attendance,
    CaseStatus,
    DocumentKind,
    Enrolment,
    EnrolmentStatus,
    Invoice,
    Order,
    OrderLine,
    Payment,
    PaymentStatus,
    Refund,
    RefundStatus,
)
from cll.shop.payments import services as payment_services

BILLING_ROLES = (Role.BILLING, Role.ADMINISTRATOR)
TEACHER_ROLES = (Role.TEACHER,)
ENROLMENT_ROLES = (Role.CUSTOMER_SERVICE, Role.ADMINISTRATOR)

ORDERS_PER_PAGE = 25
SESSIONS_PER_PAGE = 50

# What each page shows of a person (named in its audit entries).
ORDER_LIST_FIELDS = ("reference", "status", "created_at", "total_cents")
ORDER_DETAIL_FIELDS = (
    "reference",
    "status",
    "billing_name",
    "billing_address",
    "language",
    "subtotal_cents",
    "vat_cents",
    "total_cents",
    "vat_rate_bp",
    "terms_version",
    "terms_accepted_at",
    "withdrawal_deadline",
    "early_start_requested",
    "created_at",
    "paid_at",
    "cancelled_at",
    "lines",
    "payments",
    "refunds",
    "invoices",
)
# The CEFR levels (the profile's "unknown" means the learner has not said: shown as nothing).
_LEVELS = frozenset({"A1", "A2", "B1", "B2", "C1", "C2"})
# A learner of an order line who is not the buyer (a child): their name on the line.
ORDER_LEARNER_FIELDS = ("first_name", "last_name")
ROSTER_FIELDS = ("first_name", "last_name", "level")
ACCOUNTING_FIELDS = (
    "number",
    "kind",
    "issued_at",
    "order",
    "subtotal_cents",
    "vat_cents",
    "total_cents",
    "paid_at",
    "provider",
)
# The start of the school's online sales: nothing is older (bounds of the period fields).
EARLIEST_ORDER_DATE = dt.date(2020, 1, 1)


def _require(staff: User, roles: Iterable[str]) -> str:
    """The role ``staff`` acts in among ``roles`` (for the audit entry); refuses anyone else."""
    role = acting_role(staff, *roles)
    if not role:
        raise PermissionDenied
    return role


def _day_start(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def _period(start: dt.date | None, end: dt.date | None, field: str) -> Q:
    # Days in the school's time zone, both ends included: [start 00:00, end + 1 day 00:00).
    condition = Q()
    if start is not None:
        condition &= Q(**{f"{field}__gte": _day_start(start)})
    if end is not None:
        condition &= Q(**{f"{field}__lt": _day_start(end + dt.timedelta(days=1))})
    return condition


# -- Billing: orders ------------------------------------------------------------------------


def order_list_for(
    *,
    staff: User,
    status: str = "",
    start: dt.date | None = None,
    end: dt.date | None = None,
    reference: str = "",
    page: str | int | None = 1,
    route: str = "",
) -> Page:
    """One page of orders, the newest first, filtered by status, by the day they were placed
    (``start``..``end``, both included) and by a part of their reference. Each order shown is
    audited (``shop.order.list``): its reference, status, date and total are about its buyer."""
    role = _require(staff, BILLING_ROLES)
    orders = Order.objects.select_related("buyer").only(
        "public_id", "reference", "status", "created_at", "total_cents", "buyer__public_id"
    )
    if status:
        orders = orders.filter(status=status)
    orders = orders.filter(_period(start, end, "created_at"))
    if reference:
        orders = orders.filter(reference__icontains=reference.strip())
    result = Paginator(orders.order_by("-created_at", "-id"), ORDERS_PER_PAGE).get_page(page)
    with transaction.atomic():
        for order in result.object_list:
            audit_record(
                actor=staff,
                role=role,
                subject=order.buyer,
                action="shop.order.list",
                target=order,
                fields=ORDER_LIST_FIELDS,
                route=route,
            )
    return result


@dataclass(frozen=True)
class PaymentRow:
    payment: Payment
    refunds: list[Refund]
    refundable_cents: int


@dataclass(frozen=True)
class OrderDetail:
    """An order as Billing sees it: the row, the name of each line's learner, its payments
    (with what may still be refunded) and its invoices and credit notes."""

    order: Order
    lines: list[tuple[OrderLine, str]]
    payments: list[PaymentRow]
    invoices: list[Invoice]


def _full_name(user: User | None) -> str:
    profile = getattr(user, "profile", None) if user is not None else None
    if profile is None:
        return ""
    return f"{profile.first_name} {profile.last_name}".strip()


def order_get_for(*, staff: User, public_id: uuid.UUID, route: str = "") -> OrderDetail | None:
    """One order with everything Billing works on, or None (404). Audited (``shop.order.read``)
    for the buyer, and for each other learner named on its lines (a guardian's child)."""
    role = _require(staff, BILLING_ROLES)
    order = (
        Order.objects.select_related("buyer")
        .prefetch_related(
            Prefetch(
                "lines",
                queryset=OrderLine.objects.select_related(
                    "session", "learner", "learner__profile"
                ).order_by("id"),
            ),
            Prefetch(
                "payments",
                queryset=Payment.objects.prefetch_related(
                    Prefetch("refunds", queryset=Refund.objects.order_by("created_at", "id"))
                ).order_by("created_at", "id"),
            ),
            Prefetch(
                "invoices",
                queryset=Invoice.objects.select_related("credits").order_by("issued_at", "id"),
            ),
        )
        .filter(public_id=public_id)
        .first()
    )
    if order is None:
        return None
    may_read_names = set(ORDER_LEARNER_FIELDS) <= set(readable_fields_for(staff, LearnerProfile))
    lines = [
        (line, _full_name(line.learner) if may_read_names else "") for line in order.lines.all()
    ]
    payments = []
    for payment in order.payments.all():
        available = payment_services.refund_available_cents(payment=payment)
        payments.append(PaymentRow(payment, list(payment.refunds.all()), available))
    others = {
        line.learner.public_id
        for line in order.lines.all()
        if line.learner is not None and line.learner_id != order.buyer_id
    }
    with transaction.atomic():
        audit_record(
            actor=staff,
            role=role,
            subject=order.buyer,
            action="shop.order.read",
            target=order,
            fields=ORDER_DETAIL_FIELDS,
            route=route,
        )
        for learner in sorted(others):
            audit_record(
                actor=staff,
                role=role,
                subject=learner,
                action="shop.order.read",
                target=order,
                fields=("learner", *(ORDER_LEARNER_FIELDS if may_read_names else ())),
                route=route,
            )
    return OrderDetail(order, lines, payments, list(order.invoices.all()))


def payment_get_for(
    *, staff: User, order_public_id: uuid.UUID, public_id: uuid.UUID
) -> Payment | None:
    """A payment of an order, for a refund, or None (404). Not a read of anyone's data by
    itself: the refund it leads to is audited by the refund service."""
    _require(staff, BILLING_ROLES)
    return (
        Payment.objects.select_related("order", "order__buyer")
        .filter(order__public_id=order_public_id, public_id=public_id)
        .first()
    )


def invoice_get_for(*, staff: User, order_public_id: uuid.UUID, number: str) -> Invoice | None:
    """An invoice or credit note of an order, for its PDF, or None (404). The download itself
    is audited by ``invoices.invoice_download`` (the document carries the buyer's name)."""
    _require(staff, BILLING_ROLES)
    return (
        Invoice.objects.select_related("order", "order__buyer", "credits", "refund")
        .filter(order__public_id=order_public_id, number=number)
        .first()
    )


# -- Billing: the accountant's export -------------------------------------------------------


@dataclass(frozen=True)
class AccountingRow:
    number: str
    kind: str
    issued_on: dt.date
    order_reference: str
    subtotal_cents: int
    vat_cents: int
    total_cents: int
    paid_on: dt.date | None
    provider: str


def accounting_rows_for(
    *, staff: User, start: dt.date, end: dt.date, route: str = ""
) -> Iterator[AccountingRow]:
    """The invoices and credit notes issued from ``start`` to ``end`` (both included, by
    date, then number), as the accountant needs them: an iterator that reads them in chunks
    (memory stays bounded whatever the period).

    "Paid" is the day the order was paid (an invoice) or the refund went through (a credit
    note); the provider is the one that took or returned the money. One audit entry
    (``shop.accounting.export``) for the whole export: it names the period and the count,
    not the people (invoices carry no name here).
    """
    role = _require(staff, BILLING_ROLES)
    paid_with = Payment.objects.filter(order=OuterRef("order"), status=PaymentStatus.PAID)
    documents = (
        Invoice.objects.filter(_period(start, end, "issued_at"))
        .select_related("order", "refund", "refund__payment")
        .annotate(
            paid_provider=Subquery(paid_with.order_by("paid_at", "id").values("provider")[:1])
        )
        .order_by("issued_at", "kind", "year", "sequence")
    )
    count = documents.count()
    with transaction.atomic():
        audit_record(
            actor=staff,
            role=role,
            action="shop.accounting.export",
            target="shop.Invoice",
            fields=ACCOUNTING_FIELDS,
            route=route,
            detail={"start": start.isoformat(), "end": end.isoformat(), "count": count},
        )

    def rows() -> Iterator[AccountingRow]:
        for invoice in documents.iterator(chunk_size=500):
            if invoice.kind == DocumentKind.CREDIT_NOTE and invoice.refund is not None:
                refund = invoice.refund
                done = refund.status == RefundStatus.REFUNDED
                paid_at = refund.updated_at if done else None
                provider = refund.payment.provider
            else:
                paid_at = invoice.order.paid_at
                provider = invoice.paid_provider or ""
            yield AccountingRow(
                number=invoice.number,
                kind=invoice.kind,
                issued_on=timezone.localdate(invoice.issued_at),
                order_reference=invoice.order.reference,
                subtotal_cents=invoice.subtotal_cents,
                vat_cents=invoice.vat_cents,
                total_cents=invoice.total_cents,
                paid_on=timezone.localdate(paid_at) if paid_at else None,
                provider=provider,
            )

    return rows()


# -- Billing: quote requests and fraud reports --------------------------------------------------

CASES_PER_PAGE = 50
# What the lists show of a case (its kind and session are no one's data; its dates are).
CASE_LIST_FIELDS = {
    "quote": ("kind", "session", "created_at", "status"),
    "fraud": ("created_at", "status"),
}
_CASE_LISTS = {"quote": cases.quote_request_list_for, "fraud": cases.fraud_report_list_for}


def case_page_for(
    *, staff: User, kind: str, closed: bool, page: str | int | None = 1, route: str = ""
) -> Page:
    """One page of the open (or closed) quote requests (``kind`` "quote") or fraud reports
    ("fraud"), the latest first, from ``cases``' selectors. Each case shown is audited
    (``shop.<kind>.list``): when it came is about the person who sent it. Opening one is
    audited by ``cases`` itself."""
    role = _require(staff, BILLING_ROLES)
    status = CaseStatus.CLOSED if closed else CaseStatus.OPEN
    rows = _CASE_LISTS[kind](user=staff, status=status)
    result = Paginator(rows, CASES_PER_PAGE).get_page(page)
    with transaction.atomic():
        for case in result.object_list:
            audit_record(
                actor=staff,
                role=role,
                subject=case.public_id,
                action=f"shop.{kind}.list",
                target=case,
                fields=CASE_LIST_FIELDS[kind],
                route=route,
            )
    return result


# -- Teacher: classes, rosters, attendance ---------------------------------------------------


@dataclass(frozen=True)
class LearnerRow:
    """One learner as a teacher or customer service sees them: what the page shows, no more.
    ``key`` is the enrolment's public id (form values, never the account's)."""

    key: uuid.UUID
    first_name: str
    last_name: str
    level: str = ""
    status: str = ""
    enrolled_at: dt.datetime | None = None
    present: bool | None = None

    @property
    def name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()


def _active_enrolments(session: Session) -> QuerySet[Enrolment]:
    return (
        Enrolment.objects.filter(session=session, status=EnrolmentStatus.ACTIVE)
        .select_related("learner", "learner__profile")
        .order_by("id")
    )


def _sorted_rows(rows: list[LearnerRow]) -> list[LearnerRow]:
    return sorted(rows, key=lambda row: (row.last_name.casefold(), row.first_name.casefold()))


def _audit_people(
    *,
    staff: User,
    role: str,
    enrolments: Iterable[Enrolment],
    action: str,
    fields: Iterable[str],
    route: str,
    detail: dict | None = None,
) -> None:
    fields = tuple(fields)
    with transaction.atomic():
        for enrolment in enrolments:
            audit_record(
                actor=staff,
                role=role,
                subject=enrolment.learner,
                action=action,
                target=enrolment,
                fields=fields,
                route=route,
                detail=detail,
            )


def _ended(today: dt.date) -> ExpressionWrapper:
    return ExpressionWrapper(Q(ends_on__lt=today), output_field=BooleanField())


def taught_session_list_for(*, staff: User) -> QuerySet[Session]:
    """The sessions ``staff`` teaches, the current and next ones first, with how many
    learners are enrolled (a count: no one's data)."""
    _require(staff, TEACHER_ROLES)
    today = timezone.localdate()
    return (
        Session.objects.filter(teacher=staff)
        .select_related("language", "site")
        .annotate(
            enrolled=Count("enrolments", filter=Q(enrolments__status=EnrolmentStatus.ACTIVE)),
            ended=_ended(today),
        )
        # Ended sessions last; among the others, the earliest first.
        .order_by("ended", "starts_on", "id")
    )


def taught_session_get_for(*, staff: User, slug: str) -> Session | None:
    """A session ``staff`` teaches, or None (404): another teacher's session does not exist
    for them."""
    _require(staff, TEACHER_ROLES)
    sessions = Session.objects.select_related("language", "site")
    return sessions.filter(teacher=staff, slug=slug).first()


def _roster_fields(staff: User) -> tuple[str, ...]:
    readable = set(readable_fields_for(staff, LearnerProfile))
    return tuple(name for name in ROSTER_FIELDS if name in readable)


def _learner_row(enrolment: Enrolment, fields: tuple[str, ...], **extra) -> LearnerRow:
    profile = getattr(enrolment.learner, "profile", None)

    def value(name: str) -> str:
        if profile is None or name not in fields:
            return ""
        if name == "level":
            return profile.level if profile.level in _LEVELS else ""
        return getattr(profile, name)

    return LearnerRow(
        key=enrolment.public_id,
        first_name=value("first_name"),
        last_name=value("last_name"),
        level=value("level"),
        **extra,
    )


def roster_for(*, staff: User, session: Session, route: str = "") -> list[LearnerRow]:
    """The learners enrolled in a session ``staff`` teaches: names and CEFR level only, by
    last name. Each learner shown is audited (``shop.roster.read``)."""
    role = _require(staff, TEACHER_ROLES)
    if session.teacher_id != staff.pk:
        raise PermissionDenied
    fields = _roster_fields(staff)
    enrolments = list(_active_enrolments(session))
    _audit_people(
        staff=staff,
        role=role,
        enrolments=enrolments,
        action="shop.roster.read",
        fields=fields,
        route=route,
    )
    return _sorted_rows([_learner_row(enrolment, fields) for enrolment in enrolments])


def lesson_key(course: Course) -> str:
    """How a lesson is named in a URL: its date and start time ("20260228-0900"), unique in
    its session (``courses_course_unique_slot``) and no database key."""
    return f"{course.date:%Y%m%d}-{course.starts_at:%H%M}"


def lesson_get_for(*, staff: User, session: Session, key: str) -> Course | None:
    """A lesson of a session ``staff`` teaches, from its ``lesson_key``, or None (404)."""
    _require(staff, TEACHER_ROLES)
    if session.teacher_id != staff.pk:
        return None
    try:
        when = dt.datetime.strptime(key, "%Y%m%d-%H%M")
    except ValueError:
        return None
    return Course.objects.filter(session=session, date=when.date(), starts_at=when.time()).first()


def lesson_list_for(*, staff: User, session: Session) -> list[tuple[Course, str, int]]:
    """The lessons of a session ``staff`` teaches, each with its ``lesson_key`` and how many
    learners were marked (present or absent) for it."""
    _require(staff, TEACHER_ROLES)
    if session.teacher_id != staff.pk:
        raise PermissionDenied
    courses = session.courses.annotate(marked=Count("attendance")).order_by("date", "starts_at")
    return [(course, lesson_key(course), course.marked) for course in courses]


def attendance_sheet_for(*, staff: User, course: Course, route: str = "") -> list[LearnerRow]:
    """The learners enrolled in the lesson's session with what was marked for them (``present``
    None when not yet marked). Each learner shown is audited (``shop.attendance.read``)."""
    role = _require(staff, TEACHER_ROLES)
    if course.session.teacher_id != staff.pk:
        raise PermissionDenied
    fields = _roster_fields(staff)
    enrolments = list(_active_enrolments(course.session))
    marked = dict(
        Attendance.objects.filter(course=course, enrolment__in=enrolments).values_list(
            "enrolment_id", "present"
        )
    )
    _audit_people(
        staff=staff,
        role=role,
        enrolments=enrolments,
        action="shop.attendance.read",
        fields=(*fields, "present"),
        route=route,
        detail={"lesson": lesson_key(course)},
    )
    return _sorted_rows(
        [
            _learner_row(enrolment, fields, present=marked.get(enrolment.pk))
            for enrolment in enrolments
        ]
    )


# -- Customer service: enrolments -------------------------------------------------------------


def enrolment_session_list_for(*, staff: User, page: str | int | None = 1) -> Page:
    """Sessions not ended, then the ended ones, with their count of active enrolments (no
    one's data): where customer service starts."""
    _require(staff, ENROLMENT_ROLES)
    today = timezone.localdate()
    sessions = (
        Session.objects.select_related("language", "site")
        .annotate(
            enrolled=Count("enrolments", filter=Q(enrolments__status=EnrolmentStatus.ACTIVE)),
            ended=_ended(today),
        )
        .order_by("ended", "starts_on", "id")
    )
    return Paginator(sessions, SESSIONS_PER_PAGE).get_page(page)


def enrolment_session_get_for(*, staff: User, slug: str) -> Session | None:
    _require(staff, ENROLMENT_ROLES)
    return Session.objects.select_related("language", "site").filter(slug=slug).first()


def enrolment_list_for(*, staff: User, session: Session, route: str = "") -> list[LearnerRow]:
    """Everyone who enrolled in ``session`` (active, cancelled or withdrawn): name, status and
    date, by last name. Nothing of the order behind it. Each person shown is audited
    (``shop.enrolment.read``)."""
    role = _require(staff, ENROLMENT_ROLES)
    readable = set(readable_fields_for(staff, LearnerProfile))
    fields = tuple(name for name in ("first_name", "last_name") if name in readable)
    enrolments = list(
        Enrolment.objects.filter(session=session)
        .select_related("learner", "learner__profile")
        .order_by("created_at", "id")
    )
    _audit_people(
        staff=staff,
        role=role,
        enrolments=enrolments,
        action="shop.enrolment.read",
        fields=(*fields, "status", "created_at"),
        route=route,
    )
    return _sorted_rows(
        [
            _learner_row(
                enrolment,
                fields,
                status=enrolment.get_status_display(),
                enrolled_at=enrolment.created_at,
            )
            for enrolment in enrolments
        ]
    )


def learners_of_teacher(teacher: User) -> QuerySet[User]:
    """The accounts holding an active seat in a session ``teacher`` teaches: what the accounts
    app's learner pages show a teacher (installed by the shop at start-up, since accounts
    cannot import the shop). A subquery, not a join: the caller filters, orders and pages the
    accounts freely, each listed once."""
    seats = Enrolment.objects.filter(
        session__teacher=teacher, status=EnrolmentStatus.ACTIVE
    ).values("learner")
    return User.objects.filter(pk__in=Subquery(seats))
