# ruff: noqa: RUF001 -- the French texts use the typographic apostrophe.
"""Buying a session in a real browser (issue 13, items 1 and 2): a new visitor browses the
catalogue, opens a session, adds it to the cart, signs in at checkout (the cart survives the
sign-in), accepts the terms and lands on the payment step (the sandbox provider's test page),
with the seat held by a pending order. Every page is checked for requests to another host and
for console errors (a CSP violation is one)."""

from __future__ import annotations

import re

import pytest
from allauth.account.models import EmailAddress
from playwright.sync_api import expect

from cll.courses.tests.factories import make_session
from cll.shop import selectors
from cll.shop.models import Order, OrderStatus
from conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_visitor_adds_a_session_signs_in_and_reaches_the_payment_page(
    page, live_server, alice, traffic, settings
):
    settings.PAYMENT_PROVIDER = "sandbox"
    EmailAddress.objects.create(user=alice, email=alice.email, verified=True, primary=True)
    session = make_session(title="Browser", price_cents=39000)
    capacity = session.capacity

    page.goto(f"{live_server.url}/fr/courses/")
    page.get_by_role("link", name="FR Browser").click()
    expect(page.locator("h1")).to_have_text("FR Browser")
    expect(page.locator(".enrol-panel")).to_contain_text(f"{capacity} places restantes")

    page.get_by_role("button", name="Ajouter au panier").click()
    page.wait_for_url(re.compile(r"/fr/shop/cart/$"))
    expect(page.get_by_role("status")).to_contain_text("La session est dans votre panier.")
    expect(page.locator("table")).to_contain_text("390,00\N{NO-BREAK SPACE}€")

    page.get_by_role("link", name="Passer la commande").click()
    # Checkout needs an account: the sign-in page, then back to the checkout.
    page.wait_for_url(re.compile(r"/fr/account/login/"))
    login = page.locator("main form.account-form")
    login.get_by_label(re.compile(r"^Courriel")).fill(alice.email)
    login.get_by_label(re.compile(r"^Mot de passe")).fill(PASSWORD)
    login.get_by_role("button", name="Se connecter").click()
    page.wait_for_url(re.compile(r"/fr/shop/checkout/$"))
    expect(page.locator("h1")).to_have_text("Commander")
    expect(page.locator("table")).to_contain_text("FR Browser")

    page.get_by_label("Nom sur la facture").fill("Alice Martin")
    page.get_by_label("J’ai lu et j’accepte les conditions générales.").check()
    page.get_by_role("button", name=re.compile("Confirmer et payer")).click()

    # The payment step: the sandbox provider's test page (no card data on our site).
    page.wait_for_url(re.compile(r"/fr/shop/pay/sandbox/"))
    expect(page.locator("h1")).to_have_text("Paiement de test")
    order = Order.objects.get()
    assert order.buyer == alice and order.status == OrderStatus.PENDING
    expect(page.locator("dl")).to_contain_text(order.reference)
    assert selectors.seats_left(session=session) == capacity - 1
    assert traffic.foreign == []
    assert traffic.console_errors == []
