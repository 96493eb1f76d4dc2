"""Saving a cookie choice says so on the next page (issue 11, item 4): a translated message,
in a ``role="status"`` region, shown once, naming what the visitor now allows."""

from __future__ import annotations

import pytest

from cll.consent.tests.helpers import ORIGIN, choose
from conftest import status_text

pytestmark = pytest.mark.django_db


def test_it_confirms_a_refusal_in_french(client):
    response = choose(client, "reject_all", next_url="/fr/courses/")
    assert response.status_code == 302
    page = client.get(response["Location"]).content.decode()

    status = status_text(page)
    assert "Votre choix de cookies est enregistré" in status
    assert "seuls les cookies strictement nécessaires sont utilisés" in status
    # Shown once: the next page has no message.
    assert status_text(client.get("/fr/courses/").content.decode()) == ""


def test_it_names_the_allowed_categories_in_dutch(client):
    data = {
        "action": "custom",
        "source": "settings",
        "next": "/nl/cookies/",
        "categories": ["analytics", "preferences"],
    }
    response = client.post("/nl/consent/", data, headers=ORIGIN)
    assert response.status_code == 302
    status = status_text(client.get(response["Location"]).content.decode())

    assert "Uw cookiekeuze is opgeslagen." in status
    assert "Voorkeuren, Statistieken" in status
    assert "cookie choice" not in status


def test_it_confirms_an_acceptance_on_a_cached_public_page(client):
    # The home page is served from the page cache to anonymous visitors: the message must
    # still show (a visitor carrying a message is never served, nor stored, from the cache).
    client.get("/en/")
    response = client.post(
        "/en/consent/",
        {"action": "accept_all", "source": "banner", "next": "/en/"},
        headers=ORIGIN,
    )
    page = client.get(response["Location"]).content.decode()
    status = status_text(page)
    assert "Your cookie choice is saved." in status
    assert "Preferences, Analytics, Advertising" in status
    # And the message did not land in the cache for the next anonymous visitor.
    client.cookies.clear()
    assert status_text(client.get("/en/").content.decode()) == ""


def test_a_refused_choice_shows_no_confirmation(client):
    # A forged cross-site post changes nothing and says nothing.
    response = client.post(
        "/fr/consent/",
        {"action": "accept_all", "source": "banner", "next": "/fr/"},
        headers={"Origin": "https://evil.example"},
    )
    assert response.status_code == 403
    assert status_text(client.get("/fr/").content.decode()) == ""
