"""The checkout page: sign-in required, billing details proposed from the profile, terms and
withdrawal information, the order placed only for the cart the buyer saw, then the payment
page. Bad input gets a translated message and saves nothing."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from cll.accounts.services import profile_update
from cll.courses.tests.factories import make_session
from cll.policies.selectors import policy_version_current
from cll.privacy.models import AuditEntry
from cll.shop import services, waitlist
from cll.shop.models import Order, OrderStatus, Payment
from cll.shop.tests.test_cart import add, items_of
from cll.shop.tests.test_order_place import make_child, place, session_with
from conftest import status_text

pytestmark = pytest.mark.django_db

CHECKOUT = "/fr/shop/checkout/"


def shown(client):
    """The checkout page's form values as a dict to post back."""
    response = client.get(CHECKOUT)
    form = response.context["form"]
    data = {name: form[name].value() or "" for name in form.fields}
    data.update(accept_terms="on")
    data["billing_name"] = data["billing_name"] or "Alice Martin"
    data.pop("early_start", None)
    return data


def test_it_asks_a_visitor_to_sign_in_first(client):
    add(client, make_session())

    response = client.get(CHECKOUT)

    assert response.status_code == 302
    assert reverse("account_login") in response.url and "next=" in response.url
    # The cart is still there for after the sign-in.
    assert items_of(client)


def test_it_proposes_the_billing_details_of_the_profile(client, alice):
    profile_update(
        user=alice,
        data={
            "first_name": "Alice",
            "last_name": "Martin",
            "street": "Rue des Wallons 12",
            "postcode": "1348",
            "city": "Louvain-la-Neuve",
            "country": "BE",
        },
        actor=alice,
    )
    client.force_login(alice)
    add(client, make_session())

    response = client.get(CHECKOUT)

    assert response.status_code == 200
    form = response.context["form"]
    assert form["billing_name"].value() == "Alice Martin"
    assert form["billing_address"].value() == "Rue des Wallons 12\n1348 Louvain-la-Neuve\nBelgique"
    html = response.content.decode()
    assert reverse("policies:terms") in html
    assert policy_version_current("terms") in html
    assert "14 jours" in html


def test_it_places_the_order_and_goes_to_the_payment_page(client, alice):
    client.force_login(alice)
    session = make_session(price_cents=39000)
    add(client, session)

    response = client.post(CHECKOUT, shown(client) | {"billing_name": "Alice Martin"})

    order = Order.objects.get()
    assert order.status == OrderStatus.PENDING and order.total_cents == 39000
    assert order.language == "fr"
    assert response.status_code == 302
    payment = Payment.objects.get(order=order)
    assert payment.amount_cents == 39000
    assert "/shop/pay/" in response.url
    # Ordered lines leave the cart.
    assert not items_of(client)
    entry = AuditEntry.objects.get(action="order.place")
    assert entry.route == "shop:checkout"


def test_it_records_the_early_start_request(client, alice):
    client.force_login(alice)
    add(client, make_session(first_day=timezone.localdate() + dt.timedelta(days=2)))

    client.post(CHECKOUT, shown(client) | {"early_start": "on"})

    assert Order.objects.get().early_start_requested is True


def test_it_does_not_offer_the_early_start_when_nothing_starts_within_14_days(client, alice):
    client.force_login(alice)
    add(client, make_session(first_day=timezone.localdate() + dt.timedelta(days=30)))

    response = client.get(CHECKOUT)

    assert "early_start" not in response.context["form"].fields


def test_it_requires_the_terms(client, alice):
    client.force_login(alice)
    add(client, make_session())
    data = shown(client)
    del data["accept_terms"]

    response = client.post(CHECKOUT, data)

    assert response.status_code == 200
    assert "accepter les conditions générales" in response.content.decode()
    assert not Order.objects.exists()


def test_it_refuses_a_cart_changed_since_the_page_was_shown(client, alice):
    client.force_login(alice)
    session = make_session(price_cents=39000)
    add(client, session)
    data = shown(client)
    session.price_cents = 45000
    session.save(update_fields=["price_cents"])

    response = client.post(CHECKOUT, data)

    assert response.status_code == 200
    assert "Votre panier a changé" in status_text(response.content.decode())
    assert not Order.objects.exists()
    # The page now shows the new price, ready to be confirmed.
    assert response.context["form"]["cart_digest"].value() == response.context["contents"].digest


def test_tampered_prices_and_totals_are_ignored(client, alice):
    client.force_login(alice)
    add(client, make_session(price_cents=39000))

    client.post(CHECKOUT, shown(client) | {"price_cents": "1", "total_cents": "1"})

    assert Order.objects.get().total_cents == 39000


def test_it_refuses_terms_changed_during_the_checkout(client, alice):
    client.force_login(alice)
    add(client, make_session())

    response = client.post(CHECKOUT, shown(client) | {"terms_version": "1999-01"})

    assert response.status_code == 200
    assert "conditions générales ont changé" in status_text(response.content.decode())
    assert not Order.objects.exists()


def test_a_session_that_filled_up_meanwhile_is_refused_and_removed(client, alice, charlie):
    client.force_login(alice)
    session = session_with(1)
    add(client, session)
    data = shown(client)
    # Someone else takes the last seat while alice reads the terms.
    place(charlie, session, billing_name="Charlie")

    response = client.post(CHECKOUT, data)

    assert not Order.objects.filter(buyer=alice).exists()
    assert response.status_code == 200
    html = response.content.decode()
    assert "Certaines sessions de votre panier ne peuvent pas être commandées" in status_text(html)
    assert "Cette session est complète." in html


def test_an_empty_or_expired_cart_sends_back_to_the_cart(client, alice):
    client.force_login(alice)

    response = client.post(CHECKOUT, {"accept_terms": "on", "billing_name": "A"})

    assert response.url == reverse("shop:cart")
    assert "panier est vide" in status_text(client.get(response.url).content.decode())
    assert not Order.objects.exists()


def test_a_guardian_orders_for_their_child(client, gina):
    child = make_child(gina)
    client.force_login(gina)
    add(client, make_session(), learner=str(child.public_id))

    client.post(CHECKOUT, shown(client) | {"billing_name": "Gina Peeters"})

    line = Order.objects.get().lines.get()
    assert line.learner == child


def test_the_checkout_page_is_never_stored(client, alice):
    client.force_login(alice)
    add(client, make_session())

    response = client.get(CHECKOUT)

    assert "no-store" in response["Cache-Control"]


def test_markup_in_the_invoice_name_is_refused(client, alice):
    client.force_login(alice)
    add(client, make_session())

    response = client.post(CHECKOUT, shown(client) | {"billing_name": "<script>x</script>"})

    assert response.status_code == 200
    assert not Order.objects.exists()


def test_the_seat_offered_from_the_waiting_list_is_free_only_for_its_person(
    client, alice, charlie, dora, django_capture_on_commit_callbacks
):
    session = session_with(1)
    order = place(alice, session)
    waitlist.waitlist_join(session=session, learner=charlie, requested_by=charlie)
    with django_capture_on_commit_callbacks(execute=True):
        services.order_mark_unpaid(order=order, reason="cancelled")

    client.force_login(dora)
    add(client, session)
    assert not items_of(client)

    client.force_login(charlie)
    add(client, session)
    assert items_of(client)
    client.post(CHECKOUT, shown(client) | {"billing_name": "Charlie"})

    assert Order.objects.get(buyer=charlie).status == OrderStatus.PENDING
