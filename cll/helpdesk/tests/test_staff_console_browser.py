"""In Chromium: Customer service opens the queue, reads a ticket, inserts a canned reply with
the console's script, sends the answer and adds an internal note. Every page passes axe (WCAG
2.1 A/AA), makes no request to another host and breaks no content-security rule."""

from __future__ import annotations

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from cll.helpdesk.models import CannedReply, Status, TicketMessage
from cll.helpdesk.tests.test_staff_console import open_ticket
from tests.e2e.browsing import guarded_page
from tests.e2e.conftest import browser, browser_staff_login, traffic  # noqa: F401  (fixtures)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

AXE = Axe()
AXE_OPTIONS = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}}


def _axe_clean(page) -> None:
    results = AXE.run(page, options=AXE_OPTIONS).response
    violations = [f"{v['id']}: {v['help']}" for v in results["violations"]]
    assert violations == [], (page.url, violations)


def test_customer_service_answers_with_a_canned_reply(
    browser,  # noqa: F811
    live_server,
    traffic,  # noqa: F811
    cecile,
):
    ticket = open_ticket(subject="Dutch B1 <script>alert(1)</script>")
    CannedReply.objects.create(title="Timetable", language="en", body="Our timetable is online.")
    with guarded_page(
        browser, live_server.url, traffic, viewport={"width": 1280, "height": 900}
    ) as page:
        page.set_default_timeout(10_000)
        browser_staff_login(page, live_server, cecile)
        page.goto(f"{live_server.url}/en/staff/helpdesk/")
        expect(page.locator("h1")).to_have_text("Helpdesk")
        _axe_clean(page)

        page.get_by_role("link", name=ticket.reference).click()
        expect(page.locator("h1")).to_have_text(f"Ticket {ticket.reference}")
        _axe_clean(page)
        # The script hides the no-JavaScript button and inserts on choice.
        expect(page.get_by_role("button", name="Insert into the answer")).to_be_hidden()
        page.get_by_label("Answer to the person").fill("Hello Chloé,")
        page.get_by_label("Canned reply").select_option(label="Timetable")
        expect(page.get_by_label("Answer to the person")).to_have_value(
            "Hello Chloé,\n\nOur timetable is online."
        )
        page.get_by_role("button", name="Send the answer").click()
        expect(page.locator(".messages[role=status]")).to_contain_text(
            "Your answer was sent to the person."
        )

        page.get_by_label("Internal note").fill("Checked the timetable.")
        page.get_by_role("button", name="Add the note").click()
        expect(page.locator(".messages[role=status]")).to_contain_text(
            "The internal note was added."
        )
        expect(page.get_by_text("Internal note — not shown to the person")).to_be_visible()
        _axe_clean(page)

    ticket.refresh_from_db()
    assert ticket.status == Status.PENDING
    answer = ticket.messages.get(author_kind=TicketMessage.Author.STAFF, is_internal=False)
    assert answer.body == "Hello Chloé,\n\nOur timetable is online."
