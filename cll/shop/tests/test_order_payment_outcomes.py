"""What a payment's outcome does to an order: paid (enrolments, invoice, e-mail), unpaid
(seats released and offered to the waiting list), hold expired, refunded."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from cll.core.models import OutboxEmail
from cll.privacy.models import AuditEntry
from cll.shop import selectors, services, waitlist
from cll.shop.models import (
    DocumentKind,
    Enrolment,
    EnrolmentStatus,
    Invoice,
    OrderStatus,
    Payment,
    PaymentStatus,
    Refund,
    RefundStatus,
    WaitlistStatus,
)
from cll.shop.tests.test_order_place import make_child, place, session_with

pytestmark = pytest.mark.django_db


def test_paying_enrols_each_learner_and_issues_the_invoice(
    gina, django_capture_on_commit_callbacks
):
    child = make_child(gina)
    session = session_with(5)
    order = place(gina, session, learner=child, language="nl")

    assert services.order_mark_paid(order=order, paid_at=timezone.now()) is True

    order.refresh_from_db()
    assert order.status == OrderStatus.PAID and order.paid_at is not None
    enrolment = Enrolment.objects.get()
    assert (enrolment.learner, enrolment.session, enrolment.status) == (
        child,
        session,
        EnrolmentStatus.ACTIVE,
    )
    assert enrolment.order_line == order.lines.get()
    assert Invoice.objects.filter(order=order, kind=DocumentKind.INVOICE).count() == 1
    email = OutboxEmail.objects.get(kind="emails/order_paid")
    assert email.to_address == gina.email
    assert order.reference in email.subject
    assert "Lotte" in email.text_body  # who attends, as the guardian knows them
    assert email.headers["Content-Language"] == "nl"
    assert AuditEntry.objects.filter(action="order.paid", subject=gina.public_id).count() == 1


def test_paying_twice_changes_nothing_the_second_time(alice):
    order = place(alice, session_with(5))
    services.order_mark_paid(order=order, paid_at=timezone.now())

    assert services.order_mark_paid(order=order, paid_at=timezone.now()) is False

    assert Enrolment.objects.count() == 1
    assert Invoice.objects.count() == 1
    assert OutboxEmail.objects.filter(kind="emails/order_paid").count() == 1


def test_a_learner_already_enrolled_is_not_enrolled_twice(alice):
    session = session_with(5)
    order = place(alice, session)
    # Enrolled meanwhile by staff, say.
    Enrolment.objects.create(session=session, learner=alice)

    services.order_mark_paid(order=order, paid_at=timezone.now())

    assert Enrolment.objects.filter(session=session, learner=alice).count() == 1


def test_a_late_payment_still_enrols_when_the_seat_is_free(alice):
    session = session_with(1)
    order = place(alice, session)
    services.order_mark_unpaid(order=order, reason="expired")

    assert services.order_mark_paid(order=order, paid_at=timezone.now()) is True

    order.refresh_from_db()
    assert order.status == OrderStatus.PAID
    assert Enrolment.objects.filter(learner=alice, session=session).exists()


def test_a_late_payment_does_not_oversell_a_seat_taken_meanwhile(alice, charlie):
    session = session_with(1)
    late = place(alice, session)
    services.order_mark_unpaid(order=late, reason="expired")
    services.order_mark_paid(order=place(charlie, session), paid_at=timezone.now())

    assert services.order_mark_paid(order=late, paid_at=timezone.now()) is False

    late.refresh_from_db()
    assert late.status == OrderStatus.CANCELLED
    assert list(Enrolment.objects.values_list("learner", flat=True)) == [charlie.pk]


def test_a_payment_after_the_hold_ran_out_is_refused_when_the_seat_was_sold(alice, charlie):
    session = session_with(1)
    then = timezone.now() - dt.timedelta(hours=1)
    expired = place(alice, session, now=then)  # its hold ended long ago, still PENDING
    services.order_mark_paid(order=place(charlie, session), paid_at=timezone.now())

    assert services.order_mark_paid(order=expired, paid_at=timezone.now()) is False

    expired.refresh_from_db()
    assert expired.status == OrderStatus.CANCELLED
    assert Enrolment.objects.filter(session=session).count() == 1


def test_an_unpaid_order_releases_its_seats(alice):
    session = session_with(1)
    order = place(alice, session)
    assert selectors.seats_left(session=session) == 0

    assert services.order_mark_unpaid(order=order, reason="failed") is True

    order.refresh_from_db()
    assert order.status == OrderStatus.CANCELLED and order.cancelled_at is not None
    assert selectors.seats_left(session=session) == 1
    entry = AuditEntry.objects.get(action="order.cancel")
    assert entry.detail["reason"] == "failed"
    # Idempotent, and never moves a paid order back.
    assert services.order_mark_unpaid(order=order, reason="failed") is False


def test_an_unpaid_order_never_cancels_a_paid_one(alice):
    order = place(alice, session_with(2))
    services.order_mark_paid(order=order, paid_at=timezone.now())

    assert services.order_mark_unpaid(order=order, reason="failed") is False

    order.refresh_from_db()
    assert order.status == OrderStatus.PAID


def test_a_released_seat_is_offered_to_the_first_person_waiting(
    alice, charlie, django_capture_on_commit_callbacks
):
    session = session_with(1)
    order = place(alice, session)
    entry = waitlist.waitlist_join(session=session, learner=charlie, requested_by=charlie)

    with django_capture_on_commit_callbacks(execute=True):
        services.order_mark_unpaid(order=order, reason="cancelled")

    entry.refresh_from_db()
    assert entry.status == WaitlistStatus.OFFERED
    # The offered seat is held for charlie: nobody else can buy it meanwhile.
    assert selectors.seats_left(session=session) == 0


def test_the_person_offered_a_seat_can_buy_it(alice, charlie, django_capture_on_commit_callbacks):
    session = session_with(1)
    order = place(alice, session)
    waitlist.waitlist_join(session=session, learner=charlie, requested_by=charlie)
    with django_capture_on_commit_callbacks(execute=True):
        services.order_mark_unpaid(order=order, reason="cancelled")

    bought = place(charlie, session, billing_name="Charlie")
    services.order_mark_paid(order=bought, paid_at=timezone.now())

    assert Enrolment.objects.filter(learner=charlie, session=session).exists()
    assert waitlist.WaitlistEntry.objects.get(learner=charlie).status == WaitlistStatus.ACCEPTED


def test_expired_holds_are_released_by_the_periodic_job(alice, charlie):
    session = session_with(3)
    expired = place(alice, session, now=timezone.now() - dt.timedelta(hours=2))
    running = place(charlie, session, billing_name="Charlie")

    assert services.order_holds_release() == 1

    expired.refresh_from_db()
    running.refresh_from_db()
    assert expired.status == OrderStatus.CANCELLED
    assert AuditEntry.objects.get(action="order.cancel").detail["reason"] == "expired"
    assert running.status == OrderStatus.PENDING


def test_the_buyer_cancels_an_unpaid_order_but_not_someone_else(alice, charlie):
    order = place(alice, session_with(2))

    with pytest.raises(services.OrderRefused):
        services.order_cancel(order=order, actor=charlie)
    assert services.order_cancel(order=order, actor=alice) is True

    entry = AuditEntry.objects.get(action="order.cancel")
    assert entry.actor == alice.public_id and entry.detail["reason"] == "buyer"


def _paid_with_payment(buyer, session, **extra):
    order = place(buyer, session, **extra)
    services.order_mark_paid(order=order, paid_at=timezone.now())
    order.refresh_from_db()
    payment = Payment.objects.create(
        order=order,
        provider="sandbox",
        provider_ref=f"sbx_{order.reference}",
        status=PaymentStatus.PAID,
        amount_cents=order.total_cents,
        paid_at=timezone.now(),
    )
    return order, payment


def test_a_full_refund_cancels_the_enrolments_and_issues_a_credit_note(alice):
    session = session_with(1)
    order, payment = _paid_with_payment(alice, session)
    refund = Refund.objects.create(
        payment=payment,
        amount_cents=order.total_cents,
        status=RefundStatus.REFUNDED,
        reason="Test",
    )

    services.order_refunded(order=order, refund=refund)
    services.order_refunded(order=order, refund=refund)  # idempotent

    order.refresh_from_db()
    assert order.status == OrderStatus.REFUNDED
    assert Enrolment.objects.get().status == EnrolmentStatus.CANCELLED
    assert Invoice.objects.filter(kind=DocumentKind.CREDIT_NOTE, refund=refund).count() == 1
    assert selectors.seats_left(session=session) == 1
