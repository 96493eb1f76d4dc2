"""Rows the staff pages' tests work on: profiles, orders, payments, enrolments, invoices, built
directly (the checkout is another test's subject), and checks that they hold together."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from django.utils import timezone

from cll.accounts.services import profile_create
from cll.courses.models import Session
from cll.courses.tests.factories import make_session
from cll.shop import invoices
from cll.shop.models import (
    Enrolment,
    EnrolmentStatus,
    Order,
    OrderLine,
    OrderStatus,
    Payment,
    PaymentStatus,
    Refund,
    RefundStatus,
)

_references = itertools.count(1)

PROFILES = {
    "alice": {"first_name": "Alice", "last_name": "Vandenberghe", "level": "B1"},
    "charlie": {"first_name": "Charlie", "last_name": "Dubois", "level": "A2"},
    "gina": {"first_name": "Gina", "last_name": "Peeters", "level": "C1"},
}
ALICE_ADDRESS = "Rue des Wallons 12\n1348 Louvain-la-Neuve"


def make_profile(user, **data):
    defaults = {"first_name": "Test", "last_name": "Learner", "level": "A1"}
    return profile_create(user=user, data={**defaults, **data})


def taught_session(teacher, *, first_day: dt.date | None = None, hours: int = 8) -> Session:
    """A session taught by ``teacher``; by default started a week ago, so it has lessons in the
    past and in the future (Tuesdays and Thursdays, 18:30-20:30)."""
    session = make_session(
        first_day=first_day or timezone.localdate() - dt.timedelta(days=7), hours=hours
    )
    session.teacher = teacher
    session.save(update_fields=["teacher"])
    return session


def make_order(
    buyer,
    session: Session,
    *,
    learner=None,
    status: str = OrderStatus.PAID,
    total_cents: int = 39000,
    billing_name: str = "Alice Vandenberghe",
    billing_address: str = ALICE_ADDRESS,
    created_at: dt.datetime | None = None,
) -> Order:
    """An order of one seat in ``session`` for ``learner`` (the buyer by default), with its
    enrolment when paid."""
    now = timezone.now()
    number = next(_references)
    order = Order.objects.create(
        reference=f"T{number:03d}-ABCD",
        buyer=buyer,
        status=status,
        billing_name=billing_name,
        billing_address=billing_address,
        language="fr",
        subtotal_cents=total_cents,
        vat_cents=0,
        total_cents=total_cents,
        vat_rate_bp=0,
        terms_version="2026-01",
        terms_accepted_at=now,
        withdrawal_deadline=timezone.localdate() + dt.timedelta(days=14),
        early_start_requested=False,
        hold_until=now + dt.timedelta(minutes=20),
        paid_at=now if status in (OrderStatus.PAID, OrderStatus.REFUNDED) else None,
    )
    if created_at is not None:
        Order.objects.filter(pk=order.pk).update(created_at=created_at)
        order.refresh_from_db()
    line = OrderLine.objects.create(
        order=order,
        session=session,
        learner=learner or buyer,
        description=session.title,
        price_cents=total_cents,
    )
    if status == OrderStatus.PAID:
        Enrolment.objects.create(session=session, learner=learner or buyer, order_line=line)
    return order


def make_payment(
    order: Order,
    *,
    provider: str = "sandbox",
    provider_ref: str = "tr_ALICE12345",
    status: str = PaymentStatus.PAID,
    refunded_cents: int = 0,
) -> Payment:
    return Payment.objects.create(
        order=order,
        provider=provider,
        provider_ref=provider_ref,
        status=status,
        amount_cents=order.total_cents,
        refunded_cents=refunded_cents,
        method="bancontact",
        paid_at=timezone.now() if status == PaymentStatus.PAID else None,
    )


def make_credit_note(payment: Payment, *, amount_cents: int, reason: str = "Withdrawal"):
    """A refund that went through, and its credit note (the order's invoice must exist)."""
    refund = Refund.objects.create(
        payment=payment,
        provider_ref="re_ALICE999",
        amount_cents=amount_cents,
        status=RefundStatus.REFUNDED,
        reason=reason,
    )
    Payment.objects.filter(pk=payment.pk).update(refunded_cents=amount_cents)
    return invoices.credit_note_issue(refund=refund)


pytestmark = pytest.mark.django_db


def test_it_builds_a_paid_order_with_its_enrolment_payment_and_invoice(alice):
    session = make_session()
    order = make_order(alice, session)
    payment = make_payment(order)
    invoice = invoices.invoice_issue(order=order)
    assert Enrolment.objects.get(session=session).status == EnrolmentStatus.ACTIVE
    assert payment.order == order and invoice.order == order
    assert invoice.total_cents == order.total_cents == 39000
