"""Confirmations in a real browser (issue 11, item 4, acceptance): deleting one's account and
saving a cookie choice each end on a page that says, in the visitor's language and in a
``role="status"`` region (announced by screen readers), that it is done. Every page is checked
for requests to another host and for console errors (a CSP violation is one)."""

from __future__ import annotations

import re

import pytest
from django.conf import settings
from django.test import Client
from playwright.sync_api import expect

from cll.accounts.models import User
from cll.privacy.models import AuditEntry
from conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _signed_in(page, live_server, user) -> None:
    """Give the browser the session of ``user`` signed in with their password."""
    client = Client()
    assert client.login(email=user.email, password=PASSWORD)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    page.context.add_cookies(
        [{"name": cookie.key, "value": cookie.value, "url": live_server.url, "httpOnly": True}]
    )


def _clean(traffic) -> None:
    assert traffic.foreign == []
    assert traffic.console_errors == []


def test_deleting_the_account_now_shows_a_confirmation(page, live_server, alice, traffic):
    _signed_in(page, live_server, alice)
    page.goto(f"{live_server.url}/fr/account/profile/delete/")
    expect(page.locator("h1")).to_have_text("Supprimer mon compte")
    # What goes is named as a person knows it, not as a database table.
    plan = page.locator(".erasure-plan")
    expect(plan).to_contain_text("Méthodes de connexion")
    expect(plan).to_contain_text("Clé de données (clé de chiffrement personnelle)")
    expect(plan).not_to_contain_text("Authenticators")

    page.get_by_label(re.compile(r"^Votre mot de passe")).fill(PASSWORD)
    page.get_by_role("button", name="Supprimer définitivement mon compte").click()

    page.wait_for_url(f"{live_server.url}/fr/")
    status = page.get_by_role("status")
    expect(status).to_be_visible()
    expect(status).to_have_text("Votre compte et vos données personnelles ont été supprimés.")
    assert not User.objects.filter(pk=alice.pk, is_active=True).exists()

    # Shown once: the next visit of the home page is quiet.
    page.reload()
    expect(page.get_by_role("status")).to_have_count(0)
    _clean(traffic)


def test_saving_a_cookie_choice_shows_a_confirmation(page, live_server, traffic):
    page.goto(f"{live_server.url}/fr/courses/")
    banner = page.locator("[data-consent-banner]")
    expect(banner).to_be_visible()
    banner.get_by_role("button", name="Tout refuser").click()

    page.wait_for_url(f"{live_server.url}/fr/courses/")
    expect(page.locator("[data-consent-banner]")).to_have_count(0)
    status = page.get_by_role("status")
    expect(status).to_be_visible()
    expect(status).to_contain_text("Votre choix de cookies est enregistré")
    expect(status).to_contain_text("seuls les cookies strictement nécessaires sont utilisés")
    assert AuditEntry.objects.filter(action="consent.cookies").count() == 1
    _clean(traffic)


def test_changing_the_choice_on_the_settings_page_confirms_it_in_dutch(page, live_server, traffic):
    page.goto(f"{live_server.url}/nl/cookies/")
    settings_form = page.locator("form[data-consent-form]")
    settings_form.get_by_role("checkbox", name="Statistieken", exact=True).check()
    settings_form.locator('button[value="custom"]').click()

    page.wait_for_url(f"{live_server.url}/nl/cookies/")

    status = page.get_by_role("status")
    expect(status).to_be_visible()
    expect(status).to_contain_text("Uw cookiekeuze is opgeslagen.")
    expect(status).to_contain_text("Statistieken")
    _clean(traffic)
