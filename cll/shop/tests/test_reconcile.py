"""Reconciliation: payments whose webhook never came are settled by asking the provider."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.utils import timezone

from cll.shop import tasks
from cll.shop.models import Enrolment, Order, OrderStatus, Payment, PaymentStatus
from cll.shop.payments import sandbox
from cll.shop.payments.services import RECONCILE_AFTER_MINUTES, payment_reconcile, webhook_receive
from cll.shop.tests.recordings.loopback import make_order, make_payment

pytestmark = pytest.mark.django_db


def test_it_settles_a_slow_payment_whose_confirmation_never_came(alice):
    order = make_order(alice, hold_minutes=60)
    payment = make_payment(order)
    body, headers = sandbox.webhook_build(payment=payment, outcome=sandbox.SLOW)
    webhook_receive(provider_name="sandbox", body=body, headers=headers)

    # Too young: left to its webhook.
    assert payment_reconcile() == 0
    later = timezone.now() + dt.timedelta(minutes=RECONCILE_AFTER_MINUTES + 1)
    with time_machine.travel(later, tick=False):
        assert tasks.payment_reconcile_run.call() == 1
        assert payment_reconcile() == 0

    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PAID
    assert Order.objects.get(pk=order.pk).status == OrderStatus.PAID
    assert Enrolment.objects.filter(order_line__order=order).count() == 1


def test_it_expires_an_abandoned_payment_and_releases_its_order(alice):
    order = make_order(alice)
    payment = make_payment(order)

    with time_machine.travel(timezone.now() + sandbox.EXPIRES_AFTER, tick=False):
        assert payment_reconcile() == 1

    payment.refresh_from_db()
    assert payment.status == PaymentStatus.EXPIRED
    assert Order.objects.get(pk=order.pk).status == OrderStatus.CANCELLED


def test_it_expires_a_payment_that_never_reached_the_provider(alice):
    payment = make_payment(make_order(alice), provider_ref="")

    assert payment_reconcile(older_than_minutes=0) == 1

    payment.refresh_from_db()
    assert payment.status == PaymentStatus.EXPIRED


def test_it_leaves_settled_payments_alone(alice):
    paid = make_payment(make_order(alice, status=OrderStatus.PAID), status=PaymentStatus.PAID)

    assert payment_reconcile(older_than_minutes=0) == 0

    assert Payment.objects.get(pk=paid.pk).status == PaymentStatus.PAID


def test_it_runs_every_five_minutes():
    from crontask import scheduler

    jobs = {job.name: job for job in scheduler.get_jobs()}
    job = jobs["payment_reconcile_run"]
    assert "minute='*/5'" in str(job.trigger)
