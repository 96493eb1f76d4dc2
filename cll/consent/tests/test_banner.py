"""The first-layer banner: equal buttons, per-category choice, no cookie wall, works without
JavaScript, shown from the consent cookie even on pages served from the page cache."""

from __future__ import annotations

import re

import pytest

from cll.consent.tests.helpers import choose

pytestmark = pytest.mark.django_db

BUTTON = re.compile(r'<button class="([^"]+)" type="submit" name="action" value="(\w+)"')


def banner_of(response) -> str:
    html = response.content.decode()
    start = html.index('<section class="consent-banner"')
    return html[start : html.index("</section>", start)]


def test_it_offers_accept_reject_and_choose_with_equal_prominence(client):
    banner = banner_of(client.get("/fr/"))
    buttons = BUTTON.findall(banner)
    assert [value for _, value in buttons] == ["accept_all", "reject_all", "custom"]
    # Same element, same classes: no choice is made more visible than another.
    assert len({classes for classes, _ in buttons}) == 1
    for label in ("Tout accepter", "Tout refuser", "Choisir"):
        assert f">{label}</button>" in banner


def test_it_offers_each_category_unticked_with_a_label(client):
    banner = banner_of(client.get("/en/"))
    for category in ("preferences", "analytics", "advertising"):
        box = re.search(
            rf'<input type="checkbox" name="categories" value="{category}"[^>]*>', banner
        )
        assert box and "checked" not in box[0]
        assert f'<label for="consent-banner-{category}">' in banner
    assert re.search(r'id="consent-banner-necessary" checked disabled', banner)


def test_it_is_a_plain_form_that_works_without_javascript(client):
    banner = banner_of(client.get("/fr/news/"))
    assert 'method="post" action="/fr/consent/"' in banner
    assert 'name="next" value="/fr/news/"' in banner
    response = choose(client, "custom", ["preferences"], next_url="/fr/news/")
    assert response["Location"] == "/fr/news/"
    assert b"data-consent-banner" not in client.get("/fr/news/").content


def test_it_is_no_cookie_wall(client):
    response = client.get("/fr/courses/")
    assert response.status_code == 200
    assert b'id="main"' in response.content
    assert b"data-consent-banner" in response.content


def test_it_stays_in_the_page_language(client):
    page = client.get("/nl/")
    assert b'action="/nl/consent/"' in page.content
    assert b'name="next" value="/nl/"' in page.content


def test_it_keeps_cached_pages_apart_by_consent(client):
    # The first visitor fills the page cache...
    assert b"data-consent-banner" in client.get("/fr/").content
    # ...a visitor who chose gets a page without the banner, from another cache entry...
    choose(client, "reject_all")
    assert b"data-consent-banner" not in client.get("/fr/").content
    # ...and a new visitor still gets the banner.
    client.cookies.clear()
    assert b"data-consent-banner" in client.get("/fr/").content
    # A signal changes the page (the banner says it is honoured) and is varied on.
    page = client.get("/fr/", headers={"DNT": "1"})
    assert b"data-consent-signal-notice" in page.content
    assert "DNT" in page["Vary"] and "Sec-GPC" in page["Vary"]
    assert b"data-consent-signal-notice" not in client.get("/fr/").content


def test_it_asks_again_on_every_page_once_the_choice_is_stale(client, monkeypatch):
    from cll.consent import selectors

    choose(client, "reject_all")
    assert b"data-consent-banner" not in client.get("/fr/").content
    monkeypatch.setattr(selectors, "BANNER_VERSION", "2099-01-01")
    assert b"data-consent-banner" in client.get("/fr/").content
