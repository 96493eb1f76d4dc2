"""Billing's cases on the staff pages: requests for a quote and reports of a fraudulent debit,
read (audited) and closed."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from django.urls import reverse

from cll.privacy.datamap import Role
from cll.privacy.models import AuditEntry
from cll.shop import cases
from cll.shop.models import CaseStatus, FraudReport, QuoteRequest
from conftest import staff_login, status_text

pytestmark = pytest.mark.django_db

QUOTES_URL = "/en/staff/shop/quotes/"
FRAUD_URL = "/en/staff/shop/fraud-reports/"


@pytest.fixture
def quote():
    return cases.quote_request_submit(
        kind="company",
        name="Marie Lambert",
        email="marie@acme.example",
        phone="+3227654321",
        organisation="Acme SA",
        message="Dutch for 12 employees, Tuesday mornings.",
        language="fr",
    )


@pytest.fixture
def other_quote():
    return cases.quote_request_submit(
        kind="individual",
        name="Jan Peeters",
        email="jan@example.net",
        phone="",
        organisation="",
        message="One-to-one English lessons.",
        language="nl",
    )


@pytest.fixture
def report():
    return cases.fraud_report_submit(
        name="Paul Martin",
        email="paul@example.com",
        debit_date=dt.date(2026, 11, 20),
        amount_cents=39000,
        statement_text="CLL CENTRES LANGUES 1348",
        details="I never ordered anything.",
        language="en",
    )


def detail(url: str, case) -> str:
    return f"{url}{case.public_id}/"


def test_it_is_at_the_documented_urls(quote, report):
    assert reverse("shop_staff:quote_list") == "/fr/staff/shop/quotes/"
    assert reverse("shop_staff:fraud_detail", args=[report.public_id]) == (
        f"/fr/staff/shop/fraud-reports/{report.public_id}/"
    )


def test_it_sends_anonymous_visitors_to_sign_in(client, quote, report):
    for url in (QUOTES_URL, detail(QUOTES_URL, quote), FRAUD_URL, detail(FRAUD_URL, report)):
        response = client.get(url)
        assert response.status_code == 302
        assert response.headers["Location"].startswith(reverse("account_login"))


def test_it_refuses_learners_and_other_roles(client, charlie, bob, cecile, dora, quote, report):
    urls = (QUOTES_URL, detail(QUOTES_URL, quote), FRAUD_URL, detail(FRAUD_URL, report))
    client.force_login(charlie)
    for url in urls:
        assert client.get(url).status_code == 403
    assert client.post(f"{detail(QUOTES_URL, quote)}close/").status_code == 403
    for member in (bob, cecile, dora):
        staff_login(client, member)
        for url in urls:
            assert client.get(url).status_code == 403
        assert client.post(f"{detail(FRAUD_URL, report)}close/").status_code == 403
    assert not AuditEntry.objects.filter(action__in=["shop.quote.read", "shop.fraud.read"])
    assert QuoteRequest.objects.get().status == FraudReport.objects.get().status == "open"


def test_it_lists_cases_without_their_contents_and_audits_each_one(
    client, bill, quote, other_quote, report
):
    staff_login(client, bill)
    page = client.get(QUOTES_URL).content.decode()
    assert detail(QUOTES_URL, quote) in page and "Company training" in page
    assert "Marie" not in page and "Acme" not in page
    page = client.get(FRAUD_URL).content.decode()
    assert detail(FRAUD_URL, report) in page and "Paul" not in page
    # When each case came is about its sender: each case shown is audited, none read.
    listed = AuditEntry.objects.filter(action__in=["shop.quote.list", "shop.fraud.list"])
    assert {entry.subject for entry in listed} == {
        quote.public_id,
        other_quote.public_id,
        report.public_id,
    }
    assert all(entry.actor_role == Role.BILLING for entry in listed)
    assert listed.get(subject=report.public_id).fields == ["created_at", "status"]
    assert not AuditEntry.objects.filter(action__in=["shop.quote.read", "shop.fraud.read"])


def test_it_shows_a_quote_request_and_audits_the_read(client, bill, quote, other_quote):
    staff_login(client, bill)
    response = client.get(detail(QUOTES_URL, quote))
    assert response.status_code == 200
    page = response.content.decode()
    for shown in ("Marie Lambert", "marie@acme.example", "+3227654321", "Acme SA", "Tuesday"):
        assert shown in page
    for hidden in ("Jan Peeters", "jan@example.net"):
        assert hidden not in page
    entry = AuditEntry.objects.get(action="shop.quote.read")
    assert entry.subject == quote.public_id
    assert entry.actor == bill.public_id and entry.actor_role == Role.BILLING


def test_it_shows_a_fraud_report_and_audits_the_read(client, adam, report):
    staff_login(client, adam)
    page = client.get(detail(FRAUD_URL, report)).content.decode()
    for shown in ("Paul Martin", "paul@example.com", "€390.00", "CLL CENTRES LANGUES 1348"):
        assert shown in page
    entry = AuditEntry.objects.get(action="shop.fraud.read")
    assert entry.subject == report.public_id and entry.actor_role == Role.ADMINISTRATOR


def test_it_closes_a_quote_request(client, bill, quote):
    staff_login(client, bill)
    response = client.post(f"{detail(QUOTES_URL, quote)}close/")
    assert response.status_code == 302
    assert response.headers["Location"] == reverse("shop_staff:quote_list")
    quote.refresh_from_db()
    assert quote.status == CaseStatus.CLOSED and quote.closed_at is not None
    assert AuditEntry.objects.filter(action="shop.quote.close", subject=quote.public_id).exists()
    page = client.get(QUOTES_URL).content.decode()
    assert "The case was closed." in status_text(page)
    assert detail(QUOTES_URL, quote) not in page
    assert detail(QUOTES_URL, quote) in client.get(QUOTES_URL, {"show": "closed"}).content.decode()


def test_it_closes_a_fraud_report_once(client, bill, report):
    staff_login(client, bill)
    client.post(f"{detail(FRAUD_URL, report)}close/")
    response = client.post(f"{detail(FRAUD_URL, report)}close/", follow=True)
    assert "The case was already closed." in status_text(response.content.decode())
    assert AuditEntry.objects.filter(action="shop.fraud.close").count() == 1
    # A closed report offers no close button any more.
    assert "close/" not in client.get(detail(FRAUD_URL, report)).content.decode()


def test_it_closes_nothing_by_get_or_for_an_unknown_case(client, bill, quote):
    staff_login(client, bill)
    assert client.get(f"{detail(QUOTES_URL, quote)}close/").status_code == 405
    assert client.post(f"{QUOTES_URL}{uuid.uuid4()}/close/").status_code == 404
    assert client.get(f"{FRAUD_URL}{uuid.uuid4()}/").status_code == 404
    # A quote's id is not a fraud report's.
    assert client.post(f"{FRAUD_URL}{quote.public_id}/close/").status_code == 404
    quote.refresh_from_db()
    assert quote.status == CaseStatus.OPEN
