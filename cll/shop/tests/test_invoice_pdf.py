"""The invoice PDF (WeasyPrint), read back with pdftotext: number, lines, totals, the VAT
mention, in the order's language, with nothing fetched from the network."""

from __future__ import annotations

import subprocess

import pytest
from django.utils import translation

from cll.core.encryption import data_key_destroy
from cll.shop import invoices
from cll.shop.invoices import credit_note_issue, invoice_issue, invoice_pdf
from cll.shop.models import Order
from cll.shop.tests.test_invoice_issue import make_paid_order, make_refund

pytestmark = pytest.mark.django_db


def pdf_text(pdf: bytes, tmp_path) -> str:
    """The text of a PDF as pdftotext reads it, spaces of every width made plain."""
    path = tmp_path / "document.pdf"
    path.write_bytes(pdf)
    text = subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], check=True, capture_output=True, text=True
    ).stdout
    for space in ("\N{NO-BREAK SPACE}", "\N{NARROW NO-BREAK SPACE}"):
        text = text.replace(space, " ")
    return text


def test_it_shows_number_lines_totals_and_the_exemption(alice, settings, tmp_path):
    settings.SHOP_SELLER_NAME = "CLL Centres de Langues ASBL"
    settings.SHOP_SELLER_VAT_NUMBER = "BE 0412.345.678"
    settings.SHOP_VAT_EXEMPTION_MENTION = "Exemption de TVA, article 44, § 2, 4°"
    order = make_paid_order(alice, prices=(39000, 12050))
    invoice = invoice_issue(order=order)
    pdf = invoice_pdf(invoice=invoice)
    assert pdf.startswith(b"%PDF-")
    text = pdf_text(pdf, tmp_path)
    assert "Facture" in text
    assert invoice.number in text
    assert order.reference in text
    for line in order.lines.all():
        assert line.description in text
    assert "390,00 €" in text and "120,50 €" in text
    assert "Total" in text and "510,50 €" in text
    assert "Exemption de TVA, article 44, § 2, 4°" in text
    assert "CLL Centres de Langues ASBL" in text and "BE 0412.345.678" in text
    assert "Alice Martin" in text and "1300 Wavre" in text
    assert "Payée le" in text


def test_it_shows_the_vat_rate_and_amount_when_vat_is_due(alice, tmp_path):
    order = make_paid_order(alice, prices=(12100,), vat_rate_bp=2100, language="en")
    text = pdf_text(invoice_pdf(invoice=invoice_issue(order=order)), tmp_path)
    assert "Invoice" in text
    assert "VAT at 21%" in text
    assert "€100.00" in text and "€21.00" in text and "€121.00" in text
    assert "Exemption" not in text


def test_it_is_written_in_the_orders_language(alice, tmp_path):
    order = make_paid_order(alice, language="nl")
    # The page that asks for it may be in another language: the order's wins.
    with translation.override("en"):
        text = pdf_text(invoice_pdf(invoice=invoice_issue(order=order)), tmp_path)
    assert "Factuur" in text and "€ 390,00" in text


def test_a_credit_note_names_the_invoice_it_corrects_and_the_reason(alice, tmp_path):
    order = make_paid_order(alice, prices=(39000, 12000))
    invoice = invoice_issue(order=order)
    note = credit_note_issue(refund=make_refund(order, 10000, reason="Session moved"))
    text = pdf_text(invoice_pdf(invoice=note), tmp_path)
    assert "Note de crédit" in text
    assert note.number in text and invoice.number in text
    assert "Session moved" in text
    assert "Remboursement partiel de la facture" in text
    assert "100,00 €" in text
    # A partial credit lists no line it does not credit.
    assert "390,00 €" not in text


def test_it_says_the_buyer_was_anonymised_after_an_erasure(alice, tmp_path):
    order = make_paid_order(alice)
    invoice = invoice_issue(order=order)
    data_key_destroy(subject=alice.public_id)
    invoice.order = Order.objects.get(pk=order.pk)
    text = pdf_text(invoice_pdf(invoice=invoice), tmp_path)
    assert "Alice Martin" not in text and "Wavre" not in text
    assert "anonymisé" in text
    # The accounting record itself is intact.
    assert invoice.number in text and "390,00 €" in text


def test_it_fetches_nothing_outside_its_own_directory(tmp_path):
    fetcher = invoices._LocalFiles(invoices._template_dir())
    for url in (
        "https://fonts.example.com/font.woff2",
        "http://127.0.0.1/logo.png",
        "file:///etc/passwd",
        "data:text/css,body{}",
    ):
        with pytest.raises(ValueError):
            fetcher.fetch(url)
    stylesheet = fetcher.fetch((invoices._template_dir() / "invoice.css").as_uri())
    try:
        assert b"@page" in stylesheet.read()
    finally:
        stylesheet.close()
