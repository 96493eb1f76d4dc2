"""What every page must respect: CSP (no inline style, no script without the nonce), no asset
from another host, landmarks, skip link, headings in order and the language switcher."""

from __future__ import annotations

import itertools
import re

import pytest
from django.urls import reverse
from django.utils.translation import override

from cll.content.tests.factories import make_news_item
from cll.content.tests.pages import PUBLIC_PAGES, Page
from cll.courses.tests.factories import make_session

pytestmark = pytest.mark.django_db


@pytest.fixture
def pages(db):
    """Every kind of public page, with content, as URLs in French."""
    session = make_session(featured=True)
    item = make_news_item()
    with override("fr"):
        urls = [reverse(name) for name in PUBLIC_PAGES]
        urls += [session.get_absolute_url(), item.get_absolute_url(), "/fr/courses/nope/"]
    return urls


def nonce_of(response) -> str | None:
    match = re.search(r"'nonce-([^']+)'", response.headers.get("Content-Security-Policy", ""))
    return match and match[1]


def test_no_inline_style_and_every_script_has_the_nonce(client, pages):
    for url in pages:
        response = client.get(url)
        html = response.content.decode()
        page = Page.of(html)

        assert not [e for e in page.elements if "style" in e.attrs], url
        assert not page.find_all("style"), url
        scripts = page.find_all("script")
        assert scripts, url
        for script in scripts:
            assert script.attrs.get("nonce") == nonce_of(response), url
            assert script.attrs.get("src", "").startswith("/static/"), url
            assert not script.text.strip(), url


def test_no_asset_comes_from_another_host(client, pages):
    for url in pages:
        page = Page.of(client.get(url).content.decode())
        assets = [e.attrs.get("src") for e in page.elements if e.tag in {"img", "script"}]
        assets += [
            e.attrs.get("href") for e in page.find_all("link") if e.attrs["rel"] != "alternate"
        ]

        assert assets, url
        assert all(asset.startswith("/") and not asset.startswith("//") for asset in assets), url


def test_pages_have_landmarks_a_skip_link_and_headings_in_order(client, pages):
    for url in pages:
        page = Page.of(client.get(url).content.decode())

        assert page.elements[0].tag == "html" and page.elements[0].attrs["lang"] == "fr"
        assert len(page.find_all("header")) >= 1, url
        assert page.find_all("main", id="main"), url
        assert page.find_all("footer"), url
        assert len(page.find_all("nav")) >= 3, url
        skip = page.find_all("a")[0]
        assert skip.attrs["href"] == "#main", url
        levels = [int(e.tag[1]) for e in page.elements if re.fullmatch(r"h[1-6]", e.tag)]
        assert levels[0] == 1 and levels.count(1) == 1, url
        assert all(b - a <= 1 for a, b in itertools.pairwise(levels)), url


def test_images_have_alternative_text(client, pages):
    for url in pages:
        page = Page.of(client.get(url).content.decode())

        assert all("alt" in image.attrs for image in page.find_all("img")), url


def language_links(html: str) -> list[dict]:
    page = Page.of(html)
    return [
        e.attrs | {"text": e.text.strip()} for e in page.find_all("a", class_="lang-switch__link")
    ]


def test_the_switcher_links_to_the_same_page_in_each_language(client):
    make_session()

    # The catalogue keeps its filters in every language.
    links = language_links(client.get("/en/courses/?level=B1").content.decode())

    assert [(link["lang"], link["hreflang"]) for link in links] == [
        ("fr", "fr"),
        ("en", "en"),
        ("nl", "nl"),
    ]
    assert [link["href"] for link in links] == [
        "/fr/courses/?level=B1",
        "/en/courses/?level=B1",
        "/nl/courses/?level=B1",
    ]
    assert [link["text"] for link in links] == ["français", "English", "Nederlands"]
    assert [link.get("aria-current") for link in links] == [None, "true", None]


def test_the_switcher_keeps_catalogue_filters(client):
    links = language_links(client.get("/nl/courses/?language=en&level=B1").content.decode())

    assert links[0]["href"] == "/fr/courses/?language=en&level=B1"


def test_the_switcher_works_on_a_page_that_does_not_exist(client):
    response = client.get("/en/no/such/page/")

    assert response.status_code == 404
    links = language_links(response.content.decode())
    assert [link["href"] for link in links] == [
        "/fr/no/such/page/",
        "/en/no/such/page/",
        "/nl/no/such/page/",
    ]


def test_the_main_navigation_marks_the_current_section(client):
    page = Page.of(client.get("/en/courses/").content.decode())

    current = [
        e for e in page.find_all("a", class_="main-nav__link") if e.attrs.get("aria-current")
    ]
    assert [(e.text, e.attrs["aria-current"]) for e in current] == [("Courses", "page")]


@pytest.mark.parametrize(
    ("path", "current"),
    [
        ("/en/account/profile/", [("My account", "page")]),
        ("/en/account/privacy/", [("My account", "true")]),
        ("/en/account/email/", [("My account", "true")]),
        ("/en/courses/", [("Courses", "page")]),
        ("/en/account/reactivate/", []),
    ],
)
def test_the_main_navigation_marks_my_account_on_the_accounts_pages(client, alice, path, current):
    client.force_login(alice)
    page = Page.of(client.get(path).content.decode())
    marked = [e for e in page.find_all("a", class_="main-nav__link") if e.attrs.get("aria-current")]
    assert [(e.text, e.attrs["aria-current"]) for e in marked] == current
