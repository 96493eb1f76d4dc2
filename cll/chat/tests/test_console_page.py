"""The staff console page (chat_staff:console) and the widget's markup on public pages."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from conftest import staff_login

pytestmark = pytest.mark.django_db


def test_customer_service_opens_the_console(client, cecile):
    staff_login(client, cecile)
    response = client.get(reverse("chat_staff:console"))
    assert response.status_code == 200
    page = response.content.decode()
    assert "data-chat-console" in page
    assert "chat/console" in page
    # Staff answer from the console: no visitor widget on staff pages.
    assert "data-chat-widget" not in page
    assert "no-store" in response["Cache-Control"]


def test_an_administrator_opens_the_console(client, adam):
    staff_login(client, adam)
    assert client.get(reverse("chat_staff:console")).status_code == 200


def test_a_stranger_is_refused_the_console(client, alice, bill):
    assert client.get(reverse("chat_staff:console")).status_code == 302
    client.force_login(alice)
    assert client.get(reverse("chat_staff:console")).status_code == 403
    staff_login(client, bill)
    assert client.get(reverse("chat_staff:console")).status_code == 403


def test_every_public_page_carries_the_widget_without_inline_code(client):
    response = client.get("/en/")
    page = response.content.decode()
    assert "data-chat-widget" in page
    widget = page[page.index("data-chat-widget") : page.index("</body>")]
    # Only a button until the visitor clicks: the launcher, the hidden dialog, the script.
    assert re.search(r'<section id="chat-dialog"[^>]* hidden>', widget)
    assert "style=" not in widget
    assert re.search(r'<script src="[^"]*chat/widget[^"]*" nonce="[^"]+" defer></script>', widget)
    assert "Chat with us" in widget
    assert "to receive a transcript of this chat" in widget
    # No cookie for an anonymous visitor who did not open anything.
    assert not response.cookies
