# ruff: noqa: RUF001 -- the French texts use the typographic apostrophe.
"""Starting a payment: a Payment row for the order's total, the provider's page, and a clear
message (order kept) when the provider cannot be reached."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from cll.shop.models import Order, OrderStatus, Payment, PaymentStatus
from cll.shop.payments import registry
from cll.shop.payments.base import ProviderError
from cll.shop.payments.sandbox import SandboxProvider
from cll.shop.payments.services import PaymentNotPossible, payment_start
from cll.shop.tests.recordings.loopback import make_order

pytestmark = pytest.mark.django_db


@pytest.fixture
def request_of(rf):
    def build(user):
        request = rf.get("/")
        request.user = user
        return request

    return build


def test_it_opens_a_payment_of_the_order_total(alice, request_of):
    order = make_order(alice, price_cents=65000)

    url = payment_start(order=order, request=request_of(alice))

    payment = Payment.objects.get(order=order)
    assert (payment.provider, payment.amount_cents, payment.status) == ("sandbox", 65000, "open")
    assert payment.provider_ref.startswith("sbx_")
    assert payment.provider_ref in url


def test_it_keeps_the_order_when_the_provider_is_down(alice, request_of, monkeypatch):
    def down(self, **kwargs):
        raise ProviderError("connection refused")

    monkeypatch.setattr(SandboxProvider, "payment_create", down)
    order = make_order(alice)

    with pytest.raises(PaymentNotPossible) as refused:
        payment_start(order=order, request=request_of(alice))

    assert "n’est pas disponible" in refused.value.message
    assert Order.objects.get(pk=order.pk).status == OrderStatus.PENDING
    payment = Payment.objects.get(order=order)
    assert (payment.status, payment.provider_ref) == (PaymentStatus.FAILED, "")


def test_it_refuses_an_order_whose_hold_ran_out(alice, request_of):
    order = make_order(alice)
    Order.objects.filter(pk=order.pk).update(hold_until=timezone.now() - dt.timedelta(seconds=1))

    with pytest.raises(PaymentNotPossible) as refused:
        payment_start(order=order, request=request_of(alice))

    assert "commander à nouveau" in refused.value.message
    assert not Payment.objects.exists()


@pytest.mark.parametrize(
    ("status", "words"),
    [(OrderStatus.PAID, "déjà payée"), (OrderStatus.CANCELLED, "commander à nouveau")],
)
def test_it_refuses_an_order_not_awaiting_payment(alice, request_of, status, words):
    order = make_order(alice, status=status)

    with pytest.raises(PaymentNotPossible) as refused:
        payment_start(order=order, request=request_of(alice))

    assert words in refused.value.message
    assert not Payment.objects.exists()


def test_it_refuses_a_provider_without_its_keys(alice, request_of, settings):
    settings.PAYMENT_PROVIDER = "stripe"
    settings.STRIPE_SECRET_KEY = ""

    with pytest.raises(PaymentNotPossible):
        payment_start(order=make_order(alice), request=request_of(alice))
    with pytest.raises(registry.UnknownProvider):
        registry.provider_get("stripe")
    assert not Payment.objects.exists()
