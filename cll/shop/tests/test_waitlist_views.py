# ruff: noqa: RUF001 -- the French texts use typographic apostrophes.
"""Pages of the waiting lists (cll/shop/waitlist_views.py): join, my waiting lists, leave, and
the e-mailed offer; sign-in and strangers on each; French, English and Dutch."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import translation

from cll.courses.tests.factories import make_session
from cll.privacy.models import AuditEntry
from cll.shop import cart, waitlist
from cll.shop.models import Enrolment, WaitlistEntry, WaitlistStatus
from cll.shop.tests import test_waitlist as helpers
from cll.shop.tests.test_waitlist import (
    NOW,
    child_of,
    free_a_seat,
    full_session,
    offer_token,
    status_of,
)
from conftest import status_text

pytestmark = pytest.mark.django_db

# The frozen clock and the seats_left contract of the service tests.
clock = helpers.clock
seats_left = helpers.seats_left


def url(name: str, language: str = "fr", **kwargs) -> str:
    with translation.override(language):
        return reverse(f"shop:{name}", kwargs=kwargs)


def assert_sign_in_asked(response) -> None:
    assert response.status_code == 302
    assert response.url.startswith("/fr/account/login/?next=")


@pytest.fixture
def session(clock, django_user_model):
    return full_session(django_user_model)


@pytest.fixture
def offered(session, clock, alice, charlie):
    """alice waits first, charlie second; a seat frees and alice is offered it."""
    first = waitlist.waitlist_join(session=session, learner=alice, requested_by=alice)
    clock.shift(dt.timedelta(minutes=1))
    waitlist.waitlist_join(session=session, learner=charlie, requested_by=charlie)
    free_a_seat(session)
    waitlist.waitlist_offer_next(session=session)
    return first, offer_token(alice)


# -- Join -----------------------------------------------------------------------------------------


def test_it_asks_to_sign_in_before_joining(client, session):
    assert_sign_in_asked(client.get(url("waitlist_join", slug=session.slug)))
    assert_sign_in_asked(client.post(url("waitlist_join", slug=session.slug)))
    assert not WaitlistEntry.objects.exists()


def test_it_joins_from_the_session_page_panel(client, session, alice):
    client.force_login(alice)

    response = client.post(url("waitlist_join", slug=session.slug), follow=True)

    entry = WaitlistEntry.objects.get()
    assert (entry.learner, entry.requested_by, entry.status) == (alice, alice, "waiting")
    assert response.redirect_chain[-1][0] == url("waitlist_list")
    assert "Vous êtes sur la liste d’attente" in status_text(response.content.decode())
    assert AuditEntry.objects.filter(action="waitlist.join", actor=alice.public_id).exists()


def test_it_lets_a_guardian_choose_their_child(client, session, gina):
    child = child_of(gina)
    client.force_login(gina)

    page = client.get(url("waitlist_join", slug=session.slug)).content.decode()
    assert "Lotte Peeters" in page and "<legend>" in page
    client.post(url("waitlist_join", slug=session.slug), {"learner": str(child.public_id)})

    entry = WaitlistEntry.objects.get()
    assert (entry.learner, entry.requested_by) == (child, gina)


def test_a_stranger_cannot_put_someone_elses_child_on_a_list(client, session, gina, charlie):
    child = child_of(gina)
    client.force_login(charlie)

    response = client.post(
        url("waitlist_join", slug=session.slug), {"learner": str(child.public_id)}
    )

    assert response.status_code == 400
    assert "Choisissez qui suivra la session." in response.content.decode()
    assert "Lotte" not in response.content.decode()
    assert not WaitlistEntry.objects.exists()


def test_it_says_so_when_the_session_has_free_seats(client, clock, alice):
    session = make_session(first_day=NOW.date() + dt.timedelta(days=14))
    client.force_login(alice)

    page = client.get(url("waitlist_join", slug=session.slug)).content.decode()
    assert "a encore des places libres" in page
    assert f'action="{url("waitlist_join", slug=session.slug)}"' not in page
    response = client.post(url("waitlist_join", slug=session.slug))

    assert response.status_code == 409
    assert response.content.decode().count("a encore des places libres") == 1
    assert not WaitlistEntry.objects.exists()


def test_it_refuses_joining_twice_with_a_clear_message(client, session, alice):
    client.force_login(alice)
    client.post(url("waitlist_join", slug=session.slug))

    response = client.post(url("waitlist_join", slug=session.slug))

    assert response.status_code == 409
    assert "déjà sur la liste d’attente" in response.content.decode()
    assert WaitlistEntry.objects.count() == 1


def test_an_unknown_session_is_not_found(client, alice):
    client.force_login(alice)
    assert client.get(url("waitlist_join", slug="no-such-session")).status_code == 404


# -- My waiting lists and leaving -----------------------------------------------------------------


def test_it_asks_to_sign_in_before_listing(client):
    assert_sign_in_asked(client.get(url("waitlist_list")))


def test_it_lists_my_places_and_nobody_elses(client, session, alice, charlie, clock):
    waitlist.waitlist_join(session=session, learner=alice, requested_by=alice)
    clock.shift(dt.timedelta(minutes=1))
    waitlist.waitlist_join(session=session, learner=charlie, requested_by=charlie)

    client.force_login(charlie)
    page = client.get(url("waitlist_list")).content.decode()

    assert session.title_fr in page
    assert "Numéro 2 sur la liste." in page
    assert page.count("waiting-lists/") - page.count("waiting-lists/join") >= 1
    entry = WaitlistEntry.objects.get(learner=alice)
    assert str(entry.public_id) not in page


def test_it_shows_a_guardian_their_childs_place(client, session, gina):
    child = child_of(gina)
    waitlist.waitlist_join(session=session, learner=child, requested_by=gina)
    client.force_login(gina)

    page = client.get(url("waitlist_list")).content.decode()

    assert "Pour Lotte Peeters" in page


def test_it_asks_to_sign_in_before_leaving(client, session, alice):
    entry = waitlist.waitlist_join(session=session, learner=alice, requested_by=alice)
    assert_sign_in_asked(client.post(url("waitlist_leave", public_id=entry.public_id)))
    assert status_of(entry) == WaitlistStatus.WAITING


def test_it_leaves_a_list(client, session, alice):
    entry = waitlist.waitlist_join(session=session, learner=alice, requested_by=alice)
    client.force_login(alice)

    response = client.post(url("waitlist_leave", public_id=entry.public_id), follow=True)

    assert status_of(entry) == WaitlistStatus.LEFT
    assert "Vous avez quitté la liste d’attente." in status_text(response.content.decode())
    assert AuditEntry.objects.filter(action="waitlist.leave", actor=alice.public_id).exists()


def test_a_stranger_cannot_make_someone_leave(client, session, alice, charlie):
    entry = waitlist.waitlist_join(session=session, learner=alice, requested_by=alice)
    client.force_login(charlie)

    response = client.post(url("waitlist_leave", public_id=entry.public_id))

    assert response.status_code == 404
    assert status_of(entry) == WaitlistStatus.WAITING


def test_leaving_needs_a_post(client, session, alice):
    entry = waitlist.waitlist_join(session=session, learner=alice, requested_by=alice)
    client.force_login(alice)

    assert client.get(url("waitlist_leave", public_id=entry.public_id)).status_code == 405
    assert status_of(entry) == WaitlistStatus.WAITING


# -- The offer ------------------------------------------------------------------------------------


def test_the_offer_asks_to_sign_in(client, offered):
    entry, token = offered

    response = client.get(url("waitlist_offer", token=token))

    assert_sign_in_asked(response)
    assert status_of(entry) == WaitlistStatus.OFFERED


def test_the_offer_is_shown_then_taken_once(client, offered, alice):
    entry, token = offered
    client.force_login(alice)

    page = client.get(url("waitlist_offer", token=token))
    assert page.status_code == 200
    assert entry.session.title_fr in page.content.decode()
    assert "Prendre la place" in page.content.decode()

    response = client.post(url("waitlist_offer", token=token))
    assert response.status_code == 302 and response.url == url("cart")
    assert status_of(entry) == WaitlistStatus.ACCEPTED
    assert cart.cart_items(client.session) == [cart.CartItem(entry.session.slug, "")]
    assert AuditEntry.objects.filter(action="waitlist.accept", actor=alice.public_id).exists()

    for again in (client.get, client.post):
        used = again(url("waitlist_offer", token=token))
        assert used.status_code == 404
        assert "Cette offre n’est plus valable" in used.content.decode()


def test_a_stranger_cannot_use_someone_elses_link(client, offered, charlie):
    entry, token = offered
    client.force_login(charlie)

    for attempt in (client.get, client.post):
        response = attempt(url("waitlist_offer", token=token))
        assert response.status_code == 403
        assert entry.session.title_fr not in response.content.decode()

    assert status_of(entry) == WaitlistStatus.OFFERED
    assert not AuditEntry.objects.filter(action="waitlist.accept").exists()


def test_an_expired_link_shows_a_clear_page(client, offered, clock, alice):
    entry, token = offered
    clock.shift(dt.timedelta(hours=49))
    client.force_login(alice)

    response = client.post(url("waitlist_offer", token=token))

    assert response.status_code == 404
    assert "Cette offre n’est plus valable" in response.content.decode()
    assert status_of(entry) == WaitlistStatus.OFFERED  # the periodic job ends it


def test_an_unknown_link_shows_the_same_page(client, db):
    response = client.get(url("waitlist_offer", token="x" * 43))
    assert response.status_code == 404
    assert "Cette offre n’est plus valable" in response.content.decode()


@pytest.mark.parametrize(
    ("language", "heading", "button"),
    [
        ("fr", "Une place s’est libérée pour vous", "Prendre la place"),
        ("en", "A seat is free for you", "Take the seat"),
        ("nl", "Er is een plaats vrij voor u", "De plaats nemen"),
    ],
)
def test_the_offer_page_speaks_each_language(client, offered, alice, language, heading, button):
    _entry, token = offered
    client.force_login(alice)

    page = client.get(url("waitlist_offer", language, token=token)).content.decode()

    assert f'<html lang="{language}"' in page
    assert heading in page and button in page


@pytest.mark.parametrize(
    ("language", "heading"),
    [("fr", "Mes listes d’attente"), ("en", "My waiting lists"), ("nl", "Mijn wachtlijsten")],
)
def test_the_list_and_join_pages_speak_each_language(client, session, alice, language, heading):
    client.force_login(alice)

    listing = client.get(url("waitlist_list", language)).content.decode()
    joining = client.get(url("waitlist_join", language, slug=session.slug)).content.decode()

    assert heading in listing
    assert getattr(session, f"title_{language}") in joining


def test_a_guardian_takes_the_seat_for_their_child(client, session, gina):
    child = child_of(gina)
    waitlist.waitlist_join(session=session, learner=child, requested_by=gina)
    free_a_seat(session)
    waitlist.waitlist_offer_next(session=session)
    token = offer_token(gina)
    client.force_login(gina)

    assert "Pour Lotte Peeters" in client.get(url("waitlist_offer", token=token)).content.decode()
    client.post(url("waitlist_offer", token=token))

    line = cart.CartItem(session.slug, str(child.public_id))
    assert cart.cart_items(client.session) == [line]


def test_a_full_cart_does_not_use_up_the_link(client, offered, alice):
    entry, token = offered
    client.force_login(alice)
    http_session = client.session
    for number in range(cart.MAX_LINES):
        cart.cart_add(http_session, session_slug=f"other-session-{number}")
    http_session.save()

    response = client.post(url("waitlist_offer", token=token))

    assert response.status_code == 409
    assert "Votre panier est plein" in response.content.decode()
    assert status_of(entry) == WaitlistStatus.OFFERED


def test_the_list_costs_the_same_queries_whatever_its_length(
    client, clock, gina, django_user_model
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    child = child_of(gina)
    client.force_login(gina)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url("waitlist_list")).status_code == 200
        # Data keys made in this test's transaction are never cached (it does not commit);
        # committed ones are, once per person: they are left out of the count.
        return sum("privacy_datakey" not in query["sql"] for query in captured)

    waitlist.waitlist_join(session=full_session(django_user_model), learner=gina, requested_by=gina)
    one = queries()
    for _ in range(3):
        session = full_session(django_user_model)
        for learner in (gina, child):
            waitlist.waitlist_join(session=session, learner=learner, requested_by=gina)
    assert queries() == one


def test_a_seat_taken_from_the_list_shows_as_enrolled(client, offered, alice):
    entry, token = offered
    client.force_login(alice)
    client.post(url("waitlist_offer", token=token))
    Enrolment.objects.create(session=entry.session, learner=alice)

    page = client.get(url("waitlist_list", "en")).content.decode()

    assert "Enrolled: the seat is yours." in page
    assert url("waitlist_leave", "en", public_id=entry.public_id) not in page
