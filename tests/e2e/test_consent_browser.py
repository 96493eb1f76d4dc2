"""Cookie consent in a real browser, with every request intercepted.

Requests to Google's tag hosts are answered locally with a tiny script and recorded (nothing
leaves the machine); any other foreign request is refused and recorded. ``guarded_page`` would
fail on the Google requests these tests expect, so they have their own route handler.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import expect

from cll.consent import registry
from cll.consent.models import TagConfiguration
from cll.privacy.models import AuditEntry
from tests.e2e.browsing import LOOPBACK

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

GOOGLE = (
    "googletagmanager.com",
    "google-analytics.com",
    "analytics.google.com",
    "doubleclick.net",
    "googleadservices.com",
    "google.com",
)
FAKE_GTAG = "window.__fakeGtag = (window.__fakeGtag || 0) + 1;"
GA_ID, ADS_ID, DC_ID = "G-TEST1234", "AW-123456789", "DC-1234567"


@dataclass
class Recorded:
    tracking: list[str] = field(default_factory=list)
    foreign: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)

    def clear(self) -> None:
        self.tracking.clear()
        self.foreign.clear()

    def tag_ids(self) -> list[str]:
        return [
            parse_qs(urlsplit(url).query).get("id", [""])[0]
            for url in self.tracking
            if "/gtag/js" in url
        ]


@contextmanager
def intercepted_page(browser, base_url: str, recorded: Recorded, **options) -> Iterator:
    origin = urlsplit(base_url)
    assert origin.hostname in LOOPBACK
    context = browser.new_context(**options)
    page = context.new_page()

    def handle(route):
        url = urlsplit(route.request.url)
        if (url.scheme, url.hostname, url.port) == (origin.scheme, origin.hostname, origin.port):
            route.continue_()
        elif url.hostname and any(
            url.hostname == host or url.hostname.endswith(f".{host}") for host in GOOGLE
        ):
            recorded.tracking.append(route.request.url)
            route.fulfill(status=200, content_type="application/javascript", body=FAKE_GTAG)
        else:
            recorded.foreign.append(route.request.url)
            route.abort()

    def console(message):
        if message.type == "error":
            recorded.console_errors.append(message.text)

    page.route("**/*", handle)
    page.on("console", console)
    try:
        yield page
    finally:
        context.close()


@pytest.fixture
def tags(transactional_db):
    TagConfiguration.objects.create(
        pk=1, ga4_measurement_id=GA_ID, ads_conversion_id=ADS_ID, floodlight_id=DC_ID
    )


@pytest.fixture
def recorded() -> Recorded:
    return Recorded()


def non_essential_cookies(page) -> list[str]:
    names = []
    for cookie in page.context.cookies():
        declared = registry.cookie_for(cookie["name"])
        if declared is None or declared.category != registry.NECESSARY:
            names.append(cookie["name"])
    return names


def settle(page) -> None:
    page.wait_for_load_state("networkidle")


def wait_for_fake_gtag(page, count: int = 1) -> None:
    """Poll from Python: ``wait_for_function`` evaluates strings, which our CSP forbids."""
    for _ in range(100):
        if page.evaluate("window.__fakeGtag || 0") == count:
            return
        page.wait_for_timeout(50)
    pytest.fail(f"the tag loader ran {page.evaluate('window.__fakeGtag || 0')} times")


def banner_button(page, name: str):
    return page.locator("[data-consent-banner]").get_by_role("button", name=name, exact=True)


def test_it_makes_no_third_party_request_and_sets_no_cookie_on_a_first_visit(
    browser, live_server, tags, recorded
):
    with intercepted_page(browser, live_server.url, recorded) as page:
        for path in ("/en/", "/fr/courses/", "/nl/cookies/"):
            page.goto(f"{live_server.url}{path}")
            settle(page)
        expect(page.locator("[data-consent-banner]")).to_be_visible()
        assert recorded.tracking == [] and recorded.foreign == []
        assert non_essential_cookies(page) == []
        assert recorded.console_errors == []


def test_it_loads_only_the_analytics_tag_after_accepting_analytics(
    browser, live_server, tags, recorded
):
    with intercepted_page(browser, live_server.url, recorded) as page:
        page.goto(f"{live_server.url}/en/")
        # Keyboard: "Choose" opens the categories and moves the focus into them.
        choose = banner_button(page, "Choose")
        expect(choose).to_have_attribute("aria-expanded", "false")
        choose.focus()
        page.keyboard.press("Enter")
        expect(page.locator("#consent-banner-preferences")).to_be_focused()
        page.get_by_label("Analytics", exact=True).check()
        banner_button(page, "Save my choice").click()
        wait_for_fake_gtag(page)
        settle(page)
        expect(page.locator("[data-consent-banner]")).to_have_count(0)

        assert recorded.tag_ids() == [GA_ID]
        assert not any(
            "doubleclick" in url or "googleadservices" in url or ADS_ID in url or DC_ID in url
            for url in recorded.tracking
        )
        assert recorded.foreign == []
        # Consent Mode v2: everything denied first, then analytics granted, ads still denied.
        calls = page.evaluate(
            "window.dataLayer.filter(a => a[0] === 'consent').map(a => [a[1], a[2]])"
        )
        default, update = calls
        assert default[0] == "default" and set(default[1].values()) == {"denied"}
        assert update[0] == "update" and update[1]["analytics_storage"] == "granted"
        assert update[1]["ad_storage"] == update[1]["ad_user_data"] == "denied"
        assert update[1]["ad_personalization"] == "denied"
        assert recorded.console_errors == []  # the CSP of this response allows the tag host


@pytest.mark.parametrize(("header", "signal"), [("DNT", "dnt"), ("Sec-GPC", "gpc")])
def test_it_makes_no_tracking_request_under_a_signal_even_after_accept_all(
    browser, live_server, tags, recorded, header, signal
):
    with intercepted_page(
        browser, live_server.url, recorded, extra_http_headers={header: "1"}
    ) as page:
        page.goto(f"{live_server.url}/en/")
        settle(page)
        expect(page.locator("[data-consent-signal-notice]")).to_be_visible()
        banner_button(page, "Accept all").click()
        # The conflicting choice is asked for confirmation, then recorded.
        expect(page.get_by_role("heading", name="Confirm your cookie choice")).to_be_visible()
        page.get_by_role("button", name="Confirm my choice").click()
        page.wait_for_url(f"{live_server.url}/en/")
        settle(page)
        for path in ("/en/courses/", "/en/cookies/", "/en/"):
            page.goto(f"{live_server.url}{path}")
            settle(page)
        assert recorded.tracking == [] and recorded.foreign == []
        assert non_essential_cookies(page) == []
    choices = [
        entry.detail
        for entry in AuditEntry.objects.filter(action="consent.cookies").order_by("seq")
    ]
    assert [(c["choice"], c["signal"]) for c in choices] == [
        ("objection", signal),
        ("accept_all", signal),
    ]
    assert choices[1]["overrides_signal"] is True


def test_it_sets_no_non_essential_cookie_after_reject_all(browser, live_server, tags, recorded):
    with intercepted_page(browser, live_server.url, recorded) as page:
        page.goto(f"{live_server.url}/en/")
        banner_button(page, "Reject all").click()
        page.wait_for_url(f"{live_server.url}/en/")
        expect(page.locator("[data-consent-banner]")).to_have_count(0)
        page.goto(f"{live_server.url}/en/courses/")
        settle(page)
        assert recorded.tracking == [] and recorded.foreign == []
        assert non_essential_cookies(page) == []
        assert registry.consent_cookie_name() in {c["name"] for c in page.context.cookies()}


def test_it_removes_the_cookies_on_withdrawal(browser, live_server, tags, recorded):
    host = urlsplit(live_server.url).hostname
    with intercepted_page(browser, live_server.url, recorded) as page:
        page.goto(f"{live_server.url}/en/")
        banner_button(page, "Accept all").click()
        wait_for_fake_gtag(page)
        assert sorted(recorded.tag_ids()) == [GA_ID]  # one loader, every id configured on it
        # What Google's real scripts would have stored on our domain.
        page.context.add_cookies(
            [
                {"name": name, "value": "1", "domain": host, "path": "/"}
                for name in ("_ga", "_ga_TEST1234", "_gcl_au")
            ]
        )
        assert sorted(non_essential_cookies(page)) == ["_ga", "_ga_TEST1234", "_gcl_au"]

        page.goto(f"{live_server.url}/en/cookies/")
        recorded.clear()
        page.get_by_role("button", name="Withdraw my consent").click()
        page.wait_for_url(f"{live_server.url}/en/cookies/")
        settle(page)
        assert non_essential_cookies(page) == []
        expect(page.locator("[data-consent-status]")).to_contain_text("refused")
        page.goto(f"{live_server.url}/en/")
        settle(page)
        assert recorded.tracking == []
    choices = [
        entry.detail["choice"]
        for entry in AuditEntry.objects.filter(action="consent.cookies").order_by("seq")
    ]
    assert choices == ["accept_all", "withdrawal"]
