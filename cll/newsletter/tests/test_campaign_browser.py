"""In Chromium: Marketing writes a campaign in two languages, previews it in its sandboxed frame,
sends a test to themselves and schedules it (issue 14, item 3). Every page passes axe (WCAG 2.1
A/AA), makes no request to another host and breaks no content-security rule."""

from __future__ import annotations

import datetime

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.utils import timezone
from playwright.sync_api import expect

from cll.core.models import OutboxEmail
from cll.newsletter.models import Campaign, CampaignStatus
from cll.newsletter.tests.test_campaign_recipients import make_list, make_subscriber
from tests.e2e.browsing import guarded_page
from tests.e2e.conftest import browser, browser_staff_login, traffic  # noqa: F401  (fixtures)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

AXE = Axe()
AXE_OPTIONS = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}}


def _axe_clean(page) -> None:
    results = AXE.run(page, options=AXE_OPTIONS).response
    violations = [f"{v['id']}: {v['help']}" for v in results["violations"]]
    assert violations == [], (page.url, violations)


def test_marketing_writes_previews_tests_and_schedules_a_campaign(
    browser,  # noqa: F811
    live_server,
    traffic,  # noqa: F811
    mark,
):
    news = make_list("news")
    make_subscriber("reader@example.org", news)
    base = f"{live_server.url}/en/staff/newsletter/campaigns/"
    with guarded_page(
        browser, live_server.url, traffic, viewport={"width": 1280, "height": 900}
    ) as page:
        page.set_default_timeout(10_000)
        browser_staff_login(page, live_server, mark)
        page.goto(base)
        expect(page.locator("h1")).to_have_text("Newsletter campaigns")
        _axe_clean(page)

        page.get_by_role("link", name="Write a campaign").click()
        _axe_clean(page)
        page.get_by_label("Internal title").fill("Autumn courses")
        page.get_by_label("news en").check()
        page.locator("#id_subject_fr").fill("Cours d\u2019automne")
        page.locator("#id_body_fr").fill("Bonjour,\n\nles **inscriptions** sont ouvertes.")
        page.locator("#id_subject_en").fill("Autumn courses")
        page.locator("#id_body_en").fill("Hello <script>alert(1)</script>, enrolments are open.")
        page.get_by_role("button", name="Save the draft").click()
        expect(page.locator("h1")).to_have_text("Autumn courses")
        expect(page.get_by_text("1 subscriber would receive it now.")).to_be_visible()
        _axe_clean(page)

        page.get_by_role("link", name="Preview (English)").click()
        expect(page.locator("h1")).to_have_text("Preview of Autumn courses")
        frame = page.frame_locator("iframe")
        expect(frame.get_by_text("enrolments are open")).to_be_visible()
        _axe_clean(page)
        page.get_by_role("link", name="Back to the campaign").click()

        page.get_by_label("Version").select_option("fr")
        page.get_by_role("button", name="Send me a test").click()
        expect(page.get_by_role("status")).to_contain_text("A test was sent to your own address.")

        when = timezone.localtime() + datetime.timedelta(days=3)
        page.get_by_label("Send on").fill(when.strftime("%Y-%m-%dT%H:%M"))
        page.get_by_role("button", name="Schedule").click()
        expect(page.get_by_role("status")).to_contain_text("The campaign is scheduled.")
        _axe_clean(page)

    campaign = Campaign.objects.get()
    assert campaign.status == CampaignStatus.SCHEDULED
    assert [email.to_address for email in OutboxEmail.objects.all()] == [mark.email]
    assert traffic.foreign == []
    assert [e for e in traffic.console_errors if "Content Security Policy" in e] == []
