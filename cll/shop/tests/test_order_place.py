"""Placing an order (services.order_place): rules, prices from the database, the seat hold,
VAT, the withdrawal period and the audit entry. Helpers used by the shop's other tests too."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from cll.accounts.services import child_add
from cll.courses.models import Format
from cll.courses.tests.factories import class_day_before, make_session
from cll.policies.selectors import policy_version_current
from cll.privacy.models import AuditEntry
from cll.shop import selectors, services
from cll.shop.models import Enrolment, Order, OrderLine, OrderStatus

pytestmark = pytest.mark.django_db


def make_child(guardian, first_name: str = "Lotte", years: int = 9):
    born = timezone.localdate() - dt.timedelta(days=365 * years + 5)
    return child_add(
        guardian=guardian,
        data={"first_name": first_name, "last_name": "Peeters", "birth_date": born},
    )


def place(buyer, *sessions, learner=None, early_start: bool = False, **extra) -> Order:
    """An order of one seat per session for ``learner`` (the buyer by default)."""
    return services.order_place(
        buyer=buyer,
        lines=[services.LineRequest(session, learner or buyer) for session in sessions],
        language=extra.pop("language", "fr"),
        terms_version=extra.pop("terms_version", policy_version_current("terms")),
        early_start_requested=early_start,
        billing_name=extra.pop("billing_name", "Alice Martin"),
        **extra,
    )


def session_with(capacity: int, **kwargs):
    session = make_session(**kwargs)
    session.capacity = capacity
    session.save(update_fields=["capacity"])
    return session


def test_it_places_a_pending_order_with_prices_from_the_database(alice):
    first = make_session(price_cents=39000)
    second = make_session(price_cents=12550)

    order = place(alice, first, second)

    assert order.status == OrderStatus.PENDING
    assert order.total_cents == 51550
    assert order.subtotal_cents == 51550 and order.vat_cents == 0 and order.vat_rate_bp == 0
    assert sorted(OrderLine.objects.filter(order=order).values_list("price_cents", flat=True)) == [
        12550,
        39000,
    ]
    assert order.buyer == alice
    assert order.billing_name == "Alice Martin"
    assert order.terms_version == policy_version_current("terms")
    assert len(order.reference) == 9 and order.reference[4] == "-"


def test_it_holds_the_seats_for_the_configured_time(alice, settings):
    settings.SHOP_SEAT_HOLD_MINUTES = 15
    session = session_with(2)
    now = timezone.now()

    order = place(alice, session, now=now)

    assert order.hold_until == now + dt.timedelta(minutes=15)
    assert selectors.seats_left(session=session, now=now) == 1
    # Once the hold has run out, the seat counts as free again.
    assert selectors.seats_left(session=session, now=now + dt.timedelta(minutes=16)) == 2


def test_it_splits_the_vat_included_in_the_price(alice, settings):
    settings.SHOP_VAT_RATE_BP = 2100

    order = place(alice, make_session(price_cents=12100))

    assert (order.subtotal_cents, order.vat_cents, order.total_cents) == (10000, 2100, 12100)
    assert order.vat_rate_bp == 2100


def test_it_rounds_the_vat_to_the_cent():
    assert services.vat_split(1000, 2100) == (826, 174)
    assert services.vat_split(1000, 0) == (1000, 0)


def test_it_sets_the_withdrawal_deadline_fourteen_days_after_the_order(alice):
    now = timezone.now()

    order = place(alice, make_session(), now=now)

    assert order.withdrawal_deadline == timezone.localdate(now) + dt.timedelta(days=14)


def test_it_keeps_the_early_start_request_only_when_a_session_starts_within_the_period(alice):
    soon = make_session(first_day=timezone.localdate() + dt.timedelta(days=3))
    later = make_session(first_day=timezone.localdate() + dt.timedelta(days=40))

    assert place(alice, soon, early_start=True).early_start_requested is True
    assert place(alice, later, early_start=True).early_start_requested is False


def test_it_writes_an_audit_entry_without_personal_data(alice):
    order = place(alice, make_session())

    entry = AuditEntry.objects.get(action="order.place")
    assert entry.actor == alice.public_id and entry.subject == alice.public_id
    assert entry.target == f"shop.Order:{order.public_id}"
    assert entry.detail["lines"] == 1
    assert "Alice" not in str(entry.detail)


def test_it_refuses_a_full_session_and_saves_nothing(alice, charlie):
    session = session_with(1)
    place(charlie, session)

    with pytest.raises(services.SeatsUnavailable) as refused:
        place(alice, session)

    assert refused.value.sessions == [session]
    assert Order.objects.filter(buyer=alice).count() == 0


def test_it_refuses_a_learner_who_already_has_a_seat(alice):
    session = make_session()
    place(alice, session)

    with pytest.raises(services.OrderRefused):
        place(alice, session)
    assert Order.objects.count() == 1


def test_it_refuses_the_same_learner_twice_in_one_order(alice):
    session = make_session()

    with pytest.raises(services.OrderRefused):
        services.order_place(
            buyer=alice,
            lines=[services.LineRequest(session, alice)] * 2,
            language="fr",
            terms_version=policy_version_current("terms"),
            early_start_requested=False,
            billing_name="Alice",
        )


def test_a_guardian_enrols_their_child(gina):
    child = make_child(gina)

    order = place(gina, make_session(), learner=child)

    assert order.buyer == gina
    assert order.lines.get().learner == child


def test_it_refuses_to_enrol_someone_else_s_child(gina, charlie):
    child = make_child(gina)

    with pytest.raises(services.OrderRefused):
        place(charlie, make_session(), learner=child)
    assert not Order.objects.exists()


@pytest.mark.parametrize("format", [Format.COMPANY, Format.INDIVIDUAL])
def test_it_refuses_sessions_sold_by_quote(alice, format):
    with pytest.raises(services.OrderRefused):
        place(alice, make_session(format=format))


def test_it_refuses_an_ended_session_but_sells_a_started_one(alice):
    ended = make_session(first_day=timezone.localdate() - dt.timedelta(days=90))
    started = make_session(first_day=class_day_before(timezone.localdate()), hours=20)

    with pytest.raises(services.OrderRefused):
        place(alice, ended)
    assert place(alice, started).status == OrderStatus.PENDING


def test_it_refuses_terms_that_changed_during_the_checkout(alice):
    with pytest.raises(services.OrderRefused) as refused:
        place(alice, make_session(), terms_version="1999-01")

    assert "conditions générales" in str(refused.value)
    assert not Order.objects.exists()


def test_it_counts_enrolments_and_live_holds_as_taken_seats(alice, charlie):
    session = session_with(3)
    Enrolment.objects.create(session=session, learner=charlie)

    place(alice, session)

    assert selectors.seats_left(session=session) == 1
