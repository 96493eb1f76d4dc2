# ruff: noqa: RUF001 -- the French texts use the typographic apostrophe.
"""Issue 14's acceptance test, in Chromium, as new visitors would join and leave the newsletter.

Two visitors subscribe from the footer's form → the "check your mailbox" page → the confirmation
e-mail arrives on the loopback SMTP server (``smtp_server``) through the outbox → the link's
page, its button → confirmed. Marketing writes a campaign for the "news" list on the staff pages
and sends it; the sender runs (in the test's thread, as the worker's task would) and each
visitor's message arrives with both RFC 8058 headers and a footer link. The first visitor opens
the footer link: the page alone unsubscribes nobody, its button does. The second one's mail
client POSTs ``List-Unsubscribe=One-Click`` to the header's URL without any cookie. Each ends
UNSUBSCRIBED, with the address suppressed and the evidence in the ledger. Every page is checked
for requests to another host and for console errors (a CSP violation is one).
"""

from __future__ import annotations

import io
import re

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from cll.core.outbox import outbox_deliver_due
from cll.newsletter import campaigns, sending
from cll.newsletter.models import (
    Campaign,
    CampaignStatus,
    Delivery,
    DeliveryStatus,
    MailingList,
    Subscriber,
    SubscriptionStatus,
)
from cll.newsletter.services import email_index
from cll.newsletter.unsubscribe import is_suppressed
from cll.privacy.models import AuditEntry
from tests.e2e.browsing import guarded_page
from tests.e2e.conftest import browser_staff_login, field_label

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

READER = "lea.lectrice@example.org"
CLICKER = "tom.clic@example.org"
NBSP = "\N{NO-BREAK SPACE}"
NEWS = "Actualités de CLL"
SUBJECT = "Nos cours d’automne"


def _text(received) -> str:
    return received.message.get_body(preferencelist=("plain",)).get_content()


def _html(received) -> str:
    return received.message.get_body(preferencelist=("html",)).get_content()


def _subscriber(email: str) -> Subscriber:
    return Subscriber.objects.get(email_index=email_index(email))


def _news_status(email: str) -> str:
    return _subscriber(email).subscriptions.get(mailing_list__slug="news").status


def _subscribe_from_the_footer(page, base: str, email: str) -> None:
    page.goto(f"{base}/fr/courses/")
    footer = page.locator("footer form.site-footer__newsletter")
    footer.get_by_label("Votre adresse e-mail").fill(email)
    footer.get_by_role("button", name="S’inscrire").click()
    page.wait_for_url(re.compile(r"/fr/newsletter/check-your-mailbox/$"))
    expect(page.locator("h1")).to_have_text("Consultez votre boîte de réception")
    expect(page.get_by_role("status")).to_contain_text(
        "nous lui avons envoyé un e-mail avec un lien"
    )


def _confirm_by_email(page, base: str, smtp_server, email: str) -> None:
    """The confirmation e-mail leaves through the outbox; its link's page asks, its button
    confirms."""
    smtp_server.clear()
    outbox_deliver_due()
    (received,) = smtp_server.wait_for(1)
    assert received.rcpt_tos == (email,)
    links = re.findall(r"https?://\S+/newsletter/confirm/\S+", _text(received))
    assert links and links[0].startswith(f"{base}/fr/"), links
    page.goto(links[0])
    # The link alone (a mail scanner following it) confirms nothing.
    expect(page.locator("h1")).to_have_text("Confirmez votre inscription")
    assert _news_status(email) == SubscriptionStatus.PENDING
    expect(page.locator("main")).to_contain_text(NEWS)
    page.locator("main").get_by_role("button", name="Confirmer mon inscription").click()
    expect(page.locator("h1")).to_have_text("Inscription confirmée")
    expect(page.get_by_role("status")).to_contain_text(NEWS)
    assert _news_status(email) == SubscriptionStatus.CONFIRMED


def test_new_visitors_subscribe_receive_a_campaign_and_unsubscribe_by_link_and_one_click(
    page, browser, live_server, smtp_server, settings, traffic, mark
):
    # Links in e-mails lead back to the site the browser is on; the sender runs in this
    # thread over one SMTP session, unthrottled.
    settings.SITE_URL = live_server.url
    settings.NEWSLETTER_SMTP_CONNECTIONS = 1
    settings.NEWSLETTER_RATE_PER_SECOND = 100_000
    base = live_server.url
    call_command("load_newsletter_lists", stdout=io.StringIO())
    news = MailingList.objects.get(slug="news")

    # 1. Two new visitors subscribe from the footer and confirm with the e-mailed link.
    for email in (READER, CLICKER):
        _subscribe_from_the_footer(page, base, email)
        _confirm_by_email(page, base, smtp_server, email)
    assert traffic.foreign == []
    assert traffic.console_errors == []

    # 2. Marketing (signed in with a second factor, in their own browser) writes the campaign
    # for the news list and sends it now.
    with guarded_page(
        browser, base, traffic, viewport={"width": 1280, "height": 900}, locale="fr-BE"
    ) as staff_page:
        staff_page.set_default_timeout(10_000)
        browser_staff_login(staff_page, live_server, mark)
        staff_page.goto(f"{base}/fr/staff/newsletter/campaigns/")
        expect(staff_page.locator("h1")).to_have_text("Campagnes de la lettre d’information")
        staff_page.get_by_role("link", name="Rédiger une campagne").click()
        form = staff_page.locator("main form.account-form")
        form.get_by_label(field_label("Titre interne")).fill("Automne")
        form.get_by_label(NEWS).check()
        french = form.get_by_role("region", name="Français")
        french.get_by_label(field_label("Objet")).fill(SUBJECT)
        french.get_by_label(field_label("Texte (Markdown)")).fill(
            "Bonjour,\n\nles **inscriptions** aux cours d’automne sont ouvertes."
        )
        form.get_by_role("button", name="Enregistrer le brouillon").click()
        expect(staff_page.locator("h1")).to_have_text("Automne")
        expect(staff_page.get_by_role("status")).to_contain_text(
            "La campagne a été enregistrée comme brouillon."
        )
        expect(staff_page.locator("main")).to_contain_text("2 abonnés la recevraient maintenant.")
        smtp_server.clear()
        staff_page.get_by_role("button", name="Envoyer maintenant").click()
        expect(staff_page.get_by_role("status")).to_contain_text(
            "La campagne est en cours d’envoi."
        )
    campaign = Campaign.objects.get()
    assert campaign.status == CampaignStatus.SENDING
    assert list(campaign.lists.all()) == [news]
    assert smtp_server.messages == []  # nothing is sent inside the request

    # 3. The sending task's work, run here rather than by a worker.
    report = sending.campaign_send(campaign=campaign)
    assert (report.sent, report.failed, report.skipped, report.finished) == (2, 0, 0, True)
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.SENT
    assert set(Delivery.objects.values_list("status", flat=True)) == {DeliveryStatus.SENT}
    received = {message.rcpt_tos: message for message in smtp_server.wait_for(2)}
    assert set(received) == {(READER,), (CLICKER,)}, received

    # 4. Each message: its subject, the RFC 8058 headers with its own one-click URL, and a
    # footer link to its own unsubscribe page, in both the text and the HTML part.
    one_click, footer = {}, {}
    for (email,), message in received.items():
        mail = message.message
        key = _subscriber(email).unsubscribe_key
        assert mail["Subject"] == SUBJECT
        assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        targets = re.findall(r"<([^>]+)>", str(mail["List-Unsubscribe"]))
        expected = f"{base}/fr/newsletter/unsubscribe/{key}/news/one-click/"
        assert expected in targets, targets
        one_click[email] = expected
        text = _text(message)
        assert "inscriptions** aux cours d’automne sont ouvertes" in text, text
        assert f"Se désinscrire{NBSP}:" in text, text
        links = re.findall(r"https?://\S+/newsletter/unsubscribe/\S+", text)
        assert links == [f"{base}/fr/newsletter/unsubscribe/{key}/?list=news"], links
        html = _html(message)
        assert "<strong>inscriptions</strong>" in html, html
        assert f'href="{links[0]}"' in html, html
        footer[email] = links[0]

    # 5. The first visitor follows the footer link: the page only asks (a mail scanner or a
    # link preview following it unsubscribes nobody); the button for this list does.
    page.goto(footer[READER])
    expect(page.locator("h1")).to_have_text("Se désinscrire de la lettre d’information")
    assert _news_status(READER) == SubscriptionStatus.CONFIRMED
    assert not is_suppressed(email=READER, mailing_list=news)
    page.locator("main").get_by_role(
        "button", name=f"Me désinscrire de «{NBSP}{NEWS}{NBSP}»"
    ).click()
    expect(page.locator("h1")).to_have_text("Désinscription confirmée")
    expect(page.get_by_role("status")).to_have_text(
        f"Vous ne recevrez plus la liste «{NBSP}{NEWS}{NBSP}»."
    )
    assert _news_status(READER) == SubscriptionStatus.UNSUBSCRIBED
    assert is_suppressed(email=READER, mailing_list=news)

    # 6. The second visitor's mail client: one POST to the header's URL, with no cookie (a
    # fresh browser context has none), the body RFC 8058 prescribes.
    assert _news_status(CLICKER) == SubscriptionStatus.CONFIRMED
    client = browser.new_context()
    try:
        assert client.cookies() == []
        response = client.request.post(
            one_click[CLICKER], form={"List-Unsubscribe": "One-Click"}, max_redirects=0
        )
        assert response.status == 200, response.text()
        assert "Désinscription confirmée" in response.text()
        # Nothing for a mail client to keep: no session, no cookie.
        assert "set-cookie" not in response.headers, response.headers
    finally:
        client.close()
    assert _news_status(CLICKER) == SubscriptionStatus.UNSUBSCRIBED
    assert is_suppressed(email=CLICKER, mailing_list=news)

    # The evidence of each, and neither would receive the campaign again.
    hows = {
        email: list(
            AuditEntry.objects.filter(
                action="newsletter.unsubscribe", subject=_subscriber(email).public_id
            ).values_list("detail__how", flat=True)
        )
        for email in (READER, CLICKER)
    }
    assert hows == {READER: ["link"], CLICKER: ["one-click"]}
    assert not campaigns.campaign_recipients(campaign=campaign).exists()
    assert traffic.foreign == []
    assert traffic.console_errors == []
