"""scripts/run.sh shows a shop in use: ``load_demo_shop`` gives the demo learners paid orders
with enrolments and invoices, a refunded and a cancelled order, a full session with a waiting
list, bob a roster with attendance, Billing a quote request and a fraud report; the demo access
log walks from the catalogue to the cart and to the orders. Running it twice changes nothing."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from cll.accounts.models import User
from cll.analytics.selectors import dashboard_figures
from cll.courses.models import Session
from cll.privacy.models import AuditEntry
from cll.shop import demo, selectors, staff_selectors
from cll.shop.models import (
    Attendance,
    DocumentKind,
    Enrolment,
    EnrolmentStatus,
    FraudReport,
    Invoice,
    Order,
    OrderStatus,
    PaymentStatus,
    QuoteRequest,
    RefundStatus,
    WaitlistEntry,
    WaitlistStatus,
)
from conftest import staff_login

pytestmark = pytest.mark.django_db


def load_school() -> dict[str, User]:
    call_command("load_demo", sessions=12, stdout=io.StringIO())
    call_command("load_demo_accounts", stdout=io.StringIO())
    return {user.email.split("@")[0]: user for user in User.objects.all()}


def load_shop() -> str:
    out = io.StringIO()
    call_command("load_demo_shop", stdout=out, stderr=io.StringIO())
    return out.getvalue()


def shop_counts() -> dict[str, int]:
    return {**demo.row_counts(), "AuditEntry": AuditEntry.objects.count()}


def test_it_fills_the_shop_through_its_services_once(client):
    people = load_school()
    output = load_shop()
    assert "Demo shop ready" in output and "Order" in output
    first = shop_counts()

    assert load_shop().endswith("nothing new.\n")
    assert shop_counts() == first

    alice, lucas, sofia, gina, bob = (people[n] for n in ("alice", "lucas", "sofia", "gina", "bob"))
    # Paid orders with their enrolments and invoices, for each demo learner.
    paid = Order.objects.filter(status=OrderStatus.PAID)
    assert set(paid.values_list("buyer__email", flat=True)) == {
        alice.email,
        lucas.email,
        sofia.email,
        gina.email,
    }
    assert paid.get(buyer=alice).lines.count() == 3
    for order in paid:
        assert order.invoices.filter(kind=DocumentKind.INVOICE).count() == 1
        assert order.payments.get().status == PaymentStatus.PAID
        assert (
            Enrolment.objects.filter(order_line__order=order, status=EnrolmentStatus.ACTIVE).count()
            == order.lines.count()
        )
    # gina enrolled her child.
    child_order = paid.get(buyer=gina)
    child = child_order.lines.get().learner
    assert child != gina and child.guardianships.get().guardian == gina
    # lucas's refunded order: its refund went through and has its credit note.
    refunded = Order.objects.get(status=OrderStatus.REFUNDED)
    assert refunded.buyer == lucas
    refund = refunded.payments.get().refunds.get()
    assert refund.status == RefundStatus.REFUNDED and refund.amount_cents == refunded.total_cents
    assert refund.credit_note.kind == DocumentKind.CREDIT_NOTE
    assert not Enrolment.objects.filter(
        order_line__order=refunded, status=EnrolmentStatus.ACTIVE
    ).exists()
    # sofia's cancelled order: unpaid, no enrolment, no invoice.
    cancelled = Order.objects.get(status=OrderStatus.CANCELLED)
    assert cancelled.buyer == sofia and cancelled.paid_at is None
    assert cancelled.payments.get().status == PaymentStatus.CANCELLED
    assert not Enrolment.objects.filter(order_line__order=cancelled).exists()
    assert not cancelled.invoices.exists()
    assert Invoice.objects.filter(kind=DocumentKind.INVOICE).count() == paid.count() + 1

    # The full session: no seat left, two people waiting (gina and her child, asked by gina).
    entries = WaitlistEntry.objects.filter(status=WaitlistStatus.WAITING)
    assert entries.count() == 2
    full = entries.first().session
    assert set(entries.values_list("session", flat=True)) == {full.pk}
    assert set(entries.values_list("learner", flat=True)) == {gina.pk, child.pk}
    assert set(entries.values_list("requested_by", flat=True)) == {gina.pk}
    assert selectors.seats_left(session=full) == 0
    assert full.enrolments.filter(status=EnrolmentStatus.ACTIVE).count() == full.capacity

    # bob's roster and the attendance he marked for lessons already given.
    rosters = {
        session: staff_selectors.roster_for(staff=bob, session=session)
        for session in staff_selectors.taught_session_list_for(staff=bob)
    }
    names = {row.name for rows in rosters.values() for row in rows}
    assert {"Alice Lambert", "Lucas Janssens", "Sofía García"} <= names
    marked = Attendance.objects.select_related("course", "course__session")
    assert marked.exists()
    assert {row.course.session.teacher_id for row in marked} == {bob.pk}
    assert all(row.course.date < timezone.localdate() for row in marked)
    assert {row.marked_by_id for row in marked} == {bob.pk}
    staff_login(client, bob)
    started = marked.first().course.session
    page = client.get(f"/en/staff/shop/classes/{started.slug}/")
    assert page.status_code == 200 and "Lambert" in page.content.decode()

    # Billing's cases, from the public forms' services.
    assert QuoteRequest.objects.get().account == lucas
    assert FraudReport.objects.get().account == sofia


def test_it_gives_bob_a_started_session_when_the_catalogue_has_none():
    people = load_school()
    today = timezone.localdate()
    # A catalogue where nothing has started yet: the demo makes a session that has.
    Session.objects.filter(starts_on__lt=today).delete()
    load_shop()
    started = Session.objects.get(teacher=people["bob"], starts_on__lt=today, ends_on__gte=today)
    assert started.enrolments.filter(status=EnrolmentStatus.ACTIVE).count() == 3
    assert Attendance.objects.filter(course__session=started).exists()


def test_it_counts_cart_and_order_steps_in_the_demo_funnel():
    load_school()
    today = timezone.localdate()
    figures = dashboard_figures(start=today - dt.timedelta(days=30), end=today)
    funnel = dict(figures.tops["funnel"])
    assert funnel["catalogue"] >= funnel["cart"] >= funnel["order"] > 0


def test_it_asks_for_the_demo_school_first():
    with pytest.raises(CommandError, match="load_demo"):
        load_shop()
    call_command("load_demo", sessions=12, stdout=io.StringIO())
    with pytest.raises(CommandError, match="load_demo_accounts"):
        load_shop()
    assert not Order.objects.exists()


def test_it_refuses_to_run_in_production(settings):
    settings.PRODUCTION = True
    with pytest.raises(CommandError, match="production"):
        load_shop()
