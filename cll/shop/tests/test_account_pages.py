"""The account's shop pages: my orders (and one order), my enrolments, my timetable and its
iCalendar file; cancelling an unpaid order and withdrawing from a paid one. Each page needs
a sign-in, shows only the person's own data (and their children's, audited), and is never
stored by the browser."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar

from cll.core.models import OutboxEmail
from cll.courses.tests.factories import make_session
from cll.privacy.models import AuditEntry
from cll.shop import services
from cll.shop.models import (
    EnrolmentStatus,
    OrderStatus,
    Payment,
    PaymentStatus,
    Refund,
)
from cll.shop.tests.test_order_place import make_child, place, session_with

pytestmark = pytest.mark.django_db

LIST_PAGES = ["shop:order_list", "shop:enrolment_list", "shop:timetable", "shop:timetable_ics"]


def paid(buyer, session, **extra):
    order = place(buyer, session, **extra)
    services.order_mark_paid(order=order, paid_at=timezone.now())
    order.refresh_from_db()
    Payment.objects.create(
        order=order,
        provider="sandbox",
        provider_ref=f"sbx_{order.reference}",
        status=PaymentStatus.PAID,
        amount_cents=order.total_cents,
        paid_at=timezone.now(),
    )
    return order


@pytest.mark.parametrize("name", LIST_PAGES)
def test_every_page_asks_to_sign_in(client, name):
    response = client.get(reverse(name))

    assert response.status_code == 302
    assert reverse("account_login") in response.url


@pytest.mark.parametrize("name", ["shop:order_detail", "shop:order_withdraw"])
def test_an_order_page_asks_to_sign_in(client, alice, name):
    order = place(alice, make_session())

    response = client.get(reverse(name, args=[order.public_id]))

    assert response.status_code == 302 and reverse("account_login") in response.url


@pytest.mark.parametrize(
    "name", ["shop:order_detail", "shop:order_withdraw", "shop:order_pay", "shop:order_cancel"]
)
def test_a_stranger_gets_404_for_someone_else_s_order(client, alice, charlie, name):
    order = place(alice, make_session())
    client.force_login(charlie)

    response = (
        client.get(reverse(name, args=[order.public_id]))
        if name in ("shop:order_detail", "shop:order_withdraw")
        else client.post(reverse(name, args=[order.public_id]))
    )

    assert response.status_code == 404
    order.refresh_from_db()
    assert order.status == OrderStatus.PENDING


def test_my_orders_show_status_lines_totals_and_invoices_and_nobody_else_s(client, alice, charlie):
    mine = paid(alice, make_session(title="Mine", price_cents=39000))
    theirs = place(charlie, make_session(title="Theirs"), billing_name="Charlie")
    client.force_login(alice)

    response = client.get(reverse("shop:order_list"))

    html = response.content.decode()
    assert mine.reference in html and theirs.reference not in html
    assert "FR Mine" in html and "FR Theirs" not in html
    assert "390,00\N{NO-BREAK SPACE}€" in html
    invoice = mine.invoices.get()
    assert reverse("shop:invoice_download", args=[invoice.number]) in html
    assert "no-store" in response["Cache-Control"]


def test_the_order_page_shows_what_was_accepted(client, alice):
    order = place(alice, make_session())
    client.force_login(alice)

    html = client.get(reverse("shop:order_detail", args=[order.public_id])).content.decode()

    assert order.reference in html
    assert order.terms_version in html
    assert reverse("shop:order_pay", args=[order.public_id]) in html
    assert reverse("shop:order_cancel", args=[order.public_id]) in html


def test_the_buyer_cancels_an_unpaid_order(client, alice):
    session = session_with(1)
    order = place(alice, session)
    client.force_login(alice)

    response = client.post(reverse("shop:order_cancel", args=[order.public_id]))

    assert response.status_code == 302
    order.refresh_from_db()
    assert order.status == OrderStatus.CANCELLED
    assert AuditEntry.objects.get(action="order.cancel").actor == alice.public_id


def test_a_paid_order_cannot_be_cancelled_from_the_page(client, alice):
    order = paid(alice, make_session())
    client.force_login(alice)

    client.post(reverse("shop:order_cancel", args=[order.public_id]))

    order.refresh_from_db()
    assert order.status == OrderStatus.PAID


def test_paying_again_goes_to_the_payment_page(client, alice):
    order = place(alice, make_session())
    client.force_login(alice)

    response = client.post(reverse("shop:order_pay", args=[order.public_id]))

    assert response.status_code == 302
    assert Payment.objects.filter(order=order).count() == 1


def test_my_enrolments_include_my_child_s_and_the_read_is_audited(client, gina, charlie):
    child = make_child(gina, "Lotte")
    paid(gina, make_session(title="Kids"), learner=child, billing_name="Gina")
    paid(charlie, make_session(title="Stranger"), billing_name="Charlie")
    client.force_login(gina)

    response = client.get(reverse("shop:enrolment_list"))

    html = response.content.decode()
    assert "FR Kids" in html and "Lotte Peeters" in html
    assert "FR Stranger" not in html
    entry = AuditEntry.objects.get(action="enrolment.read")
    assert entry.actor == gina.public_id and entry.subject == child.public_id
    assert entry.route == "shop:enrolment_list"
    assert "no-store" in response["Cache-Control"]


def test_reading_one_s_own_enrolments_writes_no_audit_entry(client, alice):
    paid(alice, make_session())
    client.force_login(alice)

    client.get(reverse("shop:enrolment_list"))

    assert not AuditEntry.objects.filter(action="enrolment.read").exists()


def test_my_timetable_lists_the_lessons_to_come_by_date(client, alice, charlie):
    session = make_session(title="Timed", hours=6)
    paid(alice, session)
    paid(charlie, make_session(title="Other"), billing_name="Charlie")
    client.force_login(alice)

    response = client.get(reverse("shop:timetable"))

    html = response.content.decode()
    assert "FR Timed" in html and "FR Other" not in html
    assert "3 cours à venir" in html
    courses = list(session.courses.order_by("date"))
    assert html.index(courses[0].date.isoformat()) < html.index(courses[1].date.isoformat())


def test_the_icalendar_file_holds_my_lessons(client, alice):
    session = make_session(title="Cal", hours=4)
    paid(alice, session)
    client.force_login(alice)

    response = client.get(reverse("shop:timetable_ics"))

    assert response["Content-Type"].startswith("text/calendar")
    assert "attachment" in response["Content-Disposition"]
    calendar = Calendar.from_ical(response.content)
    events = [component for component in calendar.walk("VEVENT")]
    assert len(events) == 2
    first = session.courses.order_by("date").first()
    start = events[0].decoded("dtstart")
    assert start.date() == first.date and start.time() == first.starts_at
    assert str(events[0]["summary"]) == "FR Cal"
    assert alice.email not in response.content.decode()


def test_withdrawing_within_14_days_refunds_in_full(client, alice):
    session = session_with(2)
    order = paid(alice, session)
    client.force_login(alice)

    assert (
        "Me rétracter"
        in client.get(reverse("shop:order_detail", args=[order.public_id])).content.decode()
    )
    response = client.post(reverse("shop:order_withdraw", args=[order.public_id]))

    assert response.status_code == 302
    assert order.lines.get().enrolment.status == EnrolmentStatus.WITHDRAWN
    refund = Refund.objects.get(payment__order=order)
    assert refund.amount_cents == order.total_cents
    assert AuditEntry.objects.get(action="order.withdraw").actor == alice.public_id
    email = OutboxEmail.objects.get(kind="emails/order_withdrawn")
    assert email.to_address == alice.email and order.reference in email.subject


def test_after_an_early_start_the_lessons_given_are_kept(alice):
    # 4 lessons of 2 hours; the first two are over.
    session = make_session(first_day=timezone.localdate() - dt.timedelta(days=8), hours=8)
    order = paid(alice, session, early_start=False)
    order.early_start_requested = True
    order.save(update_fields=["early_start_requested"])
    courses = list(session.courses.order_by("date"))
    now = timezone.make_aware(dt.datetime.combine(courses[2].date, dt.time(6, 0)))

    quote = services.order_withdrawal_quote(order=order, now=now)

    assert quote.kept_cents == order.total_cents // 2
    assert quote.refund_cents == order.total_cents - quote.kept_cents


def test_the_withdrawal_period_ends_after_14_days(alice):
    order = paid(alice, make_session())

    quote = services.order_withdrawal_quote(order=order, now=timezone.now() + dt.timedelta(days=15))

    assert quote.refusal and quote.refund_cents == 0


def test_someone_else_cannot_withdraw(alice, charlie):
    order = paid(alice, make_session())

    with pytest.raises(services.OrderRefused):
        services.order_withdraw(order=order, actor=charlie)

    assert order.lines.get().enrolment.status == EnrolmentStatus.ACTIVE
