# ruff: noqa: RUF001 -- the French texts use the typographic apostrophe.
"""The contact page: the school's addresses and the form that opens a ticket, open to anyone,
kept out of robots' reach, the session named, privacy questions sent to their own form."""

from __future__ import annotations

import time

import pytest
from django.test import Client
from django.urls import reverse

from cll.core.antispam import started_stamp
from cll.core.models import OutboxEmail
from cll.courses.tests.factories import make_session
from cll.helpdesk import services
from cll.helpdesk.models import Channel, Ticket, Topic
from cll.privacy.models import AuditEntry

pytestmark = pytest.mark.django_db

FORM = reverse("helpdesk:contact")
# The contact form is checked by origin instead of a CSRF token (a public page sets no cookie).
ORIGIN = "http://testserver"


def answer(**fields) -> dict:
    """A filled-in form as a person sends it, a minute after the page was shown."""
    return {
        "topic": Topic.BILLING,
        "name": "Chloé Dubois",
        "email": "chloe@example.org",
        "subject": "My invoice",
        "body": "I need my invoice with my company's VAT number.",
        "started": started_stamp(at=time.time() - 60),
        "website": "",
        **fields,
    }


def test_it_shows_the_addresses_and_the_form_to_anyone(client):
    response = client.get(FORM)
    assert response.status_code == 200
    assert FORM == "/fr/contact/"
    page = response.content.decode()
    # What the old contact page held.
    assert "Louvain-la-Neuve" in page
    assert reverse("shop:fraud_report") in page
    assert reverse("dsar:request_new") in page
    # The form, uploadable, with its hidden honeypot; never from the page cache.
    assert 'enctype="multipart/form-data"' in page and 'name="attachments"' in page
    assert "<div hidden>" in page and 'name="website"' in page
    for value in (*Topic.values, "privacy"):
        assert f'value="{value}"' in page
    assert response["Cache-Control"].startswith("max-age=0")


def test_the_site_links_to_it(client):
    assert f'href="{FORM}"' in client.get(reverse("content:home")).content.decode()


def test_it_opens_a_ticket_and_thanks_with_the_reference(client):
    response = client.post(FORM, answer(), HTTP_ORIGIN=ORIGIN)
    ticket = Ticket.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("helpdesk:contact_sent", args=[ticket.reference])
    assert (ticket.topic, ticket.channel, ticket.language) == ("billing", Channel.FORM, "fr")
    assert ticket.name == "Chloé Dubois" and ticket.account is None
    page = client.get(response["Location"]).content.decode()
    assert ticket.reference in page and 'role="status"' in page
    assert "2 jours ouvrables" in page
    assert AuditEntry.objects.get(action="helpdesk.ticket.open").subject == ticket.person


def test_the_thank_you_page_only_echoes_a_reference(client):
    assert client.get(reverse("helpdesk:contact_sent", args=["<script>"])).status_code == 404
    assert client.get(reverse("helpdesk:contact_sent", args=["CLL-0000000"])).status_code == 404


def test_a_signed_in_persons_address_is_fixed_to_their_account(client, alice):
    client.force_login(alice)
    form = client.get(FORM).context["form"]
    assert form.fields["email"].disabled and form["email"].value() == alice.email
    client.post(FORM, answer(email="someone.else@example.org"), HTTP_ORIGIN=ORIGIN)
    ticket = Ticket.objects.get()
    assert ticket.email == alice.email and ticket.account == alice
    assert ticket.person == alice.public_id


def test_it_names_the_session_asked_about(client):
    session = make_session(title="Dutch B1 evenings")
    response = client.get(f"{FORM}?session={session.slug}")
    form = response.context["form"]
    assert form.initial["session"] == session.slug
    page = response.content.decode()
    assert "À propos" in page and session.title_fr in page
    client.post(FORM, answer(session=session.slug), HTTP_ORIGIN=ORIGIN)
    assert Ticket.objects.get().session == session
    assert AuditEntry.objects.get(action="helpdesk.ticket.open").detail["with_session"] is True


def test_the_session_page_asks_through_the_form(client):
    session = make_session()
    page = client.get(session.get_absolute_url()).content.decode()
    assert f"{FORM}?session={session.slug}" in page


@pytest.mark.parametrize("slug", ["no-such-session", "x' OR 1=1 --", "a" * 200])
def test_it_ignores_an_unknown_or_malformed_session(client, slug):
    response = client.get(FORM, {"session": slug})
    assert response.status_code == 200
    assert "session" not in response.context["form"].initial


def test_it_refuses_a_tampered_session_with_a_message(client):
    unpublished = make_session(published=False)
    response = client.post(FORM, answer(session=unpublished.slug), HTTP_ORIGIN=ORIGIN)
    assert response.status_code == 200
    assert "n’est plus proposée" in response.content.decode()
    assert not Ticket.objects.exists()
    assert response.context["form"].data["session"] == ""


def test_the_privacy_topic_leads_to_the_privacy_request_form(client):
    response = client.post(FORM, answer(topic="privacy"), HTTP_ORIGIN=ORIGIN)
    assert response.status_code == 302
    assert response["Location"] == reverse("dsar:request_new")
    assert not Ticket.objects.exists() and not OutboxEmail.objects.exists()


def test_it_refuses_bad_input_inline_and_saves_nothing(client):
    response = client.post(
        FORM, answer(email="not-an-address", body="", topic="nope"), HTTP_ORIGIN=ORIGIN
    )
    assert response.status_code == 200
    assert {"email", "body", "topic"} <= set(response.context["form"].errors)
    assert not Ticket.objects.exists() and not OutboxEmail.objects.exists()


def test_it_refuses_a_robot_that_fills_in_the_honeypot(client):
    response = client.post(FORM, answer(website="https://spam.example"), HTTP_ORIGIN=ORIGIN)
    assert response.status_code == 200
    assert "n’a pas pu être envoyé" in response.content.decode()
    assert not Ticket.objects.exists()
    assert response.context["form"].data["website"] == ""


def test_it_refuses_a_form_sent_back_too_quickly_then_accepts_it(client):
    response = client.post(FORM, answer(started=started_stamp()), HTTP_ORIGIN=ORIGIN)
    assert response.status_code == 200 and not Ticket.objects.exists()
    assert response.context["form"].non_field_errors()
    later = answer(started=started_stamp(at=time.time() - 10))
    assert client.post(FORM, later, HTTP_ORIGIN=ORIGIN).status_code == 302


def test_it_limits_messages_from_one_ip(client, settings):
    settings.HELPDESK_RATE_PER_IP_HOUR = 2
    for number in range(2):
        response = client.post(
            FORM, answer(email=f"p{number}@example.org"), REMOTE_ADDR="1.2.3.4", HTTP_ORIGIN=ORIGIN
        )
        assert response.status_code == 302
    response = client.post(
        FORM, answer(email="p9@example.org"), REMOTE_ADDR="1.2.3.4", HTTP_ORIGIN=ORIGIN
    )
    assert "Trop de demandes en peu de temps" in response.content.decode()
    assert Ticket.objects.count() == 2
    assert (
        Client().post(FORM, answer(), REMOTE_ADDR="5.6.7.8", HTTP_ORIGIN=ORIGIN).status_code == 302
    )


def test_it_limits_messages_for_one_address(settings):
    settings.HELPDESK_RATE_PER_ADDRESS_DAY = 1
    assert (
        Client().post(FORM, answer(), REMOTE_ADDR="1.1.1.1", HTTP_ORIGIN=ORIGIN).status_code == 302
    )
    response = Client().post(
        FORM, answer(email="CHLOE@example.org"), REMOTE_ADDR="2.2.2.2", HTTP_ORIGIN=ORIGIN
    )
    assert response.status_code == 200
    assert Ticket.objects.count() == 1


@pytest.mark.parametrize(
    ("language", "title", "button"),
    [
        ("fr", "Contact", "Envoyer mon message"),
        ("en", "Contact", "Send my message"),
        ("nl", "Contact", "Mijn bericht versturen"),
    ],
)
def test_it_speaks_the_visitors_language(client, language, title, button):
    page = client.get(f"/{language}/contact/").content.decode()
    assert title in page and button in page


def test_it_sets_no_cookie_and_refuses_a_cross_site_post(client):
    assert not client.get(FORM).cookies
    assert client.post(FORM, answer(), HTTP_ORIGIN="https://evil.example").status_code == 403
    # Without any origin information either.
    assert client.post(FORM, answer()).status_code == 403
    assert not Ticket.objects.exists()


def test_the_portal_forms_need_a_csrf_token(alice):
    ticket = services.ticket_open(
        name="Alice",
        email=alice.email,
        subject="Hi",
        body="Hi",
        topic=Topic.OTHER,
        language="fr",
        channel=Channel.FORM,
        account=alice,
    ).ticket
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(alice)
    url = reverse("helpdesk:ticket_detail", args=[ticket.public_id])
    assert strict.post(url, {"body": "forged"}).status_code == 403
    assert ticket.messages.count() == 1
