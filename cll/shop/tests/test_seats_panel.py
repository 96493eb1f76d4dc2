"""The enrol panel on the session page: seats left and the states open / started / full /
ended / by quote; and its freshness for anonymous visitors, who get the page from the cache."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from cll.courses.models import Format
from cll.courses.tests.factories import class_day_before, make_session
from cll.shop import services
from cll.shop.tests.test_order_place import make_child, place, session_with

pytestmark = pytest.mark.django_db


def page(client, session, language: str = "fr") -> str:
    response = client.get(f"/{language}/courses/{session.slug}/")
    assert response.status_code == 200
    return response.content.decode()


def test_it_shows_the_seats_left_and_the_add_to_cart_button(client, charlie):
    session = session_with(12)
    place(charlie, session, billing_name="Charlie")

    html = page(client, session)

    assert "11 places restantes" in html
    assert f'action="{reverse("shop:cart_add")}"' in html
    assert f'value="{session.slug}"' in html
    # The contact link stays.
    assert reverse("helpdesk:contact") in html


@pytest.mark.parametrize(
    ("language", "text"),
    [("fr", "Ajouter au panier"), ("en", "Add to cart"), ("nl", "In winkelmandje")],
)
def test_it_speaks_each_language(client, language, text):
    assert text in page(client, make_session(), language)


def test_a_full_session_offers_the_waiting_list(client, charlie):
    session = session_with(1)
    place(charlie, session, billing_name="Charlie")

    html = page(client, session)

    assert "Cette session est complète." in html
    assert reverse("shop:waitlist_join", kwargs={"slug": session.slug}) in html
    assert reverse("shop:cart_add") not in html


def test_a_started_session_can_still_be_joined(client):
    # Its first class was before today (three days back from a Monday is a Friday: a session
    # starting then has its first class on Tuesday).
    session = make_session(first_day=class_day_before(timezone.localdate()), hours=20)

    html = page(client, session)

    assert "Cette session a commencé. Vous pouvez encore la rejoindre" in html
    assert reverse("shop:cart_add") in html


def test_an_ended_session_offers_nothing(client):
    session = make_session(first_day=timezone.localdate() - dt.timedelta(days=90))

    html = page(client, session)

    assert reverse("shop:cart_add") not in html
    assert "places restantes" not in html


@pytest.mark.parametrize("format", [Format.COMPANY, Format.INDIVIDUAL])
def test_company_and_individual_formats_ask_for_a_quote(client, format):
    session = make_session(format=format)

    html = page(client, session)

    assert f"{reverse('shop:quote_request')}?session={session.slug}" in html
    assert reverse("shop:cart_add") not in html


def test_a_guardian_chooses_who_attends(client, gina):
    make_child(gina, "Lotte")
    client.force_login(gina)

    html = page(client, make_session())

    assert '<select name="learner" id="enrol-learner">' in html
    assert "Lotte Peeters" in html and "Moi-même" in html


def test_it_names_who_already_has_a_seat(client, alice):
    session = make_session()
    place(alice, session)
    client.force_login(alice)

    html = page(client, session)

    assert "Déjà inscrit ou dans une commande en attente de paiement" in html
    assert reverse("shop:cart_add") not in html


def test_cached_anonymous_pages_show_the_new_seat_count_after_an_order(
    alice, django_capture_on_commit_callbacks
):
    visitor = Client()
    session = session_with(5)
    assert "5 places restantes" in page(visitor, session)
    assert "5 places restantes" in page(visitor, session)  # served from the cache now

    with django_capture_on_commit_callbacks(execute=True):
        order = place(alice, session)

    assert "4 places restantes" in page(visitor, session)

    with django_capture_on_commit_callbacks(execute=True):
        services.order_mark_unpaid(order=order, reason="cancelled")

    assert "5 places restantes" in page(visitor, session)


def test_the_anonymous_page_is_still_served_from_the_cache(client, django_assert_num_queries):
    session = make_session()
    page(client, session)

    with django_assert_num_queries(0):
        page(client, session)


def test_a_guardian_already_enrolled_can_still_add_their_child(client, gina):
    session = make_session()
    place(gina, session, billing_name="Gina")
    make_child(gina, "Lotte")
    client.force_login(gina)

    html = page(client, session)

    assert "Pour Lotte Peeters" in html
    assert reverse("shop:cart_add") in html
