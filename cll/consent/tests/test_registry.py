"""The cookie registry: the cookie page is generated from it, every published version is kept,
and lifetimes are bounded (referral cookies 30 days, any cookie 13 months)."""

from __future__ import annotations

import runpy
from io import StringIO

import pytest
from django.core.management import call_command

from cll.consent import checks, registry
from cll.consent.models import CookiePolicyVersion
from cll.consent.services import cookie_policy_publish
from cll.consent.tests.helpers import choose
from cll.lib.env import ConfigError

pytestmark = pytest.mark.django_db


def with_extra(monkeypatch, *extra: registry.Cookie) -> None:
    original = registry.cookies
    monkeypatch.setattr(registry, "cookies", lambda: [*original(), *extra])


def test_it_declares_the_cookies_django_and_google_set(settings):
    for name in (
        settings.SESSION_COOKIE_NAME,
        settings.CSRF_COOKIE_NAME,
        "messages",
        registry.consent_cookie_name(),
        "_ga",
        "_ga_ABC123DEF",
        "_gcl_au",
        "IDE",
    ):
        assert registry.cookie_for(name) is not None, name
    assert registry.cookie_for("_ga").category == "analytics"
    assert registry.cookie_for("_gcl_au").referral
    assert registry.cookie_for("tracker") is None
    assert registry.cookie_for(registry.consent_cookie_name()).category == "necessary"


def test_it_passes_its_own_lifetime_checks():
    assert checks.cookie_lifetimes() == []


def test_it_refuses_a_referral_cookie_lasting_more_than_30_days(monkeypatch):
    with_extra(
        monkeypatch,
        registry.Cookie("sponsor", "CLL", "advertising", "Sponsor.", 31, referral=True),
    )
    (error,) = checks.cookie_lifetimes()
    assert error.id == "consent.E001" and "sponsor" in error.msg


def test_it_refuses_any_cookie_lasting_more_than_13_months(monkeypatch):
    with_extra(monkeypatch, registry.Cookie("forever", "CLL", "preferences", "Forever.", 400))
    assert [error.id for error in checks.cookie_lifetimes()] == ["consent.E002"]


def test_it_refuses_a_consent_lifetime_over_13_months_at_start_up(monkeypatch):
    monkeypatch.setenv("CLL_CONSENT_MAX_AGE_DAYS", "391")
    with pytest.raises(ConfigError, match="CLL_CONSENT_MAX_AGE_DAYS"):
        runpy.run_module("cll.settings")
    monkeypatch.setenv("CLL_CONSENT_MAX_AGE_DAYS", "390")
    assert runpy.run_module("cll.settings")["CONSENT_MAX_AGE_DAYS"] == 390


def test_it_publishes_the_registry_after_migrate():
    latest = CookiePolicyVersion.objects.order_by("-number").first()
    assert latest is not None
    assert latest.digest == registry.snapshot_digest(registry.snapshot())
    assert cookie_policy_publish() is None


def test_it_keeps_every_published_version(client, monkeypatch):
    before = CookiePolicyVersion.objects.order_by("-number").first()
    with_extra(
        monkeypatch, registry.Cookie("cll_theme", "CLL", "preferences", "Remembers the theme.", 30)
    )
    published = cookie_policy_publish()
    assert published.number == before.number + 1
    assert cookie_policy_publish() is None
    monkeypatch.undo()
    # Back to the earlier registry: a new version again, the older ones all kept.
    out = StringIO()
    call_command("cookie_policy_publish", stdout=out)
    assert f"version {before.number + 2}" in out.getvalue()
    assert CookiePolicyVersion.objects.count() == before.number + 2

    page = client.get("/en/cookies/").content.decode()
    assert f"This is version {before.number + 2}" in page
    assert f'href="/en/consent/policy/{published.number}/"' in page
    assert f'href="/en/consent/policy/{before.number}/"' in page
    old = client.get(f"/en/consent/policy/{published.number}/").content.decode()
    assert "cll_theme" in old
    assert "cll_theme" not in client.get(f"/en/consent/policy/{before.number}/").content.decode()
    assert client.get("/en/consent/policy/999/").status_code == 404


def test_it_generates_the_cookie_page_from_the_registry(client):
    page = client.get("/en/cookies/").content.decode()
    for cookie in registry.cookies():
        assert f"<code>{cookie.display_name}</code>" in page, cookie.name
    assert "Advertising and opt-out" in page
    # The opt-out links (through the exit redirect: cll/analytics/tests/test_exit_redirect.py).
    assert ">Google Ads Settings</a>" in page
    assert ">Google Analytics opt-out browser add-on</a>" in page
    # Links only: nothing is loaded from Google on this page.
    assert "googletagmanager" not in page
    assert "no-cache" in client.get("/en/cookies/")["Cache-Control"]


def test_it_lets_the_visitor_change_or_withdraw_on_the_settings_page(client):
    page = client.get("/en/cookies/").content.decode()
    assert "You have not made a choice yet" in page
    assert 'value="withdraw"' not in page
    choose(client, "custom", ["analytics"], source="settings", next_url="/en/cookies/")
    page = client.get("/en/cookies/").content.decode()
    assert 'value="analytics" id="consent-settings-analytics"' in page
    assert (
        'id="consent-settings-analytics" aria-describedby="consent-settings-analytics-help" checked'
        in page
    )
    assert 'value="withdraw"' in page
