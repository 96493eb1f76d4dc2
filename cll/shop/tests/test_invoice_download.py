"""Downloading an invoice: its buyer only (404 for anyone else), an attachment never cached,
the read audited."""

from __future__ import annotations

import pytest
from django.urls import reverse

from cll.privacy.models import AuditEntry
from cll.shop.invoices import credit_note_issue, invoice_get_for, invoice_issue, invoice_list_for
from cll.shop.tests.test_invoice_issue import make_paid_order, make_refund
from cll.shop.tests.test_invoice_pdf import pdf_text

pytestmark = pytest.mark.django_db


@pytest.fixture
def invoice(alice):
    return invoice_issue(order=make_paid_order(alice))


def url(number: str) -> str:
    return reverse("shop:invoice_download", args=[number])


def test_it_sends_the_buyer_their_invoice_as_an_attachment(client, alice, invoice, tmp_path):
    client.force_login(alice)
    response = client.get(url(invoice.number))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == f'attachment; filename="{invoice.number}.pdf"'
    assert "no-store" in response["Cache-Control"]
    assert invoice.number in pdf_text(response.content, tmp_path)


def test_it_records_the_download_in_the_ledger(client, alice, invoice):
    client.force_login(alice)
    client.get(url(invoice.number))
    entry = AuditEntry.objects.get(action="invoice.download")
    assert entry.actor == alice.public_id and entry.subject == alice.public_id
    assert entry.route == "shop:invoice_download"
    assert entry.detail == {"number": invoice.number}
    assert {"billing_name", "billing_address", "total_cents"} <= set(entry.fields)


def test_it_sends_a_credit_note_to_its_buyer_too(client, alice, invoice, tmp_path):
    note = credit_note_issue(refund=make_refund(invoice.order, invoice.total_cents))
    client.force_login(alice)
    response = client.get(url(note.number))
    assert response.status_code == 200
    assert invoice.number in pdf_text(response.content, tmp_path)


def test_it_asks_a_visitor_to_sign_in(client, invoice):
    response = client.get(url(invoice.number))
    assert response.status_code == 302
    assert reverse("account_login") in response["Location"]
    assert not AuditEntry.objects.filter(action="invoice.download").exists()


def test_it_hides_an_invoice_from_a_stranger(client, charlie, invoice):
    client.force_login(charlie)
    assert client.get(url(invoice.number)).status_code == 404
    # An unknown number answers the same.
    assert client.get(url("2099-000001")).status_code == 404
    assert not AuditEntry.objects.filter(action="invoice.download").exists()


def test_it_hides_a_customers_invoice_from_staff_on_this_page(client, bill, invoice):
    # Staff read invoices on their own pages, under their role (and its audit).
    client.force_login(bill)
    assert client.get(url(invoice.number)).status_code == 404


def test_it_refuses_other_methods(client, alice, invoice):
    client.force_login(alice)
    assert client.post(url(invoice.number)).status_code == 405


def test_the_selectors_see_only_the_buyers_documents(alice, charlie, invoice):
    mine = invoice_issue(order=make_paid_order(charlie))
    assert list(invoice_list_for(user=alice)) == [invoice]
    assert invoice_get_for(user=charlie, number=mine.number) == mine
