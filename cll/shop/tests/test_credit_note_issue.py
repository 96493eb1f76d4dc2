"""Credit notes: one per refund, in their own series, naming the invoice they correct, VAT in
proportion and never more than was invoiced."""

from __future__ import annotations

import pytest
from django.utils import timezone

from cll.privacy.models import AuditEntry
from cll.shop.invoices import InvoiceError, credit_note_issue, invoice_issue
from cll.shop.models import DocumentKind, Invoice, RefundStatus
from cll.shop.tests.test_invoice_issue import make_paid_order, make_refund

pytestmark = pytest.mark.django_db


def test_it_credits_a_whole_refund_against_the_orders_invoice(alice):
    order = make_paid_order(alice, prices=(39000, 12000))
    invoice = invoice_issue(order=order)
    note = credit_note_issue(refund=make_refund(order, 51000))
    year = timezone.localdate().year
    assert note.number == f"NC-{year}-000001"
    assert note.kind == DocumentKind.CREDIT_NOTE
    assert note.credits == invoice and note.order == order
    assert (note.subtotal_cents, note.vat_cents, note.total_cents) == (51000, 0, 51000)
    # Credit notes have their own series: the invoices' numbers stay continuous.
    assert invoice_issue(order=make_paid_order(alice)).number == f"{year}-000002"


def test_it_issues_one_credit_note_per_refund(alice):
    order = make_paid_order(alice)
    invoice_issue(order=order)
    refund = make_refund(order, 10000)
    assert credit_note_issue(refund=refund).pk == credit_note_issue(refund=refund).pk
    assert Invoice.objects.filter(kind=DocumentKind.CREDIT_NOTE).count() == 1


def test_it_issues_the_missing_invoice_before_crediting_it(alice):
    order = make_paid_order(alice)
    note = credit_note_issue(refund=make_refund(order, order.total_cents))
    assert note.credits == Invoice.objects.get(order=order, kind=DocumentKind.INVOICE)


def test_it_shares_vat_in_proportion_and_leaves_no_cent_behind(alice):
    # 121.00 € at 21 %: 100.00 € + 21.00 € VAT.
    order = make_paid_order(alice, prices=(12100,), vat_rate_bp=2100)
    invoice = invoice_issue(order=order)
    assert (invoice.subtotal_cents, invoice.vat_cents) == (10000, 2100)
    first = credit_note_issue(refund=make_refund(order, 3333))
    # 33.33 € x 21/121 = 5.7845... -> 5.78 €.
    assert (first.subtotal_cents, first.vat_cents, first.total_cents) == (2755, 578, 3333)
    second = credit_note_issue(refund=make_refund(order, 12100 - 3333))
    # The last credit takes what VAT is left: the two together give back exactly the VAT.
    assert first.vat_cents + second.vat_cents == 2100
    assert first.total_cents + second.total_cents == 12100


def test_it_refuses_to_credit_more_than_was_invoiced(alice):
    order = make_paid_order(alice, prices=(20000,))
    credit_note_issue(refund=make_refund(order, 15000))
    with pytest.raises(InvoiceError):
        credit_note_issue(refund=make_refund(order, 5001))
    assert Invoice.objects.filter(kind=DocumentKind.CREDIT_NOTE).count() == 1


def test_it_refuses_a_refund_that_did_not_go_through(alice):
    order = make_paid_order(alice)
    for status in (RefundStatus.PENDING, RefundStatus.FAILED):
        refund = make_refund(order, 1000)
        refund.status = status
        refund.save()
        with pytest.raises(InvoiceError):
            credit_note_issue(refund=refund)
    assert not Invoice.objects.filter(kind=DocumentKind.CREDIT_NOTE).exists()


def test_it_records_the_credit_note_in_the_ledger(alice):
    order = make_paid_order(alice)
    note = credit_note_issue(refund=make_refund(order, 1000))
    entry = AuditEntry.objects.get(action="invoice.issue", detail__kind="credit_note")
    assert entry.subject == alice.public_id
    assert entry.detail["number"] == note.number
