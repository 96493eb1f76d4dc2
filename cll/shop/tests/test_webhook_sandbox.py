"""Webhooks, through the sandbox's signed notifications: authenticated, stored by event id,
processed once, never backwards."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.urls import reverse
from django.utils import timezone

from cll.shop.models import (
    Enrolment,
    Order,
    OrderStatus,
    Payment,
    PaymentStatus,
    ProviderEvent,
)
from cll.shop.payments import sandbox
from cll.shop.payments.base import ProviderPayment
from cll.shop.payments.services import payment_apply, webhook_receive
from cll.shop.tests.recordings.loopback import make_order, make_payment

pytestmark = pytest.mark.django_db

URL = reverse("shop:payment_webhook", kwargs={"provider": "sandbox"})


def _post(client, body: bytes, headers: dict[str, str]):
    extra = {f"HTTP_{name.upper().replace('-', '_')}": value for name, value in headers.items()}
    return client.post(URL, body, content_type="application/json", **extra)


@pytest.fixture
def open_payment(alice):
    return make_payment(make_order(alice))


def test_it_places_the_order_when_the_payment_is_paid(client, open_payment):
    body, headers = sandbox.webhook_build(payment=open_payment, outcome=sandbox.PAY)

    response = _post(client, body, headers)

    assert response.status_code == 200
    open_payment.refresh_from_db()
    assert open_payment.status == PaymentStatus.PAID
    assert open_payment.paid_at is not None
    assert open_payment.order.__class__.objects.get(pk=open_payment.order_id).status == (
        OrderStatus.PAID
    )
    assert Enrolment.objects.filter(order_line__order=open_payment.order).count() == 1
    event = ProviderEvent.objects.get(provider="sandbox")
    assert (event.kind, event.object_ref) == ("payment.paid", open_payment.provider_ref)
    assert event.processed_at is not None
    assert event.outcome == "paid: order placed"


def test_it_changes_nothing_on_a_replayed_event(client, open_payment):
    body, headers = sandbox.webhook_build(payment=open_payment, outcome=sandbox.PAY)
    _post(client, body, headers)

    assert webhook_receive(provider_name="sandbox", body=body, headers=headers) == (
        "duplicate: already received"
    )
    assert _post(client, body, headers).status_code == 200
    assert ProviderEvent.objects.count() == 1
    assert Enrolment.objects.filter(order_line__order=open_payment.order).count() == 1


def test_it_never_moves_a_paid_payment_backwards(client, open_payment):
    _post(client, *sandbox.webhook_build(payment=open_payment, outcome=sandbox.PAY))
    # Older notices delivered late: "failed", then "cancelled".
    for outcome in (sandbox.FAIL, sandbox.CANCEL, sandbox.SLOW):
        _post(client, *sandbox.webhook_build(payment=open_payment, outcome=outcome))

    open_payment.refresh_from_db()
    assert open_payment.status == PaymentStatus.PAID
    assert Order.objects.get(pk=open_payment.order_id).status == OrderStatus.PAID
    assert Enrolment.objects.filter(order_line__order=open_payment.order).count() == 1
    outcomes = list(ProviderEvent.objects.order_by("id").values_list("outcome", flat=True))
    assert outcomes[1:] == [
        "ignored: failed is older than the payment's state (paid)",
        "ignored: cancelled is older than the payment's state (paid)",
        "ignored: pending is older than the payment's state (paid)",
    ]


def test_it_ignores_an_open_state_after_pending(open_payment):
    payment_apply(
        payment=open_payment,
        state=ProviderPayment(open_payment.provider_ref, PaymentStatus.PENDING, 39000),
    )
    outcome = payment_apply(
        payment=open_payment,
        state=ProviderPayment(open_payment.provider_ref, PaymentStatus.OPEN, 39000),
    )

    assert outcome == "ignored: open is older than the payment's state (pending)"
    open_payment.refresh_from_db()
    assert open_payment.status == PaymentStatus.PENDING


@pytest.mark.parametrize("outcome", [sandbox.FAIL, sandbox.CANCEL])
def test_it_releases_the_order_of_a_failed_or_cancelled_payment(client, open_payment, outcome):
    _post(client, *sandbox.webhook_build(payment=open_payment, outcome=outcome))

    open_payment.refresh_from_db()
    assert open_payment.status == sandbox.OUTCOMES[outcome]
    assert Order.objects.get(pk=open_payment.order_id).status == OrderStatus.CANCELLED
    assert not Enrolment.objects.exists()
    assert ProviderEvent.objects.get().outcome.endswith("the order's seats are released")


def test_it_keeps_the_order_while_another_payment_of_it_is_open(client, alice):
    order = make_order(alice)
    first, retry = make_payment(order), make_payment(order)

    _post(client, *sandbox.webhook_build(payment=first, outcome=sandbox.FAIL))

    assert Order.objects.get(pk=order.pk).status == OrderStatus.PENDING
    _post(client, *sandbox.webhook_build(payment=retry, outcome=sandbox.PAY))
    assert Order.objects.get(pk=order.pk).status == OrderStatus.PAID
    assert Enrolment.objects.filter(order_line__order=order).count() == 1


def test_it_refuses_a_bad_signature_and_stores_nothing(client, open_payment):
    body, headers = sandbox.webhook_build(payment=open_payment, outcome=sandbox.PAY)
    forged = body.replace(b'"status":"paid"', b'"status":"paid" ')

    assert _post(client, forged, headers).status_code == 400
    assert _post(client, body, {}).status_code == 400
    timestamp = headers[sandbox.SIGNATURE_HEADER].split(",")[0]
    wrong = {sandbox.SIGNATURE_HEADER: f"{timestamp},v1={'0' * 64}"}
    assert _post(client, body, wrong).status_code == 400

    assert not ProviderEvent.objects.exists()
    open_payment.refresh_from_db()
    assert open_payment.status == PaymentStatus.OPEN


def test_it_refuses_a_signature_outside_the_tolerance(client, open_payment):
    stale = timezone.now() - sandbox.TOLERANCE - dt.timedelta(seconds=5)
    body, headers = sandbox.webhook_build(payment=open_payment, outcome=sandbox.PAY, now=stale)

    assert _post(client, body, headers).status_code == 400
    assert not ProviderEvent.objects.exists()


def test_it_stores_a_notice_about_an_unknown_payment_and_answers_200(client, open_payment):
    body, headers = sandbox.webhook_build(payment=open_payment, outcome=sandbox.PAY)
    Payment.objects.filter(pk=open_payment.pk).update(provider_ref="sbx_someoneelse000000")

    assert _post(client, body, headers).status_code == 200

    event = ProviderEvent.objects.get()
    assert event.outcome == "unknown payment"
    assert not Enrolment.objects.exists()


def test_it_ignores_a_paid_notice_for_another_amount(client, open_payment):
    body, _headers = sandbox.webhook_build(payment=open_payment, outcome=sandbox.PAY)
    data = json.loads(body)
    data["payment"]["amount_cents"] = 100
    body = json.dumps(data).encode()
    headers = {
        sandbox.SIGNATURE_HEADER: sandbox.signature(body, timestamp=int(timezone.now().timestamp()))
    }

    assert _post(client, body, headers).status_code == 200

    open_payment.refresh_from_db()
    assert open_payment.status == PaymentStatus.OPEN
    assert ProviderEvent.objects.get().outcome == "ignored: 100 cents paid, 39000 expected"


def test_it_answers_only_posts_of_a_small_body_to_known_providers(client, open_payment):
    assert client.get(URL).status_code == 405
    too_big = b"x" * (64 * 1024 + 1)
    assert client.post(URL, too_big, content_type="application/json").status_code == 413
    other = reverse("shop:payment_webhook", kwargs={"provider": "paypal"})
    assert client.post(other, b"{}", content_type="application/json").status_code == 404
    assert not ProviderEvent.objects.exists()


def test_it_needs_no_login_nor_csrf_token(open_payment):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    body, headers = sandbox.webhook_build(payment=open_payment, outcome=sandbox.PAY)

    assert _post(strict, body, headers).status_code == 200


def test_it_refunds_a_second_payment_of_a_paid_order(
    client, alice, django_capture_on_commit_callbacks
):
    from cll.shop import tasks

    order = make_order(alice)
    first, second = make_payment(order), make_payment(order)
    _post(client, *sandbox.webhook_build(payment=first, outcome=sandbox.PAY))
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        _post(client, *sandbox.webhook_build(payment=second, outcome=sandbox.PAY))
    assert len(callbacks) == 1

    assert tasks.payment_refund_unplaced.call(str(second.public_id)) == "refunded"

    second.refresh_from_db()
    first.refresh_from_db()
    assert second.refunded_cents == second.amount_cents
    assert first.refunded_cents == 0
    assert Order.objects.get(pk=order.pk).status == OrderStatus.PAID
    assert Enrolment.objects.filter(order_line__order=order).count() == 1
    client.force_login(alice)
    page = client.get(reverse("shop:payment_return", kwargs={"public_id": second.public_id}))
    assert "avait déjà été payée par un paiement précédent" in page.content.decode()


def test_it_stops_reading_a_client_after_many_refused_webhooks(client, open_payment):
    from cll.shop.payments.services import WEBHOOK_REJECTIONS_PER_IP

    body, headers = sandbox.webhook_build(payment=open_payment, outcome=sandbox.PAY)
    for _attempt in range(WEBHOOK_REJECTIONS_PER_IP):
        assert _post(client, body, {}).status_code == 400

    # Even a good one: the client is not read until the window ends.
    assert _post(client, body, headers).status_code == 429
    assert not ProviderEvent.objects.exists()
