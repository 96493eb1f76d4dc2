"""A staff member's first visit in Chromium (issue 11, item 5).

- sign in, set up the authenticator app, reach the staff home and the admin: exactly one
  password and one code, no re-authentication page on the way;
- the staff home lists exactly the sections each role may open (every role);
- the admin is in French for a French visitor, and links back to the staff home;
- a price typed as "650,50" in the admin is stored as 65050 cents and shown in euros.

Every page is checked for requests to another host and for console errors (a CSP violation is
one), and the staff home and the admin pass axe's WCAG 2.1 A/AA rules.
"""

from __future__ import annotations

import importlib
import re

import pytest
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from axe_playwright_python.sync_playwright import Axe
from django.apps import apps
from django.conf import settings
from django.test import Client
from playwright.sync_api import expect

from cll.accounts.tests.helpers import current_code
from cll.core.roles import Role
from cll.courses.models import Session
from cll.courses.tests.factories import make_language, make_site
from conftest import PASSWORD, _user, staff_login
from tests.e2e.browsing import guarded_page

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

AXE = Axe()
AXE_OPTIONS = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}}
# Pages that ask who you are: none may appear after the sign-in and the activation.
ASKING_AGAIN = re.compile(r"/account/(reauthenticate|2fa/reauthenticate|2fa/authenticate)")
# What each role may open, written out by hand (the test of the promise, not of the code).
EXPECTED = {
    Role.ADMINISTRATOR: [
        "Apprenants",
        "Demandes des personnes",
        "Opérations de protection des données",
        "Politiques",
        "Statistiques",
        "Balises et suivi",
        "Commandes et factures",
        "Export pour le comptable",
        "Demandes de devis",
        "Signalements d\u2019un débit frauduleux",
        "Inscriptions",
        "Lettre d\u2019information",
        "Demandes d\u2019assistance",
        "Chat en direct",
        "Avis",
    ],
    Role.PRIVACY_OFFICER: [
        "Apprenants",
        "Demandes des personnes",
        "Opérations de protection des données",
        "Politiques",
        "Statistiques",
    ],
    Role.BILLING: [
        "Apprenants",
        "Commandes et factures",
        "Export pour le comptable",
        "Demandes de devis",
        "Signalements d\u2019un débit frauduleux",
    ],
    Role.CUSTOMER_SERVICE: [
        "Apprenants",
        "Inscriptions",
        "Demandes d\u2019assistance",
        "Chat en direct",
        "Avis",
    ],
    # Feedback: a teacher sees their own sessions' results, Marketing the figures only.
    Role.TEACHER: ["Apprenants", "Mes classes", "Avis"],
    Role.MARKETING: ["Statistiques", "Balises et suivi", "Lettre d\u2019information", "Avis"],
    Role.MODERATOR: [],
}


@pytest.fixture(autouse=True)
def _catalogue_permissions(transactional_db):
    """The Administrator role's catalogue permissions, as courses migration 0002 grants them
    (a transactional test's flush empties what migrations wrote)."""
    migration = importlib.import_module(
        "cll.courses.migrations.0002_session_teacher_price_in_euros"
    )
    migration.grant_catalogue(apps, None)


def _axe_clean(page) -> None:
    results = AXE.run(page, options=AXE_OPTIONS).response
    violations = [f"{v['id']}: {v['help']}" for v in results["violations"]]
    assert violations == [], (page.url, violations)


def _sign_in_with_session(page, live_server, user) -> None:
    """Give the browser the session of a staff member who signed in with a second factor."""
    client = Client()
    staff_login(client, user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    page.context.clear_cookies()
    page.context.add_cookies(
        [{"name": cookie.key, "value": cookie.value, "url": live_server.url, "httpOnly": True}]
    )


def test_a_first_visit_needs_one_password_and_one_code(page, live_server, adam, traffic):
    EmailAddress.objects.create(user=adam, email=adam.email, verified=True, primary=True)
    base = live_server.url
    visited: list[str] = []
    page.on("framenavigated", lambda frame: frame == page.main_frame and visited.append(frame.url))
    passwords = codes = 0

    # 1. The password, once.
    page.goto(f"{base}/fr/account/login/")
    page.fill("input[name=login]", adam.email)
    page.fill("input[name=password]", PASSWORD)
    passwords += 1
    page.click("form.account-form button[type=submit]")
    page.wait_for_url(lambda url: "/account/login/" not in url)

    # 2. The header leads staff to their area, which asks for a second factor first.
    page.get_by_role("link", name="Espace du personnel").click()
    page.wait_for_url("**/fr/account/2fa/")
    expect(
        page.get_by_text("Les pages du personnel exigent la double authentification")
    ).to_be_visible()

    # 3. "Activate" opens the activation form at once: no second password.
    page.locator("a[href='/fr/account/2fa/totp/activate/']").click()
    page.wait_for_url("**/2fa/totp/activate/")
    secret = page.locator("#authenticator_secret").input_value()
    page.fill("input[name=code]", current_code(secret))
    codes += 1
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(lambda url: "/totp/activate/" not in url)
    assert Authenticator.objects.filter(user=adam, type=Authenticator.Type.TOTP).exists()

    # 4. The staff home, then the admin, then back: no code asked again.
    page.get_by_role("link", name="Espace du personnel").click()
    page.wait_for_url(f"{base}/fr/staff/")
    expect(page.locator("h1")).to_have_text("Espace du personnel")
    _axe_clean(page)
    page.get_by_role("link", name="Administration (catalogue et réglages)").click()
    page.wait_for_url(f"{base}/fr/admin/")
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    expect(page.locator("#site-name")).to_have_text("Administration de CLL")
    expect(page.get_by_role("link", name="Sessions")).to_be_visible()
    page.locator("a.cll-staff-home").click()
    page.wait_for_url(f"{base}/fr/staff/")

    assert (passwords, codes) == (1, 1)
    assert [url for url in visited if ASKING_AGAIN.search(url)] == []
    assert traffic.foreign == []
    assert [e for e in traffic.console_errors if "Content Security Policy" in e] == []


@pytest.mark.parametrize("role", Role.STAFF_ROLES)
def test_the_staff_home_lists_exactly_the_sections_of_each_role(
    page, live_server, django_user_model, role, traffic
):
    member = _user(django_user_model, "member.browser@example.org", role)
    _sign_in_with_session(page, live_server, member)
    page.goto(f"{live_server.url}/fr/")
    page.get_by_role("link", name="Espace du personnel").click()
    page.wait_for_url(f"{live_server.url}/fr/staff/")
    sections = page.locator(".staff-home__sections a")
    assert [text.strip() for text in sections.all_inner_texts()] == EXPECTED[role]
    # Each listed section opens.
    for href in [link.get_attribute("href") for link in sections.all()]:
        response = page.goto(f"{live_server.url}{href}")
        assert response is not None and response.status == 200, href
    # The admin is offered to the Administrator only (the other roles have no model there).
    page.goto(f"{live_server.url}/fr/staff/")
    admin_links = page.get_by_role("link", name="Administration (catalogue et réglages)")
    expect(admin_links).to_have_count(1 if role == Role.ADMINISTRATOR else 0)
    assert traffic.foreign == []
    assert [e for e in traffic.console_errors if "Content Security Policy" in e] == []


@pytest.mark.parametrize(
    ("locale", "expected_path", "header"),
    [("fr-BE", "/fr/admin/", "Administration de CLL"), ("nl-BE", "/nl/admin/", "Beheer van CLL")],
)
def test_the_admin_speaks_the_visitors_language(
    browser, live_server, traffic, adam, locale, expected_path, header
):
    with guarded_page(browser, live_server.url, traffic, locale=locale) as page:
        _sign_in_with_session(page, live_server, adam)
        page.goto(f"{live_server.url}/admin/")
        page.wait_for_url(f"{live_server.url}{expected_path}")
        expect(page.locator("#site-name")).to_have_text(header)
        _axe_clean(page)
        # The language choice keeps the page.
        page.locator("a[hreflang=en]").first.click()
        page.wait_for_url(f"{live_server.url}/en/admin/")
        expect(page.locator("#site-name")).to_have_text("CLL administration")


def test_a_price_typed_in_euros_is_stored_in_cents_and_shown_in_euros(page, live_server, adam):
    language, site = make_language(), make_site()
    _sign_in_with_session(page, live_server, adam)
    page.goto(f"{live_server.url}/fr/admin/courses/session/add/")
    page.fill("input[name=slug]", "session-prix-navigateur")
    page.select_option("select[name=language]", str(language.pk))
    page.select_option("select[name=level]", "A2")
    page.select_option("select[name=format]", "group")
    page.select_option("select[name=site]", str(site.pk))
    page.fill("input[name=title_fr]", "Anglais A2")
    page.fill("input[name=title_en]", "English A2")
    page.fill("input[name=title_nl]", "Engels A2")
    page.fill("input[name=starts_on]", "22/01/2027")
    page.fill("input[name=ends_on]", "12/04/2027")
    page.fill("input[name=hours]", "30")
    page.fill("input[name=price_cents]", "650,50")
    page.fill("input[name=capacity]", "12")
    page.locator("input[name=_save]").click()
    page.wait_for_url(f"{live_server.url}/fr/admin/courses/session/")

    assert Session.objects.get(slug="session-prix-navigateur").price_cents == 65050
    expect(page.locator("#result_list")).to_contain_text("650,50\u00a0€")
    page.locator("#result_list").get_by_role("link", name="Anglais A2").click()
    expect(page.locator("input[name=price_cents]")).to_have_value("650,50")

    # A negative price is refused with a clear message; nothing changes.
    page.fill("input[name=price_cents]", "-650")
    page.locator("input[name=_save]").click()
    expect(page.get_by_text("Un prix ne peut pas être négatif.")).to_be_visible()
    assert Session.objects.get(slug="session-prix-navigateur").price_cents == 65050
