"""The cart: kept in the session, filled from the session page (origin-checked, no CSRF
token: the page is cached), prices read from the database, and kept across sign-in."""

from __future__ import annotations

import datetime as dt

import pytest
from allauth.account.models import EmailAddress
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from cll.courses.models import Format
from cll.courses.tests.factories import make_session
from cll.shop import cart
from cll.shop.tests.test_order_place import make_child, place, session_with
from conftest import PASSWORD, status_text

pytestmark = pytest.mark.django_db

ORIGIN = {"HTTP_ORIGIN": "http://testserver"}


def add(client, session, learner: str = "", **headers):
    return client.post(
        reverse("shop:cart_add"),
        {"session": session.slug, "learner": learner},
        **(headers or ORIGIN),
    )


def items_of(client) -> list[cart.CartItem]:
    return cart.cart_items(client.session)


def test_a_visitor_adds_a_session_without_an_account(client):
    session = make_session()

    response = add(client, session)

    assert response.status_code == 302 and response.url == reverse("shop:cart")
    assert items_of(client) == [cart.CartItem(session.slug, "")]
    page = client.get(reverse("shop:cart"))
    assert page.status_code == 200
    html = page.content.decode()
    assert str(session.title) in html
    assert "390,00\N{NO-BREAK SPACE}€" in html
    assert "La session est dans votre panier." in status_text(html)


def test_the_session_page_form_works_without_a_csrf_token(client):
    csrf_client = Client(enforce_csrf_checks=True)
    session = make_session()

    response = add(csrf_client, session)

    assert response.status_code == 302
    assert items_of(csrf_client)


@pytest.mark.parametrize(
    "headers",
    [
        {"HTTP_ORIGIN": "https://evil.example"},
        {"HTTP_SEC_FETCH_SITE": "cross-site"},
        {"HTTP_REFERER": "https://evil.example/page"},
        {"HTTP_X_NOTHING": "1"},
    ],
    ids=["origin", "fetch-site", "referer", "none"],
)
def test_it_refuses_a_cross_site_post(client, headers):
    session = make_session()

    response = add(client, session, **headers)

    assert response.status_code == 403
    assert not items_of(client)


def test_adding_twice_keeps_one_line(client):
    session = make_session()
    add(client, session)

    response = add(client, session)

    assert len(items_of(client)) == 1
    assert "déjà dans votre panier" in status_text(client.get(response.url).content.decode())


def test_it_refuses_a_full_session(client, charlie):
    session = session_with(1)
    place(charlie, session)

    response = add(client, session)

    assert response.url == session.get_absolute_url()
    assert not items_of(client)


@pytest.mark.parametrize("format", [Format.COMPANY, Format.INDIVIDUAL])
def test_it_refuses_a_session_sold_by_quote(client, format):
    response = add(client, make_session(format=format))

    assert response.status_code == 302
    assert not items_of(client)


def test_it_refuses_an_ended_session(client):
    add(client, make_session(first_day=timezone.localdate() - dt.timedelta(days=90)))

    assert not items_of(client)


def test_it_answers_404_for_an_unknown_session(client):
    response = client.post(
        reverse("shop:cart_add"), {"session": "session-nope", "learner": ""}, **ORIGIN
    )

    assert response.status_code == 404


def test_a_visitor_cannot_name_a_child(client, gina):
    child = make_child(gina)

    add(client, make_session(), learner=str(child.public_id))

    assert not items_of(client)


def test_a_guardian_adds_a_seat_for_their_child(client, gina):
    child = make_child(gina)
    client.force_login(gina)
    session = make_session()

    add(client, session, learner=str(child.public_id))

    assert items_of(client) == [cart.CartItem(session.slug, str(child.public_id))]
    html = client.get(reverse("shop:cart")).content.decode()
    assert "Lotte Peeters" in html


def test_a_stranger_cannot_add_someone_else_s_child(client, gina, charlie):
    child = make_child(gina)
    client.force_login(charlie)

    add(client, make_session(), learner=str(child.public_id))

    assert not items_of(client)


def test_tampered_fields_are_refused_or_ignored(client):
    session = make_session(price_cents=39000)

    client.post(
        reverse("shop:cart_add"),
        {"session": session.slug, "price_cents": "1", "quantity": "50"},
        **ORIGIN,
    )
    response = client.post(reverse("shop:cart_add"), {"session": "../../etc"}, **ORIGIN)

    assert response.status_code == 302
    assert items_of(client) == [cart.CartItem(session.slug, "")]
    html = client.get(reverse("shop:cart")).content.decode()
    assert "390,00\N{NO-BREAK SPACE}€" in html and "0,01" not in html


def test_the_price_shown_is_today_s_price(client):
    session = make_session(price_cents=39000)
    add(client, session)
    session.price_cents = 41000
    session.save(update_fields=["price_cents"])

    html = client.get(reverse("shop:cart")).content.decode()

    assert "410,00\N{NO-BREAK SPACE}€" in html


def test_a_line_is_removed(client):
    session = make_session()
    add(client, session)

    response = client.post(reverse("shop:cart_remove"), {"line": cart.CartItem(session.slug).key})

    assert response.url == reverse("shop:cart")
    assert not items_of(client)
    assert "Votre panier est vide" in client.get(reverse("shop:cart")).content.decode()


def test_the_cart_holds_a_bounded_number_of_lines(client):
    sessions = [make_session() for _ in range(cart.MAX_LINES + 1)]
    for session in sessions:
        add(client, session)

    assert len(items_of(client)) == cart.MAX_LINES


def test_the_cart_survives_signing_in(client, alice):
    EmailAddress.objects.create(user=alice, email=alice.email, verified=True, primary=True)
    session = make_session()
    add(client, session)
    before = client.session.session_key

    response = client.post(reverse("account_login"), {"login": alice.email, "password": PASSWORD})

    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(alice.pk)
    # A new session key (no fixation), the same cart.
    assert client.session.session_key != before
    assert items_of(client) == [cart.CartItem(session.slug, "")]


def test_signing_out_empties_the_cart(client, alice):
    client.force_login(alice)
    add(client, make_session())

    client.post(reverse("account_logout"))

    assert not items_of(client)


def test_the_cart_page_is_never_stored(client):
    response = client.get(reverse("shop:cart"))

    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"] or "no-cache" in response["Cache-Control"]


def test_the_cart_page_is_in_every_language(client):
    for language, title in (("fr", "Mon panier"), ("en", "My cart"), ("nl", "Mijn winkelmandje")):
        response = client.get(f"/{language}/shop/cart/")
        assert title in response.content.decode()
