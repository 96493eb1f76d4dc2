"""Mollie through the real SDK, against recorded exchanges on loopback: its webhook names a
payment id only, which the adapter authenticates by fetching the payment."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse

from cll.shop.models import Enrolment, Order, OrderStatus, PaymentStatus, ProviderEvent
from cll.shop.payments import registry
from cll.shop.payments.mollie import MollieProvider
from cll.shop.payments.services import refund_create
from cll.shop.tests.recordings.loopback import (
    Recorded,
    make_order,
    make_payment,
)

pytestmark = pytest.mark.django_db

URL = reverse("shop:payment_webhook", kwargs={"provider": "mollie"})
PAID = "tr_WDqYK6vllg"


@pytest.fixture
def mollie_api(settings, monkeypatch):
    settings.PAYMENT_PROVIDER = "mollie"
    settings.MOLLIE_API_KEY = "test_dHar4XY7LxsDOtmnkVtjNVWXLSlXsM"
    with Recorded("mollie.json") as server:
        monkeypatch.setattr(MollieProvider, "api_endpoint", server.url)
        yield server


def _deliver(client, body: str):
    return client.post(URL, body, content_type="application/x-www-form-urlencoded")


def test_it_opens_a_payment_in_euros_for_bancontact_and_cards(alice, mollie_api):
    order = make_order(alice, reference="T0000001")
    payment = make_payment(order, provider="mollie", provider_ref="")

    started = registry.provider_get().payment_create(
        payment=payment,
        order=order,
        return_url="http://testserver/return/",
        webhook_url="http://testserver/fr/shop/pay/webhook/mollie/",
    )

    assert started.provider_ref == PAID
    assert started.redirect_url == "https://www.mollie.com/checkout/select-method/WDqYK6vllg"
    method, path, headers, body = mollie_api.requests[-1]
    assert (method, path) == ("POST", "/v2/payments")
    assert headers["Idempotency-Key"] == str(payment.public_id)
    sent = json.loads(body)
    assert sent["amount"] == {"currency": "EUR", "value": "390.00"}
    assert sent["method"] == ["bancontact", "creditcard"]
    assert sent["webhookUrl"] == "http://testserver/fr/shop/pay/webhook/mollie/"
    assert sent["metadata"] == {"order": "T0000001"}
    assert "alice" not in body.decode().lower()


def test_it_authenticates_the_webhook_by_fetching_the_payment(client, alice, mollie_api):
    order = make_order(alice)
    payment = make_payment(order, provider="mollie", provider_ref=PAID)

    first = _deliver(client, f"id={PAID}")
    again = _deliver(client, f"id={PAID}")

    assert (first.status_code, again.status_code) == (200, 200)
    payment.refresh_from_db()
    assert (payment.status, payment.method) == (PaymentStatus.PAID, "bancontact")
    assert Order.objects.get(pk=order.pk).status == OrderStatus.PAID
    assert Enrolment.objects.filter(order_line__order=order).count() == 1
    event = ProviderEvent.objects.get()
    assert (event.event_id, event.kind) == (f"{PAID}:paid", "payment.paid")
    assert [request[:2] for request in mollie_api.requests] == [("GET", f"/v2/payments/{PAID}")] * 2


def test_it_rejects_an_id_mollie_does_not_know_and_stores_nothing(client, mollie_api):
    assert _deliver(client, "id=tr_Unknown01").status_code == 400
    assert _deliver(client, "id=not-a-payment").status_code == 400
    assert _deliver(client, "").status_code == 400
    assert not ProviderEvent.objects.exists()


def test_it_releases_the_order_of_a_cancelled_payment(client, alice, mollie_api):
    order = make_order(alice)
    payment = make_payment(order, provider="mollie", provider_ref="tr_Canceled01")

    assert _deliver(client, "id=tr_Canceled01").status_code == 200

    payment.refresh_from_db()
    assert payment.status == PaymentStatus.CANCELLED
    assert Order.objects.get(pk=order.pk).status == OrderStatus.CANCELLED
    assert not Enrolment.objects.exists()


def test_it_answers_503_when_mollie_cannot_be_reached(client, settings, monkeypatch):
    settings.PAYMENT_PROVIDER = "mollie"
    settings.MOLLIE_API_KEY = "test_dHar4XY7LxsDOtmnkVtjNVWXLSlXsM"
    # A loopback port nothing listens on.
    with Recorded("mollie.json") as server:
        closed = server.url
    monkeypatch.setattr(MollieProvider, "api_endpoint", closed)
    monkeypatch.setattr(MollieProvider, "timeout", (1, 1))

    assert _deliver(client, f"id={PAID}").status_code == 503
    assert not ProviderEvent.objects.exists()


def test_it_refunds_on_the_payment(bill, alice, mollie_api):
    order = make_order(alice, status=OrderStatus.PAID)
    payment = make_payment(order, provider="mollie", provider_ref=PAID, status=PaymentStatus.PAID)

    refund = refund_create(
        payment=payment, amount_cents=39000, reason="Withdrawal", requested_by=bill
    )

    assert (refund.status, refund.provider_ref) == ("refunded", "re_4qqhO89gsT")
    method, path, headers, body = mollie_api.requests[-1]
    assert (method, path) == ("POST", f"/v2/payments/{PAID}/refunds")
    assert headers["Idempotency-Key"] == str(refund.public_id)
    assert json.loads(body)["amount"] == {"currency": "EUR", "value": "390.00"}
