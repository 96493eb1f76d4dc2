"""Reporting a fraudulent debit: a billing case for anyone, with what to do with the bank, no
card number ever kept, Billing told, audited."""

from __future__ import annotations

import datetime as dt
import time

import pytest
from django import forms
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from cll.core.antispam import started_stamp
from cll.core.models import OutboxEmail
from cll.privacy.models import AuditEntry
from cll.shop import cases
from cll.shop.case_forms import EuroAmountField, contains_card_number
from cll.shop.models import FraudReport

pytestmark = pytest.mark.django_db

FORM = reverse("shop:fraud_report")
BANK_ADVICE = "contactez immédiatement votre banque"


def answer(**fields) -> dict:
    return {
        "name": "Marc Lenoir",
        "email": "marc@example.org",
        "debit_date": (timezone.localdate() - dt.timedelta(days=3)).isoformat(),
        "amount": "65,00",
        "statement_text": "CLL CENTRES LANGUES LLN 0412 carte ****1234",
        "details": "Nobody at home ordered a course.",
        "started": started_stamp(at=time.time() - 60),
        "website": "",
        **fields,
    }


def mails(kind: str) -> list[OutboxEmail]:
    return list(OutboxEmail.objects.filter(kind=f"emails/{kind}").order_by("created_at"))


def test_it_shows_the_form_and_the_bank_advice_to_anyone(client):
    response = client.get(FORM)
    assert response.status_code == 200
    page = response.content.decode()
    assert BANK_ADVICE in page
    assert 'type="date"' in page and 'name="amount"' in page


def test_the_contact_page_links_to_it(client):
    assert f'href="{FORM}"' in client.get(reverse("helpdesk:contact")).content.decode()


def test_it_opens_a_case_and_answers_with_what_to_do(client, bill):
    response = client.post(FORM, answer(), follow=True)
    assert response.redirect_chain[-1][0] == reverse("shop:fraud_received")
    page = response.content.decode()
    assert 'role="status"' in page and BANK_ADVICE in page
    report = FraudReport.objects.get()
    assert report.amount_cents == 6500
    assert report.debit_date == timezone.localdate() - dt.timedelta(days=3)
    assert report.statement_text.startswith("CLL CENTRES")
    assert report.status == "open" and report.account is None and report.language == "fr"

    (ack,) = mails("fraud_received")
    assert ack.to_address == "marc@example.org" and ack.person == report.public_id
    assert str(report.public_id) in ack.text_body
    assert BANK_ADVICE in ack.text_body
    assert "Lenoir" not in ack.text_body and "****1234" not in ack.text_body
    (notice,) = mails("fraud_billing")
    assert notice.to_address == bill.email and notice.person == report.public_id
    assert reverse("shop_staff:fraud_detail", args=[report.public_id]) in notice.text_body
    assert "Lenoir" not in notice.text_body and "65,00" not in notice.text_body

    entry = AuditEntry.objects.get(action="shop.fraud.submit")
    assert entry.subject == report.public_id
    assert entry.detail == {"case": str(report.public_id)}


def test_it_links_a_signed_in_person_and_prefills_their_address(client, alice):
    client.force_login(alice)
    assert client.get(FORM).context["form"].initial["email"] == "alice@example.org"
    client.post(FORM, answer(email="alice@example.org"))
    assert FraudReport.objects.get().account == alice
    assert AuditEntry.objects.get(action="shop.fraud.submit").actor == alice.public_id


def test_a_stranger_sees_nothing_of_anyone_elses_report(client, alice, charlie):
    Client().post(FORM, answer(email="alice@example.org", name="Alice Martin"))
    client.force_login(charlie)
    page = client.get(FORM).content.decode()
    assert "alice@example.org" not in page and "Alice Martin" not in page
    assert client.get(FORM).context["form"].initial["email"] == "charlie@example.org"


@pytest.mark.parametrize(
    ("typed", "cents"),
    [
        ("65,00", 6500),
        ("65.00", 6500),
        ("65", 6500),
        ("65,5", 6550),
        ("€ 1 234,56", 123456),
        ("1.234,56", 123456),
        ("1,234.56", 123456),
        ("1234.5", 123450),
        ("0,01", 1),
        ("390,00 EUR", 39000),
    ],
)
def test_it_reads_amounts_as_people_type_them(typed, cents):
    assert EuroAmountField().clean(typed) == cents


@pytest.mark.parametrize(
    "typed", ["", "abc", "-5", "0,00", "12.34.56", "6,5,0", "1,2345", "100000,00", "1e3"]
)
def test_it_refuses_amounts_it_cannot_read(typed):
    with pytest.raises(forms.ValidationError):
        EuroAmountField().clean(typed)


def test_it_refuses_bad_input_with_messages_and_saves_nothing(client):
    tomorrow = (timezone.localdate() + dt.timedelta(days=1)).isoformat()
    response = client.post(FORM, answer(debit_date=tomorrow, amount="soixante", email="x"))
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert set(errors) == {"debit_date", "amount", "email"}
    assert "ne peut pas être dans le futur" in str(errors["debit_date"])
    assert "65,00" in str(errors["amount"])
    assert not FraudReport.objects.exists() and not OutboxEmail.objects.exists()


def test_it_refuses_a_date_from_the_year_one(client):
    response = client.post(FORM, answer(debit_date="0001-01-01"))
    assert "debit_date" in response.context["form"].errors
    assert not FraudReport.objects.exists()


def test_it_never_keeps_a_card_number(client):
    for field in ("statement_text", "details"):
        response = client.post(FORM, answer(**{field: "Carte 4111 1111 1111 1111 débitée"}))
        assert response.status_code == 200
        assert "numéro de carte" in str(response.context["form"].errors[field])
    assert not FraudReport.objects.exists() and not OutboxEmail.objects.exists()


def test_it_tells_card_numbers_from_other_numbers():
    assert contains_card_number("4111-1111-1111-1111")
    assert contains_card_number("5500 0000 0000 0004")
    # A bank reference or an IBAN-like run of digits that fails the Luhn check is fine.
    assert not contains_card_number("Réf. 4111 1111 1111 1112")
    assert not contains_card_number("carte ****1234, 65,00 EUR le 03/12")
    assert not contains_card_number("Communication +++090/9337/55493+++")


def test_it_keeps_robots_out(client):
    assert client.post(FORM, answer(website="x")).status_code == 200
    assert client.post(FORM, answer(started=started_stamp())).status_code == 200
    assert not FraudReport.objects.exists()


def test_it_limits_reports_from_one_ip(client, monkeypatch):
    monkeypatch.setattr(cases, "RATE_PER_IP_HOUR", 1)
    assert client.post(FORM, answer(), REMOTE_ADDR="9.9.9.9").status_code == 302
    response = client.post(FORM, answer(email="b@example.org"), REMOTE_ADDR="9.9.9.9")
    assert "Trop de demandes" in response.content.decode()
    assert FraudReport.objects.count() == 1


@pytest.mark.parametrize(
    ("language", "heading", "advice"),
    [
        ("fr", "Signaler un débit frauduleux", "contactez immédiatement votre banque"),
        ("en", "Report a fraudulent debit", "contact your bank or card issuer at once"),
        ("nl", "Een frauduleuze afschrijving melden", "neem dan onmiddellijk contact op"),
    ],
)
def test_it_speaks_the_visitors_language(client, language, heading, advice):
    page = client.get(f"/{language}/shop/fraudulent-debit/").content.decode()
    assert heading in page and advice in page
