"""The home page in a real browser: three languages, accessible frame, no third-party request."""

from __future__ import annotations

import io
from urllib.parse import urlsplit

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from tests.e2e.browsing import guarded_page

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


HEADINGS = {
    "fr": "Apprenez une langue avec des professeurs passionnés",
    "en": "Learn a language with people who love teaching it",
    "nl": "Leer een taal van docenten met passie voor lesgeven",
}


@pytest.fixture
def demo(transactional_db):
    call_command("load_demo", sessions=12, stdout=io.StringIO())


@pytest.fixture
def page(browser, live_server, traffic):
    """A page that refuses, and records, every request to another origin."""
    with guarded_page(
        browser, live_server.url, traffic, viewport={"width": 1280, "height": 900}
    ) as page:
        yield page


def check_language(page, language: str):
    expect(page.locator("html")).to_have_attribute("lang", language)
    expect(page.locator("h1")).to_have_text(HEADINGS[language])
    current = page.locator(".lang-switch a[aria-current='true']")
    expect(current).to_have_count(1)
    expect(current).to_have_attribute("hreflang", language)


def test_it_switches_language_and_stays_on_this_site(page, live_server, demo, traffic):
    page.goto(f"{live_server.url}/fr/")
    check_language(page, "fr")
    expect(page.get_by_role("heading", name="Prochaines sessions")).to_be_visible()

    page.locator(".lang-switch").get_by_role("link", name="English", exact=True).click()
    page.wait_for_url("**/en/")
    check_language(page, "en")
    expect(page.get_by_role("heading", name="Upcoming sessions")).to_be_visible()

    page.locator(".lang-switch").get_by_role("link", name="Nederlands", exact=True).click()
    page.wait_for_url("**/nl/")
    check_language(page, "nl")
    expect(page.get_by_role("heading", name="Komende sessies")).to_be_visible()

    assert traffic.foreign == []
    paths = {urlsplit(url).path for url in traffic.requested}
    assert {"/static/css/site.css", "/static/js/site.js", "/static/images/logo.svg"} <= paths
    # A CSP violation (an inline style or a script without the nonce) is reported as an error.
    assert traffic.console_errors == []


def test_it_has_landmarks_and_a_working_skip_link(page, live_server, demo):
    page.goto(f"{live_server.url}/fr/")

    for role in ("banner", "main", "contentinfo"):
        expect(page.get_by_role(role)).to_have_count(1)
    expect(page.get_by_role("navigation", name="Navigation principale")).to_have_count(1)
    expect(page.get_by_role("navigation", name="Choisir une langue")).to_have_count(1)
    expect(page.locator("h1")).to_have_count(1)

    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Aller au contenu principal")
    expect(skip).to_be_focused()
    expect(skip).to_be_in_viewport()
    page.keyboard.press("Enter")
    expect(page.locator("main#main")).to_be_focused()


def test_the_stylesheet_and_script_are_applied(page, live_server, demo):
    page.goto(f"{live_server.url}/en/")

    font = page.evaluate("getComputedStyle(document.body).fontFamily")
    assert "system-ui" in font
    expect(page.locator("html")).to_have_class("js")


def test_the_menu_folds_on_a_small_screen(page, live_server, demo):
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{live_server.url}/en/")

    toggle = page.get_by_role("button", name="Menu")
    courses = page.get_by_role("navigation", name="Main").get_by_role("link", name="Courses")
    expect(toggle).to_have_attribute("aria-expanded", "false")
    expect(courses).to_be_hidden()

    toggle.click()
    expect(toggle).to_have_attribute("aria-expanded", "true")
    expect(courses).to_be_visible()

    page.keyboard.press("Escape")
    expect(courses).to_be_hidden()
    expect(toggle).to_be_focused()
