"""Stripe Checkout through the real SDK, against recorded exchanges on loopback, with webhook
signatures computed as Stripe computes them."""

from __future__ import annotations

import json
import time

import pytest
from django.urls import reverse

from cll.shop.models import Enrolment, Order, OrderStatus, PaymentStatus, ProviderEvent
from cll.shop.payments import registry
from cll.shop.payments.base import ProviderRefused, WebhookRejected
from cll.shop.payments.services import payment_reconcile, refund_create
from cll.shop.payments.stripe import StripeProvider
from cll.shop.tests.recordings.loopback import (
    Recorded,
    make_order,
    make_payment,
    recording,
    stripe_signature,
)

pytestmark = pytest.mark.django_db

SECRET = "whsec_test_5f1c0d2e9a8b7c6d5e4f3a2b1c0d9e8f"
SESSION = "cs_test_a1PaidSession0001"
URL = reverse("shop:payment_webhook", kwargs={"provider": "stripe"})


@pytest.fixture
def stripe_api(settings, monkeypatch):
    settings.PAYMENT_PROVIDER = "stripe"
    settings.STRIPE_SECRET_KEY = "sk_test_51Loopback0000000000000000"
    settings.STRIPE_WEBHOOK_SECRET = SECRET
    with Recorded("stripe.json") as server:
        monkeypatch.setattr(StripeProvider, "api_base", server.url)
        yield server


def _event(kind: str) -> bytes:
    return json.dumps(recording("stripe_events.json")[kind]).encode()


def _deliver(client, payload: bytes, signature: str):
    return client.post(
        URL, payload, content_type="application/json", HTTP_STRIPE_SIGNATURE=signature
    )


def test_it_opens_a_checkout_session_with_the_order_reference_only(rf, alice, stripe_api):
    order = make_order(alice, reference="T0000001")
    payment = make_payment(order, provider="stripe", provider_ref="")
    provider = registry.provider_get()

    started = provider.payment_create(
        payment=payment, order=order, return_url="http://testserver/r/", webhook_url="unused"
    )

    assert started.provider_ref == SESSION
    assert started.redirect_url.startswith("https://checkout.stripe.com/c/pay/")
    method, path, headers, body = stripe_api.requests[-1]
    assert (method, path) == ("POST", "/v1/checkout/sessions")
    assert headers["Idempotency-Key"] == f"checkout:{payment.public_id}"
    assert headers["Authorization"] == "Bearer sk_test_51Loopback0000000000000000"
    form = body.decode()
    assert "line_items[0][price_data][unit_amount]=39000" in form
    assert "line_items[0][price_data][currency]=eur" in form
    assert "payment_method_types[0]=card" in form and "payment_method_types[1]=bancontact" in form
    assert "metadata[order]=T0000001" in form
    # Nothing about the person: no e-mail, no name.
    assert "alice" not in form.lower() and "email" not in form


def test_it_reads_a_session_state_from_the_api(stripe_api):
    provider = registry.provider_get()

    paid = provider.payment_fetch(provider_ref=SESSION)
    expired = provider.payment_fetch(provider_ref="cs_test_a1ExpiredSession01")

    assert (paid.status, paid.amount_cents, paid.method) == (
        PaymentStatus.PAID,
        39000,
        "bancontact",
    )
    assert expired.status == PaymentStatus.EXPIRED
    with pytest.raises(ProviderRefused):
        provider.payment_fetch(provider_ref="cs_test_missing")


def test_it_places_the_order_on_a_signed_completed_event(client, alice, stripe_api):
    order = make_order(alice)
    payment = make_payment(order, provider="stripe", provider_ref=SESSION)
    payload = _event("checkout.session.completed")

    response = _deliver(client, payload, stripe_signature(payload, SECRET))
    replayed = _deliver(client, payload, stripe_signature(payload, SECRET))

    assert (response.status_code, replayed.status_code) == (200, 200)
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PAID
    assert Order.objects.get(pk=order.pk).status == OrderStatus.PAID
    assert Enrolment.objects.filter(order_line__order=order).count() == 1
    event = ProviderEvent.objects.get()
    assert (event.event_id, event.kind) == ("evt_1PaidCompleted0001", "checkout.session.completed")
    # The state came with the event: no request to the API.
    assert stripe_api.requests == []


def test_it_never_moves_back_on_a_late_expired_event(client, alice, stripe_api):
    order = make_order(alice)
    payment = make_payment(order, provider="stripe", provider_ref=SESSION)
    for kind in ("checkout.session.completed", "checkout.session.expired"):
        payload = _event(kind)
        _deliver(client, payload, stripe_signature(payload, SECRET))

    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PAID
    assert ProviderEvent.objects.get(event_id="evt_1Expired000000001").outcome.startswith(
        "ignored: expired is older"
    )


def test_it_rejects_a_wrong_or_stale_signature_and_stores_nothing(client, alice, stripe_api):
    make_payment(make_order(alice), provider="stripe", provider_ref=SESSION)
    payload = _event("checkout.session.completed")

    wrong_secret = _deliver(client, payload, stripe_signature(payload, "whsec_other"))
    stale = _deliver(
        client, payload, stripe_signature(payload, SECRET, timestamp=int(time.time()) - 301)
    )
    tampered = _deliver(
        client, payload.replace(b"39000", b"100"), stripe_signature(payload, SECRET)
    )
    unsigned = client.post(URL, payload, content_type="application/json")

    assert [r.status_code for r in (wrong_secret, stale, tampered, unsigned)] == [400] * 4
    assert not ProviderEvent.objects.exists()


def test_it_stores_and_ignores_events_about_something_else(client, stripe_api):
    payload = _event("payment_intent.created")

    assert _deliver(client, payload, stripe_signature(payload, SECRET)).status_code == 200

    event = ProviderEvent.objects.get()
    assert event.outcome == "ignored: not about a payment's state"


def test_it_parses_without_the_view(stripe_api):
    provider = registry.provider_get()
    payload = _event("checkout.session.completed")

    notice = provider.webhook_parse(
        body=payload, headers={"Stripe-Signature": stripe_signature(payload, SECRET)}
    )

    assert notice.payment.status == PaymentStatus.PAID
    with pytest.raises(WebhookRejected):
        provider.webhook_parse(body=b"\xff", headers={"Stripe-Signature": "t=1,v1=00"})


def test_it_reconciles_a_session_whose_webhook_never_came(alice, stripe_api):
    order = make_order(alice)
    payment = make_payment(order, provider="stripe", provider_ref=SESSION)

    assert payment_reconcile(older_than_minutes=0) == 1

    payment.refresh_from_db()
    assert (payment.status, payment.method) == (PaymentStatus.PAID, "bancontact")
    assert Order.objects.get(pk=order.pk).status == OrderStatus.PAID


def test_it_refunds_through_the_payment_intent(bill, alice, stripe_api):
    order = make_order(alice, status=OrderStatus.PAID)
    payment = make_payment(
        order, provider="stripe", provider_ref=SESSION, status=PaymentStatus.PAID
    )

    refund = refund_create(
        payment=payment, amount_cents=10000, reason="Goodwill", requested_by=bill
    )

    assert (refund.status, refund.provider_ref) == ("refunded", "re_3PaidRefund0001")
    payment.refresh_from_db()
    assert payment.refunded_cents == 10000
    method, path, headers, body = stripe_api.requests[-1]
    assert (method, path) == ("POST", "/v1/refunds")
    assert headers["Idempotency-Key"] == f"refund:{refund.public_id}"
    assert "payment_intent=pi_3PaidIntent0001" in body.decode()
    assert "amount=10000" in body.decode()
