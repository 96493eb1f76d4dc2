"""WCAG 2.1 A and AA rules of axe-core, run in Chromium on the site's pages.

The accessibility statement (templates/content/pages/accessibility.html) says every build checks
the site's main pages automatically: this file is that check (keep the two in step). axe-core
is the copy bundled in the ``axe-playwright-python`` wheel (nothing is downloaded). It is
injected with Playwright's ``page.evaluate``, which runs through the DevTools protocol and not
through a ``<script>`` element, so the nonce-based Content Security Policy stays on exactly as
in production: a page that only passes with the policy relaxed would prove nothing about what
visitors get.

Only the WCAG 2.0/2.1 A and AA rules run (``runOnly`` tags); no rule and no element is excluded.
A violation fails the test with its rule, impact, help and the selectors of the elements at fault.

One browser context per group of pages (anonymous, signed-in learner, staff member), kept for the
whole module; a signed-in group gets a fresh session cookie in each test, since the database (and
the session in it) is emptied after every test.
"""

from __future__ import annotations

import datetime
import io
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.conf import settings
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.test import Client
from django.utils import timezone
from playwright.sync_api import Page, expect

from cll.accounts.models import User
from cll.accounts.services import profile_update
from cll.content.models import NewsItem
from cll.courses.models import Session
from cll.dsar.models import DataSubjectRequest
from cll.dsar.services import request_enter
from cll.privacy.datamap import Role
from conftest import PASSWORD, staff_login
from tests.e2e.browsing import Traffic, guarded_page

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WCAG_A_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
AXE_OPTIONS = {"runOnly": {"type": "tag", "values": WCAG_A_AA}, "resultTypes": ["violations"]}
GROUPS = ("anonymous", "learner", "staff")
AXE = Axe()  # the axe-core source bundled in the wheel, read once


def _session_path(language: str) -> str:
    session = Session.objects.filter(is_published=True).order_by("starts_on", "slug").first()
    assert session is not None, "load_demo made no published session"
    return f"/{language}/courses/{session.slug}/"


def _news_path(language: str) -> str:
    item = NewsItem.objects.published().order_by("-published_at", "slug").first()
    assert item is not None, "load_demo made no published news item"
    return f"/{language}/news/{item.slug}/"


def _open_cookie_choices(page: Page) -> None:
    """The banner's "Choose" button first unfolds the per-category form (consent.js)."""
    banner = page.locator("[data-consent-banner]")
    choose = banner.locator("[data-consent-choose]")
    expect(choose).to_have_text("Choisir")
    choose.click()
    expect(choose).to_have_attribute("aria-expanded", "true")
    expect(banner.locator("[data-consent-choices]")).to_be_visible()


def _save_profile(page: Page) -> None:
    """Saving the profile shows a confirmation message (accounts/includes/messages.html)."""
    page.locator("main form.account-form").get_by_role(
        "button", name="Enregistrer mon profil"
    ).click()
    page.wait_for_url("**/fr/account/profile/")
    expect(page.locator("main [role=status]")).to_contain_text("enregistré")


def _queue_has_requests(page: Page) -> None:
    """The queue's table, with its overdue badge, is what axe must see (see _administrator)."""
    expect(page.locator("main table tbody tr")).to_have_count(2)
    expect(page.locator("main table .badge")).to_have_count(1)


@dataclass(frozen=True)
class Target:
    """One page to check: who looks at it, where, and what to do before axe runs."""

    group: str
    path: str | Callable[[str], str]
    language: str = "fr"
    prepare: Callable[[Page], None] | None = None

    def url_path(self) -> str:
        if callable(self.path):
            return self.path(self.language)
        return f"/{self.language}{self.path}"


PAGES = {
    "anonymous-fr-home": Target("anonymous", "/"),
    "anonymous-fr-home-cookie-choices": Target("anonymous", "/", prepare=_open_cookie_choices),
    "anonymous-fr-catalogue": Target("anonymous", "/courses/"),
    "anonymous-fr-session-detail": Target("anonymous", _session_path),
    "anonymous-fr-news-list": Target("anonymous", "/news/"),
    "anonymous-fr-news-article": Target("anonymous", _news_path),
    "anonymous-fr-contact": Target("anonymous", "/contact/"),
    "anonymous-fr-privacy-policy": Target("anonymous", "/privacy/"),
    "anonymous-fr-terms": Target("anonymous", "/terms/"),
    "anonymous-fr-cookies": Target("anonymous", "/cookies/"),
    "anonymous-fr-accessibility": Target("anonymous", "/accessibility/"),
    "anonymous-fr-privacy-request": Target("anonymous", "/privacy-requests/"),
    "anonymous-fr-login": Target("anonymous", "/account/login/"),
    "anonymous-fr-signup": Target("anonymous", "/account/signup/"),
    "anonymous-fr-password-reset": Target("anonymous", "/account/password/reset/"),
    **{
        f"anonymous-{language}-{name}": Target("anonymous", path, language=language)
        for language in ("en", "nl")
        for name, path in (
            ("home", "/"),
            ("catalogue", "/courses/"),
            ("privacy-policy", "/privacy/"),
        )
    },
    "learner-fr-profile": Target("learner", "/account/profile/"),
    "learner-fr-profile-saved": Target("learner", "/account/profile/", prepare=_save_profile),
    "learner-fr-my-privacy": Target("learner", "/account/privacy/"),
    "staff-fr-analytics": Target("staff", "/staff/analytics/"),
    "staff-fr-privacy-requests": Target("staff", "/staff/requests/", prepare=_queue_has_requests),
}


@pytest.fixture(scope="module")
def contexts(browser, live_server) -> Iterator[dict[str, tuple[Page, Traffic]]]:
    """A guarded page (no request leaves loopback) per group, shared by the module's tests."""
    with ExitStack() as stack:
        pages = {}
        for group in GROUPS:
            traffic = Traffic()
            page = stack.enter_context(
                guarded_page(
                    browser,
                    live_server.url,
                    traffic,
                    viewport={"width": 1280, "height": 900},
                    locale="fr-BE",
                )
            )
            page.set_default_timeout(10_000)
            pages[group] = (page, traffic)
        yield pages


@pytest.fixture
def demo(transactional_db):
    call_command("load_demo", sessions=12, stdout=io.StringIO())


def _learner() -> User:
    user = User.objects.create_user(email="lea.axe@example.org", password=PASSWORD)
    profile_update(
        user=user,
        data={"first_name": "Léa", "last_name": "Dupont", "city": "Wavre", "level": "B1"},
        actor=user,
    )
    return user


def _administrator() -> User:
    """An administrator, with two requests in the queue: an open one and an overdue one, so
    the queue's table (and its overdue badge) is checked, not only its empty state."""
    user = User.objects.create_user(email="ada.axe@example.org", password=PASSWORD)
    user.is_staff = True
    user.save(update_fields=["is_staff"])
    user.groups.set([Group.objects.get_or_create(name=Role.ADMINISTRATOR)[0]])
    for days_ago, kind in (
        (3, DataSubjectRequest.Type.ACCESS),
        (45, DataSubjectRequest.Type.ERASURE),
    ):
        request_enter(
            actor=user,
            type=kind,
            email=f"person{days_ago}@example.org",
            details="",
            language="fr",
            channel=DataSubjectRequest.Channel.EMAIL,
            received_at=timezone.now() - datetime.timedelta(days=days_ago),
            identity_verified=True,
        )
    return user


def _sign_in(page: Page, live_server, group: str) -> None:
    """Give the group's context the session of a freshly signed-in person (or none)."""
    page.context.clear_cookies()
    if group == "anonymous":
        return
    client = Client()
    if group == "learner":
        client.force_login(_learner())
    else:
        # Staff pages need a session that passed a second factor (conftest.staff_login).
        staff_login(client, _administrator())
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    page.context.add_cookies(
        [{"name": cookie.key, "value": cookie.value, "url": live_server.url, "httpOnly": True}]
    )


def _report(results: dict) -> str:
    lines = []
    for violation in results["violations"]:
        lines.append(
            f"- {violation['id']} ({violation['impact']}): {violation['help']}"
            f" [{violation['helpUrl']}]"
        )
        lines.extend(f"    {' '.join(map(str, node['target']))}" for node in violation["nodes"])
    return "\n".join(lines)


@pytest.mark.parametrize("name", list(PAGES))
def test_the_page_meets_the_wcag_2_1_a_and_aa_rules_of_axe(name, contexts, live_server, demo):
    target = PAGES[name]
    page, traffic = contexts[target.group]
    _sign_in(page, live_server, target.group)
    traffic.foreign.clear()
    traffic.console_errors.clear()

    path = target.url_path()
    response = page.goto(f"{live_server.url}{path}")
    assert response is not None and response.status == 200, (path, response and response.status)
    # Not redirected to the sign-in page or elsewhere: axe must judge the page asked for.
    assert page.url == f"{live_server.url}{path}"
    expect(page.locator("html")).to_have_attribute("lang", target.language)
    if target.prepare:
        target.prepare(page)

    results = AXE.run(page, options=AXE_OPTIONS).response

    if results["violations"]:
        pytest.fail(f"WCAG A/AA violations on {path}:\n{_report(results)}", pytrace=False)
    assert traffic.foreign == []
    assert traffic.console_errors == []
