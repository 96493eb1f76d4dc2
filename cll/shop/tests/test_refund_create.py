"""Refunds through the provider: never beyond what was paid, never twice, audited; a refund of
the whole order hands over to the order (enrolments cancelled, credit note)."""

from __future__ import annotations

import pytest

from cll.privacy.models import AuditEntry
from cll.shop.models import Order, OrderStatus, Payment, PaymentStatus, Refund, RefundStatus
from cll.shop.payments.base import ProviderError, ProviderRefused
from cll.shop.payments.sandbox import SandboxProvider, webhook_build
from cll.shop.payments.services import (
    PaymentNotPossible,
    payment_reconcile,
    refund_available_cents,
    refund_create,
    webhook_receive,
)
from cll.shop.tests.recordings.loopback import make_order, make_payment

pytestmark = pytest.mark.django_db


@pytest.fixture
def paid(alice):
    """A payment confirmed through the sandbox's webhook: the order is placed and invoiced."""
    payment = make_payment(make_order(alice, price_cents=39000))
    body, headers = webhook_build(payment=payment, outcome="pay")
    webhook_receive(provider_name="sandbox", body=body, headers=headers)
    payment.refresh_from_db()
    return payment


def test_it_refunds_part_of_a_payment(paid, bill):
    refund = refund_create(payment=paid, amount_cents=10000, reason="Goodwill", requested_by=bill)

    assert refund.status == RefundStatus.REFUNDED
    assert refund.provider_ref.startswith("sbx_re_")
    paid.refresh_from_db()
    assert paid.refunded_cents == 10000
    assert Order.objects.get(pk=paid.order_id).status == OrderStatus.PAID
    entry = AuditEntry.objects.get(action="shop.refund.request")
    assert entry.actor == bill.public_id
    assert entry.actor_role == "Billing"
    assert entry.detail == {"payment": str(paid.public_id), "amount_cents": 10000}
    assert AuditEntry.objects.filter(action="shop.refund.refunded").count() == 1


def test_it_hands_a_whole_refund_over_to_the_order(paid, bill):
    refund_create(payment=paid, amount_cents=39000, reason="Session cancelled", requested_by=bill)

    order = Order.objects.get(pk=paid.order_id)
    assert order.status == OrderStatus.REFUNDED
    assert order.invoices.filter(kind="credit_note").count() == 1


def test_it_refuses_more_than_is_left(paid, bill):
    refund_create(payment=paid, amount_cents=30000, reason="Part", requested_by=bill)

    with pytest.raises(PaymentNotPossible) as refused:
        refund_create(payment=paid, amount_cents=9001, reason="Too much", requested_by=bill)

    assert "90,00\N{NO-BREAK SPACE}€" in refused.value.message
    assert Refund.objects.count() == 1
    paid.refresh_from_db()
    assert paid.refunded_cents == 30000


@pytest.mark.parametrize("amount", [0, -5])
def test_it_refuses_a_non_positive_amount(paid, bill, amount):
    with pytest.raises(PaymentNotPossible):
        refund_create(payment=paid, amount_cents=amount, reason="", requested_by=bill)
    assert not Refund.objects.exists()


def test_it_refuses_an_unpaid_payment(alice, bill):
    payment = make_payment(make_order(alice))

    with pytest.raises(PaymentNotPossible) as refused:
        refund_create(payment=payment, amount_cents=100, reason="", requested_by=bill)

    assert "payé" in refused.value.message
    assert not Refund.objects.exists()


def test_it_keeps_a_refund_without_answer_and_retries_it_once(paid, bill, monkeypatch):
    calls = []
    original = SandboxProvider.refund_create

    def timeout(self, **kwargs):
        calls.append(kwargs["idempotency_key"])
        raise ProviderError("read timeout")

    monkeypatch.setattr(SandboxProvider, "refund_create", timeout)
    refund = refund_create(payment=paid, amount_cents=39000, reason="Cancelled", requested_by=bill)

    assert refund.status == RefundStatus.PENDING
    # Its amount stays reserved: no second refund can exceed the payment meanwhile.
    assert refund_available_cents(payment=Payment.objects.get(pk=paid.pk)) == 0
    with pytest.raises(PaymentNotPossible):
        refund_create(payment=paid, amount_cents=1, reason="More", requested_by=bill)

    def answer(self, **kwargs):
        calls.append(kwargs["idempotency_key"])
        return original(self, **kwargs)

    monkeypatch.setattr(SandboxProvider, "refund_create", answer)
    assert payment_reconcile(older_than_minutes=0) == 1
    assert payment_reconcile(older_than_minutes=0) == 0

    refund.refresh_from_db()
    assert refund.status == RefundStatus.REFUNDED
    assert calls == [str(refund.public_id)] * 2
    assert Payment.objects.get(pk=paid.pk).refunded_cents == 39000


def test_it_records_a_refund_the_provider_refused(paid, bill, monkeypatch):
    def refuse(self, **kwargs):
        raise ProviderRefused("charge already refunded")

    monkeypatch.setattr(SandboxProvider, "refund_create", refuse)

    with pytest.raises(PaymentNotPossible) as refused:
        refund_create(payment=paid, amount_cents=500, reason="Goodwill", requested_by=bill)

    assert "refusé" in refused.value.message
    assert Refund.objects.get().status == RefundStatus.FAILED
    paid.refresh_from_db()
    assert (paid.status, paid.refunded_cents) == (PaymentStatus.PAID, 0)
    assert AuditEntry.objects.filter(action="shop.refund.failed").count() == 1
