"""Deliveries at the same moment (PostgreSQL: real row locks between real transactions): the
same event twice, or two notices that the payment is paid, enrol once."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections

from cll.shop.models import Enrolment, Order, OrderStatus, PaymentStatus, ProviderEvent
from cll.shop.payments import sandbox
from cll.shop.payments.services import webhook_receive
from cll.shop.tests.recordings.loopback import make_order, make_payment

pytestmark = pytest.mark.postgres
ROUNDS = 5


@pytest.fixture
def postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("Writers are serialised by BEGIN IMMEDIATE on SQLite.")


def _at_once(deliveries: list[tuple[bytes, dict]]) -> list[str]:
    start = threading.Barrier(len(deliveries))
    outcomes: list[str] = []
    failures: list[BaseException] = []

    def deliver(body: bytes, headers: dict) -> None:
        try:
            start.wait()
            outcomes.append(webhook_receive(provider_name="sandbox", body=body, headers=headers))
        except BaseException as exc:  # reported by the test
            failures.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=deliver, args=delivery) for delivery in deliveries]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if failures:
        raise failures[0]
    return outcomes


def test_it_enrols_once_when_one_event_arrives_twice_at_once(
    postgres_only, transactional_db, alice
):
    for _round in range(ROUNDS):
        order = make_order(alice)
        payment = make_payment(order)
        delivery = sandbox.webhook_build(payment=payment, outcome=sandbox.PAY)

        outcomes = _at_once([delivery, delivery, delivery])

        assert sorted(outcomes) == [
            "duplicate: already received",
            "duplicate: already received",
            "paid: order placed",
        ]
        assert ProviderEvent.objects.filter(object_ref=payment.provider_ref).count() == 1
        assert Enrolment.objects.filter(order_line__order=order).count() == 1
        Enrolment.objects.filter(order_line__order=order).delete()


def test_it_enrols_once_when_two_paid_notices_arrive_at_once(
    postgres_only, transactional_db, alice
):
    order = make_order(alice)
    payment = make_payment(order)

    outcomes = _at_once(
        [sandbox.webhook_build(payment=payment, outcome=sandbox.PAY) for _ in range(3)]
    )

    assert sorted(outcomes) == [
        "paid: order placed",
        "unchanged: already paid",
        "unchanged: already paid",
    ]
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PAID
    assert Order.objects.get(pk=order.pk).status == OrderStatus.PAID
    assert Enrolment.objects.filter(order_line__order=order).count() == 1
    assert ProviderEvent.objects.filter(object_ref=payment.provider_ref).count() == 3


def test_it_refunds_one_of_two_payments_of_an_order_paid_at_once(
    postgres_only, transactional_db, alice
):
    order = make_order(alice)
    first, second = make_payment(order), make_payment(order)

    outcomes = _at_once(
        [
            sandbox.webhook_build(payment=first, outcome=sandbox.PAY),
            sandbox.webhook_build(payment=second, outcome=sandbox.PAY),
        ]
    )

    assert sorted(outcomes) == [
        "paid: order placed",
        "paid: the order was already paid by another payment, this one is refunded",
    ]
    assert Enrolment.objects.filter(order_line__order=order).count() == 1
