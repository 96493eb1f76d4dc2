"""Browser tests: Debian's Chromium driven by Playwright against pytest-django's live server."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from tests.e2e.browsing import Traffic, guarded_page

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]


@pytest.fixture(scope="module")
def browser():
    """One Chromium per test module, closed when the module's tests are done.

    Playwright's sync API keeps an event loop running in this thread while it is open, so it
    must not outlive the browser tests: other tests call async_to_sync, and Django's ORM refuses
    to run beside a running loop unless DJANGO_ALLOW_ASYNC_UNSAFE is set. That variable is set
    here for the browser's lifetime only (a subprocess started later, such as
    ``check --deploy``, must not inherit it).
    """
    from playwright.sync_api import sync_playwright

    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium package.")
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            yield browser
            browser.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def traffic() -> Traffic:
    return Traffic()


@pytest.fixture
def page(browser, live_server, traffic):
    """A French-speaking visitor's wide page on the live server that refuses, and records,
    every request to another origin (a module may define its own for another visitor)."""
    with guarded_page(
        browser, live_server.url, traffic, viewport={"width": 1280, "height": 900}, locale="fr-BE"
    ) as page:
        page.set_default_timeout(10_000)
        yield page


def field_label(text: str) -> re.Pattern:
    """A field's whole label: Django appends " :" (with a no-break space) in French."""
    return re.compile(rf"^{re.escape(text)}[\s\u00a0]*:?$")


def browser_staff_login(page, live_server, user) -> None:
    """Give the browser of ``page`` the session of a staff member who signed in with a
    password and a second factor (``conftest.staff_login``): staff pages need both. The
    sign-in itself is tested in test_staff_first_visit_browser.py."""
    from django.conf import settings
    from django.test import Client

    from conftest import staff_login

    client = Client()
    staff_login(client, user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    page.context.clear_cookies()
    page.context.add_cookies(
        [{"name": cookie.key, "value": cookie.value, "url": live_server.url, "httpOnly": True}]
    )
