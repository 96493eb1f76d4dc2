"""Invoices: one per paid order, numbered per year without gap or duplicate, audited."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
import time_machine
from django.db import transaction
from django.utils import timezone

from cll.courses.tests.factories import make_session
from cll.privacy.models import AuditEntry
from cll.shop.invoices import InvoiceError, invoice_issue, invoice_number
from cll.shop.models import (
    DocumentKind,
    Invoice,
    InvoiceSequence,
    Order,
    OrderLine,
    OrderStatus,
    Payment,
    PaymentStatus,
    Refund,
    RefundStatus,
)

pytestmark = pytest.mark.django_db

_references = itertools.count(1)


def make_paid_order(
    buyer,
    *,
    prices: tuple[int, ...] = (39000,),
    vat_rate_bp: int = 0,
    language: str = "fr",
    billing_name: str = "Alice Martin",
    billing_address: str = "Rue de la Station 12\n1300 Wavre",
    status: str = OrderStatus.PAID,
) -> Order:
    """An order as the checkout leaves it once paid (rows built directly: the tests of the
    invoices do not depend on the checkout). Prices include VAT, as the catalogue's do."""
    total = sum(prices)
    # VAT included in the price: subtotal = total / (1 + rate), rounded to the cent.
    subtotal = (total * 10000 * 2 + (10000 + vat_rate_bp)) // ((10000 + vat_rate_bp) * 2)
    now = timezone.now()
    order = Order.objects.create(
        reference=f"T{next(_references):07d}",
        buyer=buyer,
        status=status,
        billing_name=billing_name,
        billing_address=billing_address,
        language=language,
        subtotal_cents=subtotal,
        vat_cents=total - subtotal,
        total_cents=total,
        vat_rate_bp=vat_rate_bp,
        terms_version="2026-01",
        terms_accepted_at=now,
        withdrawal_deadline=timezone.localdate() + dt.timedelta(days=14),
        early_start_requested=False,
        hold_until=now + dt.timedelta(minutes=20),
        paid_at=now if status in (OrderStatus.PAID, OrderStatus.REFUNDED) else None,
    )
    for number, price in enumerate(prices, start=1):
        session = make_session(price_cents=price, title=f"Line {number}")
        OrderLine.objects.create(
            order=order,
            session=session,
            learner=buyer,
            description=f"{session.title_fr} ({number})",
            price_cents=price,
        )
    return order


def make_refund(order: Order, amount_cents: int, *, reason: str = "Withdrawal within 14 days"):
    """A refund of ``order`` that went through at the provider."""
    # One payment per order; each refund takes a part of it back.
    payment, _created = Payment.objects.get_or_create(
        order=order,
        provider="sandbox",
        defaults={
            "provider_ref": f"pay_{order.reference}",
            "status": PaymentStatus.PAID,
            "amount_cents": order.total_cents,
            "paid_at": order.paid_at,
        },
    )
    # Capped: a test may ask for a refund beyond what was paid, to see it refused.
    payment.refunded_cents = min(payment.amount_cents, payment.refunded_cents + amount_cents)
    payment.save(update_fields=["refunded_cents"])
    return Refund.objects.create(
        payment=payment,
        provider_ref=f"re_{order.reference}_{payment.refunds.count() + 1}",
        amount_cents=amount_cents,
        status=RefundStatus.REFUNDED,
        reason=reason,
    )


def test_it_issues_the_first_invoice_of_the_year(alice):
    order = make_paid_order(alice, prices=(39000, 12000))
    with time_machine.travel(dt.datetime(2027, 3, 4, 10, 0, tzinfo=dt.UTC)):
        invoice = invoice_issue(order=order)
    assert invoice.number == "2027-000001"
    assert (invoice.kind, invoice.year, invoice.sequence) == (DocumentKind.INVOICE, 2027, 1)
    assert invoice.order == order and invoice.credits is None and invoice.refund is None
    assert (invoice.subtotal_cents, invoice.vat_cents, invoice.total_cents) == (
        order.subtotal_cents,
        order.vat_cents,
        51000,
    )
    assert invoice.issued_at == dt.datetime(2027, 3, 4, 10, 0, tzinfo=dt.UTC)


def test_it_numbers_invoices_one_after_the_other(alice, charlie):
    numbers = [invoice_issue(order=make_paid_order(buyer)).number for buyer in (alice, charlie)]
    year = timezone.localdate().year
    assert numbers == [f"{year}-000001", f"{year}-000002"]
    assert InvoiceSequence.objects.get(kind=DocumentKind.INVOICE, year=year).last == 2


def test_it_issues_one_invoice_per_order(alice):
    order = make_paid_order(alice)
    first = invoice_issue(order=order)
    again = invoice_issue(order=order)
    assert again.pk == first.pk
    assert Invoice.objects.count() == 1
    assert AuditEntry.objects.filter(action="invoice.issue").count() == 1


def test_it_starts_a_new_series_each_year_in_brussels_time(alice, charlie):
    # 31 December 23:30 UTC is already 1 January in Brussels.
    with time_machine.travel(dt.datetime(2027, 12, 31, 22, 30, tzinfo=dt.UTC)):
        late = invoice_issue(order=make_paid_order(alice))
    with time_machine.travel(dt.datetime(2027, 12, 31, 23, 30, tzinfo=dt.UTC)):
        new_year = invoice_issue(order=make_paid_order(charlie))
    assert late.number == "2027-000001"
    assert new_year.number == "2028-000001"


def test_it_gives_back_the_number_of_a_rolled_back_transaction(alice, charlie):
    class PaymentFellThrough(Exception):
        pass

    order = make_paid_order(alice)
    with pytest.raises(PaymentFellThrough), transaction.atomic():
        assert invoice_issue(order=order).sequence == 1
        raise PaymentFellThrough
    assert not Invoice.objects.exists()
    # The next invoice takes the number the rolled-back one had: no gap.
    assert invoice_issue(order=make_paid_order(charlie)).sequence == 1
    assert invoice_issue(order=order).sequence == 2


def test_it_refuses_an_order_that_is_not_paid(alice):
    for status in (OrderStatus.PENDING, OrderStatus.CANCELLED):
        order = make_paid_order(alice, status=status)
        with pytest.raises(InvoiceError):
            invoice_issue(order=order)
    assert not Invoice.objects.exists()
    assert not InvoiceSequence.objects.filter(last__gt=0).exists()


def test_it_records_the_issue_in_the_ledger_without_personal_data(alice):
    order = make_paid_order(alice)
    invoice = invoice_issue(order=order)
    entry = AuditEntry.objects.get(action="invoice.issue")
    assert entry.subject == alice.public_id
    assert entry.target == f"shop.Invoice:{invoice.pk}"
    assert entry.detail == {
        "number": invoice.number,
        "kind": "invoice",
        "order": str(order.public_id),
    }
    assert "Alice" not in str(entry.detail)


def test_it_writes_numbers_the_same_way_for_both_series():
    assert invoice_number(kind=DocumentKind.INVOICE, year=2027, sequence=42) == "2027-000042"
    assert invoice_number(kind=DocumentKind.CREDIT_NOTE, year=2027, sequence=7) == "NC-2027-000007"
