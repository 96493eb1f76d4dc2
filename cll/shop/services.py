"""Writes of the shop: the cart's order, its payment outcome, cancellations and withdrawals.

Contracts used by the other parts of the shop (payments/, invoices.py, waitlist.py, staff):

- ``order_place(*, buyer, lines, language, terms_version, early_start_requested, billing_name,
  billing_address="") -> Order``: one transaction; locks the sessions' rows, refuses a session
  without a free seat (``SeatsUnavailable``), holds the seats until ``hold_until``; prices
  from the database.
- ``order_mark_paid(*, order, paid_at) -> bool``: idempotent (False when already paid);
  enrolments, invoice (``invoices.invoice_issue``), confirmation e-mail, audit — one
  transaction. A payment confirmed after the order was cancelled (or after its hold ran out)
  still enrols when seats are free; otherwise it returns False and the order is (or stays)
  CANCELLED: the caller sees the order is not paid and refunds the payment
  (``payments.services``).
- ``order_mark_unpaid(*, order, reason) -> bool``: a failed, cancelled or expired payment;
  idempotent; releases the seats (and lets ``waitlist.waitlist_offer_next`` offer them).
- ``order_refunded(*, order, refund) -> None``: after a refund of the whole order succeeded:
  enrolments cancelled, credit note issued (``invoices.credit_note_issue``).

Also here: ``order_cancel`` (the buyer gives up an unpaid order), ``order_withdraw`` (the
consumer's 14-day withdrawal right), ``enrolment_cancel`` and ``order_holds_release`` (the
periodic release of expired holds).

The last seat. ``order_place`` and ``order_mark_paid`` lock the rows of the sessions they
touch (``SELECT ... FOR UPDATE``, in id order so that two orders for the same sessions never
wait for each other in a cycle), then count the seats in new statements: on PostgreSQL in READ
COMMITTED each statement sees what the previous lock holder committed, so two buyers of the
last seat are served one after the other and the second finds none. SQLite has no row locks:
its transactions start with ``BEGIN IMMEDIATE`` (settings), which takes the database's write
lock first, so checkouts run one at a time there; the same code is correct on both.

Seats that change are shown on the session page, which anonymous visitors get from the page
cache: once a change has committed, cached public pages are retired
(``pagecache.content_changed``), outside the locking transaction so that the hot version row
is never held while seats are locked.
"""

from __future__ import annotations

import datetime as dt
import logging
import secrets
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from cll.accounts.models import User
from cll.core import pagecache
from cll.core.outbox import email_queue_template
from cll.courses.models import Course, Session
from cll.policies.selectors import policy_version_current
from cll.privacy.services import audit_record
from cll.shop import invoices, selectors, waitlist
from cll.shop.models import (
    Enrolment,
    EnrolmentStatus,
    Order,
    OrderLine,
    OrderStatus,
    Refund,
    WaitlistEntry,
    WaitlistStatus,
)
from cll.shop.payments import services as payment_services

logger = logging.getLogger(__name__)

# Lower-case letters and digits without look-alikes, as the catalogue's slugs: read aloud easily.
_REFERENCE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
# Seats for one order: a family's enrolments, never a stock.
MAX_ORDER_LINES = 10
# A payment confirmed this close to the end of its order's hold recounts the seats under the
# sessions' locks, as one confirmed after it.
HOLD_MARGIN = dt.timedelta(minutes=2)


class OrderRefused(Exception):
    """The order cannot be placed or changed as asked; ``message`` says why, for the buyer."""

    def __init__(self, message) -> None:
        super().__init__(str(message))
        self.message = message


class SeatsUnavailable(OrderRefused):
    """A session has no free seat left for the lines asking for one (``sessions``)."""

    def __init__(self, sessions: Sequence[Session]) -> None:
        titles = ", ".join(str(session.title) for session in sessions)
        super().__init__(_("No place is left in: %(sessions)s.") % {"sessions": titles})
        self.sessions = list(sessions)


@dataclass(frozen=True)
class LineRequest:
    """One seat asked for at checkout: a session and who attends it."""

    session: Session
    learner: User


# -- Helpers ----------------------------------------------------------------------------------


def _reference() -> str:
    """A short random reference ("K7M2-9XQ4"): 31^8, about 8.5e11 values, unique in the table."""
    while True:
        code = "".join(secrets.choice(_REFERENCE_ALPHABET) for _ in range(8))
        reference = f"{code[:4]}-{code[4:]}"
        if not Order.objects.filter(reference=reference).exists():
            return reference


def vat_split(total_cents: int, rate_bp: int) -> tuple[int, int]:
    """(amount before VAT, VAT) of a price that includes VAT at ``rate_bp`` basis points,
    rounded half up to the cent; (total, 0) when exempt."""
    if rate_bp <= 0:
        return total_cents, 0
    subtotal = (total_cents * 10000 * 2 + (10000 + rate_bp)) // ((10000 + rate_bp) * 2)
    return subtotal, total_cents - subtotal


def _lock_sessions(session_ids) -> dict[int, Session]:
    """Lock the sessions' rows in id order (no deadlock between two orders) and return them."""
    sessions = (
        # Only the sessions' rows: locking their language's row too would queue every
        # checkout of one language behind the others.
        Session.objects.select_for_update(of=("self",))
        .select_related("language")
        .filter(pk__in=sorted(set(session_ids)))
        .order_by("pk")
    )
    return {session.pk: session for session in sessions}


def _seats_changed(session_ids, *, offer: bool) -> None:
    """After the commit: retire the cached pages that show these sessions' seats and, when
    seats were freed, offer them to the waiting lists. Each step is its own transaction."""
    try:
        pagecache.content_changed()
    except Exception:  # the next change or the page's TTL will do it; the sale stands
        logger.exception("page cache: could not retire pages after a change of seats")
    if not offer:
        return
    for session in Session.objects.filter(pk__in=sorted(set(session_ids))).order_by("pk"):
        try:
            waitlist.waitlist_offer_next(session=session)
        except Exception:  # the waiting list's periodic task offers it again later
            logger.exception("waiting list: could not offer the seats of session %s", session.pk)


def _after_commit_seats_changed(session_ids, *, offer: bool) -> None:
    transaction.on_commit(
        partial(_seats_changed, sorted(set(session_ids)), offer=offer), robust=True
    )


def _line_description(session: Session, language: str) -> str:
    # Day, month name, year: read the same way everywhere (a short date is 12/15 in English).
    with translation.override(language):
        return (
            f"{session.title} · {session.level} · "
            f"{date_format(session.starts_on, 'j N Y')} - "
            f"{date_format(session.ends_on, 'j N Y')}"
        )[:300]


# -- Placing an order -------------------------------------------------------------------------


def order_place(
    *,
    buyer: User,
    lines: Sequence[LineRequest],
    language: str,
    terms_version: str,
    early_start_requested: bool,
    billing_name: str,
    billing_address: str = "",
    now: dt.datetime | None = None,
    route: str = "",
) -> Order:
    """Place an order of ``lines`` for ``buyer`` and hold its seats.

    Rules (each refusal raises ``OrderRefused`` with a message for the buyer, and saves
    nothing):

    - between 1 and ``MAX_ORDER_LINES`` lines, one per session and learner; each learner is the
      buyer or a child the buyer is the active guardian of;
    - every session is published, not ended (a started one can be joined until its last day)
      and sold on-line (not by quote);
    - ``terms_version`` is the general terms in force now (they may change during a checkout);
    - no learner already holds a seat in the session (enrolled, or in another unpaid order);
    - under the sessions' row locks, each session has a free seat per line
      (``SeatsUnavailable`` otherwise);
    - prices are the sessions' prices now (VAT included; ``settings.SHOP_VAT_RATE_BP`` splits
      it, 0 being the exemption); the order is PENDING and holds its seats for
      ``settings.SHOP_SEAT_HOLD_MINUTES``; the withdrawal period ends 14 days after the order
      (Art. VI.47); ``early_start_requested`` is kept only when a session starts within it.
    """
    now = now or timezone.now()
    today = timezone.localdate(now)
    if not lines:
        raise OrderRefused(_("Your cart is empty."))
    if len(lines) > MAX_ORDER_LINES:
        raise OrderRefused(
            _("An order holds at most %(count)d places.") % {"count": MAX_ORDER_LINES}
        )
    pairs = [(line.session.pk, line.learner.pk) for line in lines]
    if len(set(pairs)) != len(pairs):
        raise OrderRefused(_("A learner needs only one place per session."))
    allowed = {choice.user.pk for choice in selectors.learner_choice_list_for(user=buyer)}
    if any(line.learner.pk not in allowed for line in lines):
        raise OrderRefused(_("You can enrol yourself and the children you are responsible for."))
    billing_name = billing_name.strip()
    if not billing_name:
        raise OrderRefused(_("Please give the name to put on the invoice."))

    with transaction.atomic():
        # Fresh rows under lock: the title, price and dates used below are the ones in force.
        sessions = _lock_sessions(pair[0] for pair in pairs)
        if terms_version != policy_version_current("terms"):
            raise OrderRefused(
                _(
                    "Our general terms changed while you were ordering. Please read them and "
                    "accept them again."
                )
            )
        for session_id, _learner in pairs:
            session = sessions.get(session_id)
            refusal = (
                selectors.session_refusal(session=session, today=today)
                if session
                else _("This session is no longer offered.")
            )
            if refusal:
                raise OrderRefused(f"{session.title if session else ''} — {refusal}".strip(" —"))
        if selectors.seat_holders_among(pairs=pairs, now=now):
            raise OrderRefused(
                _(
                    "A learner in your order already has a place in one of these sessions "
                    "(enrolled, or in an order awaiting payment)."
                )
            )
        learner_ids = [line.learner.pk for line in lines]
        free = selectors.seats_left_many(
            session_ids=sessions, now=now, exclude_learners=learner_ids
        )
        wanted = Counter(session_id for session_id, _learner in pairs)
        full = [sessions[pk] for pk, count in sorted(wanted.items()) if free.get(pk, 0) < count]
        if full:
            raise SeatsUnavailable(full)

        total = sum(sessions[session_id].price_cents for session_id, _learner in pairs)
        rate = settings.SHOP_VAT_RATE_BP
        subtotal, vat = vat_split(total, rate)
        deadline = today + dt.timedelta(days=selectors.WITHDRAWAL_DAYS)
        starts_early = any(sessions[pk].starts_on <= deadline for pk in sessions)
        order = Order.objects.create(
            reference=_reference(),
            buyer=buyer,
            status=OrderStatus.PENDING,
            billing_name=billing_name[:200],
            billing_address=billing_address.strip()[:600],
            language=language,
            subtotal_cents=subtotal,
            vat_cents=vat,
            total_cents=total,
            vat_rate_bp=rate,
            terms_version=terms_version,
            terms_accepted_at=now,
            withdrawal_deadline=deadline,
            early_start_requested=bool(early_start_requested and starts_early),
            hold_until=now + dt.timedelta(minutes=settings.SHOP_SEAT_HOLD_MINUTES),
        )
        OrderLine.objects.bulk_create(
            OrderLine(
                order=order,
                session=sessions[line.session.pk],
                learner=line.learner,
                description=_line_description(sessions[line.session.pk], language),
                price_cents=sessions[line.session.pk].price_cents,
            )
            for line in lines
        )
        audit_record(
            actor=buyer,
            subject=buyer,
            action="order.place",
            target=order,
            route=route,
            detail={
                "reference": order.reference,
                "lines": len(lines),
                "terms_version": terms_version,
                "early_start_requested": order.early_start_requested,
            },
        )
        _after_commit_seats_changed(sessions, offer=False)
    return order


# -- Payment outcomes -------------------------------------------------------------------------


def _confirmation_context(order: Order) -> dict:
    """What the order e-mails show: the lines, who attends each (named as the buyer knows
    them), the totals, the withdrawal terms and a link to the order."""
    buyer = order.buyer
    labels = (
        {choice.user.pk: choice.label for choice in selectors.learner_choice_list_for(user=buyer)}
        if buyer is not None
        else {}
    )
    with translation.override(order.language):
        link = settings.SITE_URL + reverse("shop:order_detail", args=[order.public_id])
        items = [
            {
                "description": line.description,
                "price_cents": line.price_cents,
                "who": str(labels.get(line.learner_id, "")),
            }
            for line in order.lines.all()
        ]
    return {
        "order": order,
        "reference": order.reference,
        "items": items,
        "link": link,
        "terms_version": order.terms_version,
        "withdrawal_deadline": order.withdrawal_deadline,
        "early_start_requested": order.early_start_requested,
    }


def order_mark_paid(*, order: Order, paid_at: dt.datetime) -> bool:
    """The payment of ``order`` is confirmed: enrol each line's learner. Idempotent: False
    when the order was already paid (or refunded), True when this call made it paid.

    A learner already enrolled in the session is not enrolled twice. An order whose hold was
    still running has its seats; one that was cancelled or whose hold ran out gets them again
    only if they are free now (counted under the sessions' locks); if they are not, the order
    is (or stays) CANCELLED and False is returned: the caller, seeing an order that is not
    paid, refunds the payment. Never raises for that, so the caller's own record of the
    payment commits with it. Waiting-list entries of the
    enrolled learners for these sessions are marked ACCEPTED (the seat is taken). The invoice
    is issued and the confirmation e-mail queued (in the order's language) in the same
    transaction; both happen once.
    """
    now = timezone.now()
    with transaction.atomic():
        order = (
            Order.objects.select_for_update(of=("self",)).select_related("buyer").get(pk=order.pk)
        )
        if order.status in (OrderStatus.PAID, OrderStatus.REFUNDED):
            return False
        lines = list(order.lines.select_related("session", "learner"))
        session_ids = sorted({line.session_id for line in lines})
        # Seats still held for this order are its own: nothing to count, no session to lock
        # (the buyers of other seats would wait). A hold about to end is treated as ended, so
        # this transaction cannot outlive it while others count the seat as free again.
        held = order.status == OrderStatus.PENDING and order.hold_until > now + HOLD_MARGIN
        sessions = session_ids if held else _lock_sessions(session_ids)
        learner_ids = [line.learner_id for line in lines if line.learner_id]
        enrolled = set(
            Enrolment.objects.filter(
                session_id__in=sessions,
                learner_id__in=learner_ids,
                status=EnrolmentStatus.ACTIVE,
            ).values_list("session_id", "learner_id")
        )
        to_enrol = [
            line
            for line in lines
            if line.learner_id and (line.session_id, line.learner_id) not in enrolled
        ]
        if not held:
            free = selectors.seats_left_many(
                session_ids=sessions, now=now, exclude_order=order, exclude_learners=learner_ids
            )
            wanted = Counter(line.session_id for line in to_enrol)
            if any(free.get(pk, 0) < n for pk, n in wanted.items()):
                if order.status == OrderStatus.PENDING:
                    order_mark_unpaid(order=order, reason="seats-gone")
                logger.warning("Order %s was paid after its seats were gone.", order.reference)
                return False
        order.status = OrderStatus.PAID
        order.paid_at = paid_at
        order.save(update_fields=["status", "paid_at", "updated_at"])
        Enrolment.objects.bulk_create(
            Enrolment(session_id=line.session_id, learner_id=line.learner_id, order_line=line)
            for line in to_enrol
        )
        for line in to_enrol:
            WaitlistEntry.objects.filter(
                session_id=line.session_id,
                learner_id=line.learner_id,
                status__in=(WaitlistStatus.WAITING, WaitlistStatus.OFFERED),
            ).update(status=WaitlistStatus.ACCEPTED, token_hash="")
        if order.buyer is not None and order.buyer.is_active:
            email_queue_template(
                to=order.buyer.email,
                template_prefix="emails/order_paid",
                context=_confirmation_context(order),
                language=order.language,
                subject_person=order.buyer.public_id,
            )
        audit_record(
            subject=order.buyer,
            action="order.paid",
            target=order,
            detail={
                "reference": order.reference,
                "enrolments": len(to_enrol),
                "revived": not held,
            },
        )
        # Last: every paid order of the site waits for the invoice series' row lock, held from
        # here to the commit.
        invoices.invoice_issue(order=order)
        if not held:
            _after_commit_seats_changed(sessions, offer=False)
    return True


def order_mark_unpaid(*, order: Order, reason: str, actor: User | None = None) -> bool:
    """The payment of ``order`` failed, was cancelled or its hold expired (``reason``: a short
    code such as "failed", "cancelled", "expired", "buyer"): a PENDING order is CANCELLED and
    its seats are released, then offered to the waiting lists after the commit. Idempotent:
    False for an order that is not PENDING (paid, refunded or already cancelled)."""
    with transaction.atomic():
        order = Order.objects.select_for_update().get(pk=order.pk)
        if order.status != OrderStatus.PENDING:
            return False
        order.status = OrderStatus.CANCELLED
        order.cancelled_at = timezone.now()
        order.save(update_fields=["status", "cancelled_at", "updated_at"])
        audit_record(
            actor=actor,
            subject=order.buyer,
            action="order.cancel",
            target=order,
            detail={"reference": order.reference, "reason": reason[:32]},
        )
        session_ids = list(order.lines.values_list("session_id", flat=True))
        _after_commit_seats_changed(session_ids, offer=True)
    return True


def order_cancel(*, order: Order, actor: User) -> bool:
    """The buyer gives up an order awaiting payment (from their orders page). Only the
    buyer's own PENDING order; False when it is no longer pending (paid meanwhile, say).

    A payment started at the provider for it may still succeed later: ``order_mark_paid`` then
    enrols if the seats are still free, else the payment is refunded.
    """
    if order.buyer_id != actor.pk:
        raise OrderRefused(_("This order is not yours."))
    return order_mark_unpaid(order=order, reason="buyer", actor=actor)


def order_holds_release(*, now: dt.datetime | None = None) -> int:
    """Cancel the PENDING orders whose seat hold has expired (periodic); returns how many.
    Their seats were already counted free from ``hold_until`` on; this records it and lets
    the waiting lists offer them."""
    now = now or timezone.now()
    expired = Order.objects.filter(status=OrderStatus.PENDING, hold_until__lte=now)
    # Ids first: each release is its own transaction, never inside an open cursor.
    ids = list(expired.order_by("hold_until", "pk").values_list("pk", flat=True))
    released = 0
    for order in Order.objects.filter(pk__in=ids).order_by("hold_until", "pk"):
        released += order_mark_unpaid(order=order, reason="expired")
    return released


# -- After payment: refunds, withdrawal, cancellations ----------------------------------------


def enrolment_cancel(
    *,
    enrolment: Enrolment,
    actor: User | None = None,
    status: str = EnrolmentStatus.CANCELLED,
    route: str = "",
    role: str = "",
) -> bool:
    """End an active enrolment (``status``: CANCELLED, or WITHDRAWN for the consumer's
    withdrawal) and free its seat for the waiting list; False when it was not active."""
    with transaction.atomic():
        enrolment = Enrolment.objects.select_for_update().get(pk=enrolment.pk)
        if enrolment.status != EnrolmentStatus.ACTIVE:
            return False
        enrolment.status = status
        enrolment.ended_at = timezone.now()
        enrolment.save(update_fields=["status", "ended_at"])
        audit_record(
            actor=actor,
            role=role,
            subject=enrolment.learner,
            action="enrolment.cancel",
            target=enrolment,
            route=route,
            fields=["status", "ended_at"],
            detail={"status": status},
        )
        _after_commit_seats_changed([enrolment.session_id], offer=True)
    return True


def order_refunded(*, order: Order, refund: Refund) -> None:
    """A refund of the whole of ``order`` went through at the provider: the order is REFUNDED,
    its learners' enrolments still active are cancelled (their seats offered to the waiting
    lists) and the credit note is issued. Idempotent."""
    with transaction.atomic():
        order = Order.objects.select_for_update().get(pk=order.pk)
        if order.status != OrderStatus.REFUNDED:
            order.status = OrderStatus.REFUNDED
            order.save(update_fields=["status", "updated_at"])
            audit_record(
                subject=order.buyer,
                action="order.refunded",
                target=order,
                detail={"reference": order.reference, "refund": str(refund.public_id)},
            )
        for enrolment in Enrolment.objects.filter(
            order_line__order=order, status=EnrolmentStatus.ACTIVE
        ):
            enrolment_cancel(enrolment=enrolment)
        invoices.credit_note_issue(refund=refund)


@dataclass(frozen=True)
class Withdrawal:
    """What withdrawing from a paid order would give back, and whether it is still possible
    (``refusal`` says why not)."""

    refund_cents: int
    kept_cents: int
    refusal: str = ""


def _taught_share(session: Session, now: dt.datetime) -> tuple[int, int]:
    """(minutes taught by ``now``, minutes in all) of ``session``'s lessons."""
    local = timezone.localtime(now)
    taught = total = 0
    for course in Course.objects.filter(session=session).order_by("date", "starts_at"):
        minutes = course.duration_minutes
        total += minutes
        if (course.date, course.starts_at) <= (local.date(), local.time()):
            taught += minutes
    return taught, total


def order_withdrawal_quote(*, order: Order, now: dt.datetime | None = None) -> Withdrawal:
    """What the consumer's withdrawal right (Code de droit économique, Art. VI.47) gives back
    for ``order`` now.

    - Only a PAID order, until its ``withdrawal_deadline`` (14 days after the order), whose
      learners are still enrolled and that was not refunded yet.
    - Without an express request to start early, the whole price is refunded, lessons
      attended or not (Art. VI.51: the consumer owes nothing for a service started without
      that request).
    - With it (Art. VI.49 § 3 and VI.51 § 3), the consumer pays for what was taught until they
      withdraw: each line keeps the share of its session's teaching minutes that have begun
      (a lesson counts once it has started), rounded to the cent, and the rest is refunded.
      When everything was taught, the right has ended (Art. VI.53, 1°).
    """
    now = now or timezone.now()
    if order.status != OrderStatus.PAID:
        return Withdrawal(0, 0, str(_("Only a paid order can be withdrawn from.")))
    if timezone.localdate(now) > order.withdrawal_deadline:
        return Withdrawal(0, 0, str(_("The 14-day withdrawal period of this order is over.")))
    payment = selectors.order_paid_payment(order)
    if payment is None or payment.refunded_cents or payment.refunds.exists():
        return Withdrawal(
            0, 0, str(_("This order is already being refunded, or was paid another way."))
        )
    lines = list(order.lines.select_related("session"))
    active = set(
        Enrolment.objects.filter(
            order_line__order=order, status=EnrolmentStatus.ACTIVE
        ).values_list("order_line_id", flat=True)
    )
    if not active:
        return Withdrawal(0, 0, str(_("No enrolment of this order is active any more.")))
    kept = 0
    for line in lines:
        if order.early_start_requested:
            taught, total = _taught_share(line.session, now)
            if total:
                kept += (line.price_cents * taught * 2 + total) // (total * 2)
    refund = order.total_cents - kept
    if refund <= 0:
        return Withdrawal(
            0, kept, str(_("The session has been taught in full: the withdrawal right has ended."))
        )
    return Withdrawal(refund, kept)


def order_withdraw(*, order: Order, actor: User, route: str = "") -> Withdrawal:
    """The buyer withdraws from a paid order within 14 days (see ``order_withdrawal_quote``
    for the amount). Returns the quote that was applied.

    First, in one transaction: the order's active enrolments end as WITHDRAWN (their seats go
    to the waiting lists after the commit), the withdrawal is audited and its acknowledgement
    queued by e-mail, as the law requires for a withdrawal made on-line. The withdrawal takes
    effect then, whatever the provider does. Then, outside any transaction (the provider is
    slow and may fail), the refund of the amount due is asked of the payment provider
    (``payments.services.refund_create``): a refund without an answer is retried by the
    reconciliation; one the provider refuses is logged and left to Billing, who see a paid
    order with withdrawn enrolments and no refund (we owe it within 14 days, Art. VI.50).
    """
    if order.buyer_id != actor.pk:
        raise OrderRefused(_("This order is not yours."))
    with transaction.atomic():
        order = Order.objects.select_for_update().get(pk=order.pk)
        quote = order_withdrawal_quote(order=order)
        if quote.refusal:
            raise OrderRefused(quote.refusal)
        for enrolment in Enrolment.objects.filter(
            order_line__order=order, status=EnrolmentStatus.ACTIVE
        ):
            enrolment_cancel(
                enrolment=enrolment, actor=actor, status=EnrolmentStatus.WITHDRAWN, route=route
            )
        audit_record(
            actor=actor,
            subject=actor,
            action="order.withdraw",
            target=order,
            route=route,
            detail={"reference": order.reference, "refund_cents": quote.refund_cents},
        )
        email_queue_template(
            to=actor.email,
            template_prefix="emails/order_withdrawn",
            context={
                **_confirmation_context(order),
                "refund_cents": quote.refund_cents,
                "kept_cents": quote.kept_cents,
            },
            language=order.language,
            subject_person=actor.public_id,
        )
    payment = selectors.order_paid_payment(order)
    with translation.override(order.language):
        reason = str(_("Withdrawal within 14 days (order %(reference)s)")) % {
            "reference": order.reference
        }
    try:
        payment_services.refund_create(
            payment=payment, amount_cents=quote.refund_cents, reason=reason, requested_by=actor
        )
    except payment_services.PaymentNotPossible:
        logger.exception("Withdrawal from order %s: the refund was not made.", order.reference)
    return quote
