"""Retention of accounting records: an order and every document of it are deleted once the
last of them is older than the start of the oldest accounting year still kept."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from cll.courses.tests.factories import make_session
from cll.privacy.retention import PRUNERS
from cll.shop import retention, services
from cll.shop.models import Invoice, Order, OrderLine, Payment, PaymentStatus
from cll.shop.tests.test_order_place import place

pytestmark = pytest.mark.django_db


def _aged(order: Order, when: dt.datetime) -> None:
    Order.objects.filter(pk=order.pk).update(created_at=when)
    Invoice.objects.filter(order=order).update(issued_at=when)
    Payment.objects.filter(order=order).update(created_at=when, paid_at=when)


def _paid(buyer, when):
    order = place(buyer, make_session())
    services.order_mark_paid(order=order, paid_at=timezone.now())
    Payment.objects.create(
        order=order,
        provider="sandbox",
        provider_ref=f"x{order.pk}",
        status=PaymentStatus.PAID,
        amount_cents=order.total_cents,
    )
    _aged(order, when)
    return order


def test_the_rule_has_its_pruner():
    assert PRUNERS["accounting"] is retention.prune_accounting_records


def test_records_of_a_year_go_once_that_year_is_past_the_period(alice, settings):
    settings.ACCOUNTING_RETENTION_YEARS = 10
    cutoff = retention.accounting_cutoff()
    assert cutoff.year == timezone.localdate().year - 10 and (cutoff.month, cutoff.day) == (1, 1)
    old = _paid(alice, cutoff - dt.timedelta(days=1))
    kept = _paid(alice, cutoff + dt.timedelta(days=1))

    # The old order, its line, its invoice and its payment.
    assert retention.prune_accounting_records(dry_run=True) == 4
    assert Order.objects.count() == 2

    assert retention.prune_accounting_records(dry_run=False) == 4

    assert list(Order.objects.values_list("pk", flat=True)) == [kept.pk]
    assert not OrderLine.objects.filter(order_id=old.pk).exists()
    assert not Invoice.objects.filter(order_id=old.pk).exists()
    assert Invoice.objects.filter(order=kept).exists()


def test_a_later_document_keeps_its_order(alice):
    cutoff = retention.accounting_cutoff()
    order = _paid(alice, cutoff - dt.timedelta(days=1))
    Invoice.objects.filter(order=order).update(issued_at=cutoff + dt.timedelta(days=1))

    retention.prune_accounting_records(dry_run=False)

    assert Order.objects.filter(pk=order.pk).exists()
