"""In Chromium: a visitor without an account reports a profile someone made with their e-mail
address, proves the mailbox by the e-mailed link, and the privacy officer erases the profile
from the queue (issue 4, acceptance). E-mails go the production way: outbox, then SMTP to a
real server on loopback. Every page is checked for requests to another host and console errors.
"""

from __future__ import annotations

import re

import pytest
from django.conf import settings as django_settings
from django.test import Client
from playwright.sync_api import expect

from cll.core.outbox import outbox_deliver_due
from cll.dsar.models import DataSubjectRequest
from cll.erasure.anonymisers import is_erased
from conftest import _user, staff_login
from tests.e2e.browsing import guarded_page
from tests.e2e.conftest import browser, traffic  # noqa: F401  (fixtures)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

VICTIM = "victim@example.org"


def _page(browser, live_server, traffic, **options):  # noqa: F811
    return guarded_page(
        browser, live_server.url, traffic, viewport={"width": 1280, "height": 900}, **options
    )


def _body(message) -> str:
    return message.message.get_body(preferencelist=("plain",)).get_content()


def test_a_visitor_reports_an_unauthorized_profile_and_the_officer_erases_it(
    browser,  # noqa: F811
    live_server,
    smtp_server,
    settings,
    traffic,  # noqa: F811
    django_user_model,
    dora,
):
    settings.SITE_URL = live_server.url
    base = live_server.url
    # Someone registered with the victim's address.
    impostor = _user(django_user_model, VICTIM)

    # 1. The victim, with no session, fills in the public form.
    with _page(browser, live_server, traffic) as visitor:
        visitor.set_default_timeout(10_000)
        visitor.goto(f"{base}/en/privacy-requests/")
        form = visitor.locator("main form.account-form")
        form.get_by_label("Someone made an account with my e-mail address").check()
        form.get_by_label("Your e-mail address").fill(VICTIM)
        form.get_by_role("button", name="Send my request").click()
        expect(visitor.locator("h1")).to_have_text("Check your mailbox")
        assert smtp_server.messages == []  # nothing sent inside the request

        # 2. The link arrives by e-mail; following it asks for a confirmation.
        outbox_deliver_due()
        (verify,) = smtp_server.wait_for(1)
        assert verify.rcpt_tos == (VICTIM,)
        link = re.search(r"https?://\S+/privacy-requests/verify/\S+", _body(verify)).group(0)
        assert link.startswith(f"{base}/")
        visitor.goto(link)
        expect(visitor.locator("h1")).to_have_text("Confirm your request")
        visitor.get_by_role("button", name="Confirm my request").click()
        expect(visitor.locator("h1")).to_have_text("Request received")

    outbox_deliver_due()
    receipt = smtp_server.wait_for(2)[1]
    assert receipt.rcpt_tos == (VICTIM,)
    dsr = DataSubjectRequest.objects.get()
    assert str(dsr.public_id) in _body(receipt)

    # 3. The privacy officer (signed in with a second factor) fulfils it from the queue.
    officer = Client()
    staff_login(officer, dora)
    cookie = officer.cookies[django_settings.SESSION_COOKIE_NAME].value
    with _page(browser, live_server, traffic) as staff:
        staff.context.add_cookies(
            [{"name": django_settings.SESSION_COOKIE_NAME, "value": cookie, "url": base}]
        )
        staff.set_default_timeout(10_000)
        staff.goto(f"{base}/en/staff/requests/")
        expect(staff.locator("h1")).to_have_text("Data-subject requests")
        staff.locator("main table").get_by_role("link").first.click()
        expect(staff.locator("main")).to_contain_text(VICTIM)
        staff.get_by_role("button", name="Fulfil and close").click()
        expect(staff.locator(".messages")).to_contain_text("The request was fulfilled")

    impostor.refresh_from_db()
    assert is_erased(impostor)
    dsr.refresh_from_db()
    assert dsr.status == DataSubjectRequest.Status.COMPLETED

    # 4. The victim is told.
    outbox_deliver_due()
    done = smtp_server.wait_for(3)[2]
    assert done.rcpt_tos == (VICTIM,)
    assert "erased" in _body(done)

    assert traffic.foreign == []
    assert traffic.console_errors == []
