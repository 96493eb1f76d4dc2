# ruff: noqa: RUF001 -- the French texts use the typographic apostrophe.
"""Issue 13's acceptance test, in Chromium, as a new visitor would buy a session.

Browse the catalogue → filter it → open a session → add it to the cart → create an account at
checkout → confirm the e-mail address with the link received on the loopback SMTP server
(``smtp_server``) → sign in → checkout → pay on the sandbox provider's page → the confirmation
page; the confirmation e-mail arrives; the invoice PDF downloads and its text (pdftotext) shows
its number, the line and the totals; the enrolment is in the learner's account and on the
roster of bob, the session's teacher. E-mails go the production way: the outbox delivers them
over SMTP after the commit. Every page is checked for requests to another host and for console
errors (a CSP violation is one).
"""

from __future__ import annotations

import re
import subprocess

import pytest
from playwright.sync_api import expect

from cll.accounts.models import User
from cll.core.outbox import outbox_deliver_due
from cll.courses.tests.factories import make_language, make_session
from cll.shop.models import Enrolment, EnrolmentStatus, Invoice, Order, OrderStatus
from conftest import PASSWORD
from tests.e2e.browsing import guarded_page
from tests.e2e.conftest import browser_staff_login, field_label

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

EMAIL = "ines.acheteuse@example.org"
NBSP = "\N{NO-BREAK SPACE}"


def _mail_text(received) -> str:
    return received.message.get_body(preferencelist=("plain",)).get_content()


def test_a_new_visitor_buys_a_session_and_appears_on_the_teachers_roster(
    page, browser, live_server, smtp_server, settings, traffic, bob, tmp_path
):
    # Links in e-mails lead back to the site the browser is on; payments go to the sandbox.
    settings.SITE_URL = live_server.url
    settings.PAYMENT_PROVIDER = "sandbox"
    settings.SHOP_VAT_RATE_BP = 0
    base = live_server.url
    dutch = make_session(language=make_language("nl"), title="Néerlandais B1", level="B1")
    dutch.teacher = bob
    dutch.save(update_fields=["teacher"])
    make_session(language=make_language("en"), title="Anglais B1", level="B1")
    make_session(language=make_language("de"), title="Allemand A2")

    # 1. Browse the catalogue and filter it: Dutch sessions only.
    page.goto(f"{base}/fr/courses/")
    expect(page.locator("#results-title")).to_have_text("3 sessions trouvées")
    filters = page.get_by_role("search", name="Filtrer les sessions")
    filters.get_by_label("Langue").select_option(label="Néerlandais")
    filters.get_by_role("button", name="Afficher les sessions").click()
    page.wait_for_url(re.compile(r"/fr/courses/\?.*language=nl"))
    expect(page.locator("#results-title")).to_have_text("1 session trouvée")
    expect(page.locator(".results")).not_to_contain_text("FR Anglais B1")

    # 2. The session page: seats left, and the enrol panel.
    page.get_by_role("link", name="FR Néerlandais B1").click()
    expect(page.locator("h1")).to_have_text("FR Néerlandais B1")
    panel = page.locator(".enrol-panel")
    expect(panel).to_contain_text(f"{dutch.capacity} places restantes")

    # 3. Into the cart, then to the checkout, which needs an account.
    panel.get_by_role("button", name="Ajouter au panier").click()
    page.wait_for_url(re.compile(r"/fr/shop/cart/$"))
    expect(page.get_by_role("status")).to_contain_text("La session est dans votre panier.")
    expect(page.locator("table")).to_contain_text(f"390,00{NBSP}€")
    page.get_by_role("link", name="Passer la commande").click()
    page.wait_for_url(re.compile(r"/fr/account/login/"))

    # 4. No account yet: create one from the sign-in page.
    page.locator("main").get_by_role("link", name="Créer un compte").click()
    page.wait_for_url(re.compile(r"/fr/account/signup/"))
    form = page.locator("main form.account-form")
    form.get_by_label(field_label("Courriel")).fill(EMAIL)
    form.get_by_label(field_label("Mot de passe")).fill(PASSWORD)
    form.get_by_label("Mot de passe (confirmation)").fill(PASSWORD)
    form.get_by_label("Prénom").fill("Inès")
    form.get_by_label(field_label("Nom")).fill("Acheteuse")
    form.get_by_label("Votre niveau (CECR)").select_option("B1")
    form.get_by_label("Date de naissance").fill("1992-05-14")
    form.get_by_role("button", name="Créer mon compte").click()
    page.wait_for_url(lambda url: "/account/signup/" not in url)
    learner = User.objects.get(email=EMAIL)

    # 5. Confirm the address with the link e-mailed through the outbox and the SMTP server.
    assert smtp_server.messages == []  # nothing is sent inside the request
    outbox_deliver_due()
    (verification,) = smtp_server.wait_for(1)
    assert verification.rcpt_tos == (EMAIL,)
    links = re.findall(r"https?://\S+/account/confirm-email/\S+", _mail_text(verification))
    assert links and links[0].startswith(f"{base}/"), links
    page.goto(links[0])
    page.locator("main").get_by_role("button", name="Confirmer").click()
    page.wait_for_url(lambda url: "/confirm-email/" not in url)

    # 6. Sign in (the confirmation leads to the sign-in page); the cart was kept in the
    # session: the session page says so and links to it.
    page.wait_for_url(re.compile(r"/fr/account/login/"))
    login = page.locator("main form.account-form")
    login.get_by_label(field_label("Courriel")).fill(EMAIL)
    login.get_by_label(field_label("Mot de passe")).fill(PASSWORD)
    login.get_by_role("button", name="Se connecter").click()
    page.wait_for_url(lambda url: "/account/login/" not in url)
    nav = page.get_by_role("navigation", name="Navigation principale")
    nav.get_by_role("link", name="Cours").click()
    page.get_by_role("link", name="FR Néerlandais B1").click()
    expect(page.locator(".enrol-panel")).to_contain_text("Cette session est dans votre panier.")
    page.locator(".enrol-panel").get_by_role("link", name="Voir mon panier").click()
    page.wait_for_url(re.compile(r"/fr/shop/cart/$"))
    expect(page.locator("table")).to_contain_text("FR Néerlandais B1")
    page.get_by_role("link", name="Passer la commande").click()
    page.wait_for_url(re.compile(r"/fr/shop/checkout/$"))

    # 7. Checkout: the name on the invoice and the terms. The session starts within the 14
    # days of the withdrawal period, so starting early is offered; left unticked.
    expect(page.locator("h1")).to_have_text("Commander")
    expect(
        page.get_by_role("checkbox", name=re.compile("^Je demande que le cours"))
    ).not_to_be_checked()
    page.get_by_label("Nom sur la facture").fill("Inès Acheteuse")
    page.get_by_label("J’ai lu et j’accepte les conditions générales.").check()
    page.get_by_role("button", name=f"Confirmer et payer 390,00{NBSP}€").click()

    # 8. The sandbox provider's test page; pay.
    page.wait_for_url(re.compile(r"/fr/shop/pay/sandbox/"))
    expect(page.locator("h1")).to_have_text("Paiement de test")
    page.get_by_role("button", name="Payer", exact=True).click()

    # 9. The confirmation page.
    page.wait_for_url(re.compile(r"/fr/shop/pay/[0-9a-f-]{36}/$"))
    order = Order.objects.get(buyer=learner)
    assert order.status == OrderStatus.PAID and not order.early_start_requested
    expect(page.get_by_role("status")).to_contain_text(
        f"votre commande {order.reference} est confirmée"
    )

    # 10. The confirmation e-mail, through the outbox.
    smtp_server.clear()
    outbox_deliver_due()
    (confirmation,) = smtp_server.wait_for(1)
    assert confirmation.rcpt_tos == (EMAIL,)
    assert order.reference in confirmation.message["Subject"]
    body = _mail_text(confirmation)
    assert "FR Néerlandais B1" in body and f"390,00{NBSP}€" in body, body

    # 11. The order page; its invoice PDF downloads, and its text names the number, the line
    # and the totals.
    page.get_by_role("link", name="Voir votre commande").click()
    expect(page.locator("h1")).to_have_text(f"Commande {order.reference}")
    invoice = Invoice.objects.get(order=order)
    with page.expect_download() as download_info:
        page.get_by_role("link", name=f"Facture {invoice.number}").click()
    download = download_info.value
    assert download.suggested_filename == f"{invoice.number}.pdf"
    pdf = tmp_path / "invoice.pdf"
    download.save_as(pdf)
    text = subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert invoice.number in text, text
    assert "Néerlandais B1" in text, text
    assert "Inès Acheteuse" in text, text
    # The line, then the totals: before VAT, the VAT (exempt: nothing) and the total.
    assert re.search(r"Néerlandais B1.*390,00\s*€", text), text
    assert re.search(r"Total hors TVA\s+390,00\s*€", text), text
    assert re.search(r"\bTVA\s+0,00\s*€", text), text
    assert re.search(r"^\s*Total\s+390,00\s*€", text, re.MULTILINE), text

    # 12. The enrolment in the account.
    page.goto(f"{base}/fr/shop/enrolments/")
    expect(page.locator("table")).to_contain_text("FR Néerlandais B1")
    expect(page.locator("table")).to_contain_text("Inscrit")
    assert Enrolment.objects.filter(
        session=dutch, learner=learner, status=EnrolmentStatus.ACTIVE
    ).exists()
    assert traffic.foreign == []
    assert traffic.console_errors == []

    # 13. On bob's roster: the teacher signs in (with a second factor) in his own browser.
    with guarded_page(
        browser, base, traffic, viewport={"width": 1280, "height": 900}, locale="fr-BE"
    ) as staff_page:
        browser_staff_login(staff_page, live_server, bob)
        staff_page.goto(f"{base}/fr/staff/shop/classes/")
        staff_page.get_by_role("link", name=re.compile("Néerlandais B1")).click()
        staff_page.wait_for_url(re.compile(rf"/fr/staff/shop/classes/{dutch.slug}/$"))
        roster = staff_page.locator("main table")
        expect(roster.get_by_role("row", name=re.compile("Acheteuse"))).to_contain_text("Inès")
        expect(roster.get_by_role("row", name=re.compile("Acheteuse"))).to_contain_text("B1")
    assert traffic.foreign == []
    assert traffic.console_errors == []
