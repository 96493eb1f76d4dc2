# ruff: noqa: RUF001 -- the French texts use the typographic apostrophe.
"""The request for a quote: open to anyone, kept out of robots' reach, sealed with its own key,
acknowledged to the person and announced to Billing, audited."""

from __future__ import annotations

import time

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from cll.accounts.models import LearnerProfile
from cll.core.antispam import started_stamp
from cll.core.models import OutboxEmail
from cll.courses.models import Format
from cll.courses.tests.factories import make_session
from cll.privacy.models import AuditEntry
from cll.shop import cases
from cll.shop.models import QuoteKind, QuoteRequest

pytestmark = pytest.mark.django_db

FORM = reverse("shop:quote_request")
MESSAGE = "Twelve colleagues, Dutch B1, Tuesday mornings in Wavre."


def answer(**fields) -> dict:
    """A filled-in form as a person sends it, a minute after the page was shown."""
    return {
        "kind": QuoteKind.COMPANY,
        "name": "Chloé Dubois",
        "email": "Chloe@Example.org",
        "phone": "010 47 00 00",
        "organisation": "Brasserie du Lac",
        "message": MESSAGE,
        "started": started_stamp(at=time.time() - 60),
        "website": "",
        **fields,
    }


def mails(kind: str) -> list[OutboxEmail]:
    return list(OutboxEmail.objects.filter(kind=f"emails/{kind}").order_by("created_at"))


def test_it_shows_the_form_to_anyone(client):
    response = client.get(FORM)
    assert response.status_code == 200
    page = response.content.decode()
    for value in QuoteKind.values:
        assert f'value="{value}"' in page
    assert response["Cache-Control"].startswith("max-age=0")
    # The honeypot is hidden from everyone, screen readers included.
    assert "<div hidden>" in page and 'name="website"' in page


def test_it_saves_the_request_sealed_with_its_own_key(client):
    response = client.post(FORM, answer())
    assert response.status_code == 302
    assert response["Location"] == reverse("shop:quote_received")
    request = QuoteRequest.objects.get()
    assert (request.kind, request.name, request.email) == (
        "company",
        "Chloé Dubois",
        "chloe@example.org",
    )
    assert request.phone == "+3210470000"
    assert request.organisation == "Brasserie du Lac" and request.message == MESSAGE
    assert request.language == "fr" and request.account is None and request.session is None
    # Only ciphertext in the database.
    with connection.cursor() as cursor:
        cursor.execute("SELECT name, email, message FROM shop_quoterequest")
        raw = cursor.fetchone()
    assert all(value.startswith("e1.") for value in raw)
    assert "Dubois" not in "".join(raw)


def test_it_acknowledges_the_person_without_echoing_what_they_wrote(client):
    client.post(FORM, answer())
    request = QuoteRequest.objects.get()
    (ack,) = mails("quote_received")
    assert ack.to_address == "chloe@example.org"
    assert ack.person == request.public_id
    assert str(request.public_id) in ack.text_body
    assert "Formation en entreprise" in ack.subject
    # Whatever the sender typed could be spam sent through us: none of it is in the e-mail.
    for typed in ("Dubois", "Brasserie", "Wavre"):
        assert typed not in ack.text_body and typed not in ack.subject


def test_it_tells_billing_without_copying_the_request(client, bill, alice):
    client.post(FORM, answer())
    request = QuoteRequest.objects.get()
    (notice,) = mails("quote_billing")
    assert notice.to_address == bill.email
    assert notice.person == request.public_id
    assert str(request.public_id) in notice.text_body
    assert reverse("shop_staff:quote_detail", args=[request.public_id]) in notice.text_body
    for typed in ("Dubois", "chloe@", "Brasserie", "Wavre"):
        assert typed not in notice.text_body


def test_it_tells_the_general_mailbox_when_nobody_is_in_billing(client, settings):
    settings.DEFAULT_FROM_EMAIL = "CLL Centres de Langues <info@cll.example>"
    client.post(FORM, answer())
    (notice,) = mails("quote_billing")
    assert notice.to_address == "info@cll.example"


def test_it_records_the_submission_in_the_ledger(client):
    client.post(FORM, answer())
    request = QuoteRequest.objects.get()
    entry = AuditEntry.objects.get(action="shop.quote.submit")
    assert entry.subject == request.public_id
    assert entry.actor is None
    assert entry.detail == {
        "case": str(request.public_id),
        "kind": "company",
        "with_session": False,
    }


def test_it_prefills_the_form_for_a_signed_in_person(client, alice):
    LearnerProfile.objects.create(
        user=alice, first_name="Alice", last_name="Martin", phone="+32470123456"
    )
    client.force_login(alice)
    form = client.get(FORM).context["form"]
    assert form.initial["email"] == "alice@example.org"
    assert form.initial["name"] == "Alice Martin"
    assert form.initial["phone"] == "+32470123456"
    client.post(FORM, answer(email="alice@example.org"))
    request = QuoteRequest.objects.get()
    assert request.account == alice
    assert AuditEntry.objects.get(action="shop.quote.submit").actor == alice.public_id


def test_it_starts_from_the_session_that_was_asked_about(client):
    session = make_session(format=Format.INDIVIDUAL, title="Private Spanish")
    response = client.get(f"{FORM}?session={session.slug}")
    form = response.context["form"]
    assert form.initial["kind"] == QuoteKind.INDIVIDUAL
    assert form.initial["session"] == session.slug
    assert session.title_fr in response.content.decode()
    client.post(FORM, answer(session=session.slug, kind=QuoteKind.INDIVIDUAL))
    assert QuoteRequest.objects.get().session == session


def test_it_ignores_an_unknown_session_in_the_address(client):
    response = client.get(f"{FORM}?session=no-such-session")
    assert response.status_code == 200
    assert "session" not in response.context["form"].initial


def test_it_refuses_a_tampered_session_with_a_message(client):
    unpublished = make_session(published=False)
    response = client.post(FORM, answer(session=unpublished.slug))
    assert response.status_code == 200
    assert "n’est plus proposée" in response.content.decode()
    assert not QuoteRequest.objects.exists()
    # The next try goes through without it.
    assert response.context["form"].data["session"] == ""


def test_it_refuses_bad_input_inline_and_saves_nothing(client):
    response = client.post(FORM, answer(email="not-an-address", phone="12", message=""))
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert {"email", "phone", "message"} <= set(errors)
    assert not QuoteRequest.objects.exists()
    assert not OutboxEmail.objects.exists()


def test_it_refuses_a_robot_that_fills_in_the_honeypot(client):
    response = client.post(FORM, answer(website="https://spam.example"))
    assert response.status_code == 200
    assert "n’a pas pu être envoyé" in response.content.decode()
    assert not QuoteRequest.objects.exists()
    # Shown again empty, so a person who filled it by accident can send the form.
    assert response.context["form"].data["website"] == ""


def test_it_refuses_a_form_sent_back_too_quickly_then_accepts_it(client):
    response = client.post(FORM, answer(started=started_stamp()))
    assert response.status_code == 200
    assert not QuoteRequest.objects.exists()
    fresh = response.context["form"].data["started"]
    assert fresh != answer()["started"]
    # A person who waits a moment and sends again gets through.
    later = answer(started=started_stamp(at=time.time() - 10))
    assert client.post(FORM, later).status_code == 302


@pytest.mark.parametrize(
    "started",
    ["", "1700000000", "1700000000:forged", started_stamp(at=time.time() - 3 * 86400)],
    ids=["missing", "unsigned", "forged", "stale"],
)
def test_it_refuses_a_missing_forged_or_stale_start_time(client, started):
    response = client.post(FORM, answer(started=started))
    assert response.status_code == 200
    assert response.context["form"].non_field_errors()
    assert not QuoteRequest.objects.exists()


def test_it_limits_requests_from_one_ip(client, monkeypatch):
    monkeypatch.setattr(cases, "RATE_PER_IP_HOUR", 2)
    for number in range(2):
        response = client.post(FORM, answer(email=f"p{number}@example.org"), REMOTE_ADDR="1.2.3.4")
        assert response.status_code == 302
    response = client.post(FORM, answer(email="p9@example.org"), REMOTE_ADDR="1.2.3.4")
    assert "Trop de demandes en peu de temps" in response.content.decode()
    assert QuoteRequest.objects.count() == 2
    # Someone else is not affected.
    assert Client().post(FORM, answer(), REMOTE_ADDR="5.6.7.8").status_code == 302


def test_it_limits_requests_for_one_address(client, monkeypatch):
    monkeypatch.setattr(cases, "RATE_PER_ADDRESS_DAY", 1)
    assert Client().post(FORM, answer(), REMOTE_ADDR="1.1.1.1").status_code == 302
    response = Client().post(FORM, answer(email="CHLOE@example.org"), REMOTE_ADDR="2.2.2.2")
    assert response.status_code == 200
    assert len(mails("quote_received")) == 1


@pytest.mark.parametrize(
    ("language", "title", "button"),
    [
        ("fr", "Demander un devis", "Envoyer ma demande"),
        ("en", "Ask for a quote", "Send my request"),
        ("nl", "Een offerte aanvragen", "Mijn verzoek versturen"),
    ],
)
def test_it_speaks_the_visitors_language(client, language, title, button):
    page = client.get(f"/{language}/shop/quote/").content.decode()
    assert title in page and button in page


def test_the_thank_you_page_says_when_we_answer(client):
    response = client.get(reverse("shop:quote_received"))
    assert response.status_code == 200
    page = response.content.decode()
    assert 'role="status"' in page
    assert "5 jours ouvrables" in page


def test_a_stranger_sees_nothing_of_anyone_elses_request(client, alice, charlie):
    Client().post(FORM, answer(email="alice@example.org", name="Alice Martin"))
    client.force_login(charlie)
    response = client.get(FORM)
    page = response.content.decode()
    assert "alice@example.org" not in page and "Alice Martin" not in page
    assert response.context["form"].initial["email"] == "charlie@example.org"
