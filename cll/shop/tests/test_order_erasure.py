"""Erasing a buyer keeps their orders and invoices under the accounting legal hold, detached
from them (no name or address left on them), and deletes their enrolments: the data map says
so and the erasure engine does it, with no special code in the shop."""

from __future__ import annotations

import pytest
from django.utils import timezone

from cll.courses.tests.factories import make_session
from cll.erasure.services import erasure_execute
from cll.shop import services
from cll.shop.models import Enrolment, Invoice, Order, OrderStatus
from cll.shop.tests.test_order_place import place

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _journal(settings, tmp_path):
    settings.ERASURE_JOURNAL = tmp_path / "journal.jsonl"


def test_erasing_the_buyer_keeps_the_order_detached_and_deletes_the_enrolments(alice, charlie):
    order = place(alice, make_session(), billing_name="Alice Martin")
    services.order_mark_paid(order=order, paid_at=timezone.now())
    other = place(charlie, make_session(), billing_name="Charlie")

    erasure_execute(subject=alice, reason="test")

    order.refresh_from_db()
    assert order.status == OrderStatus.PAID
    assert order.buyer is None
    assert order.billing_name == "" and order.billing_address == ""
    assert order.lines.get().learner is None
    assert Invoice.objects.filter(order=order).exists()
    assert not Enrolment.objects.filter(order_line__order=order).exists()
    # Nobody else's order is touched.
    other.refresh_from_db()
    assert other.buyer == charlie and other.billing_name == "Charlie"
    assert Order.objects.count() == 2
